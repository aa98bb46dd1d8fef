using System.Collections.Immutable;
using Mesh.Model.Config;

namespace Mesh.Model.Validation;

/// <summary>Destination and weight rules shared by HTTP and TCP routes.</summary>
internal static class RouteRules
{
    public static void Destinations(ImmutableArray<RouteDestination> route, string field, ValidationContext context)
    {
        if (route.IsDefaultOrEmpty)
        {
            context.Add(field, "at least one destination is required");
            return;
        }
        for (var i = 0; i < route.Length; i++)
        {
            Destination(route[i].Destination, $"{field}[{i}].destination", context);
        }
        Weights(route, field, context);
    }

    private static void Destination(Destination destination, string field, ValidationContext context)
    {
        if (destination.Host.Length == 0)
        {
            context.Add(field + ".host", "is required");
        }
        else if (destination.Host == "*")
        {
            context.Add(field + ".host", "wildcard '*' is not allowed as a destination host");
        }
        else
        {
            context.Check(field + ".host", HostRules.WildcardDomain(destination.Host));
        }
        if (destination.Subset is { Length: > 0 } subset)
        {
            context.Check(field + ".subset", NameRules.Dns1123Label(subset));
        }
        if (destination.Port is { } port)
        {
            context.Check(field + ".port.number", PortRules.Number(port));
        }
    }

    /// <summary>One destination may omit its weight (it gets 100); several must each set 0..100 and sum to exactly 100.</summary>
    private static void Weights(ImmutableArray<RouteDestination> route, string field, ValidationContext context)
    {
        var sum = 0;
        var complete = true;
        for (var i = 0; i < route.Length; i++)
        {
            var weight = route[i].Weight;
            if (weight is null)
            {
                if (route.Length > 1)
                {
                    context.Add($"{field}[{i}].weight", "is required when a route has more than one destination");
                    complete = false;
                }
                continue;
            }
            if (weight is < 0 or > 100)
            {
                context.Add($"{field}[{i}].weight", $"weight {weight} is out of range 0..100");
                complete = false;
            }
            sum += weight.Value;
        }
        if (complete && route.Length > 1 && sum != 100)
        {
            context.Add(field, $"weights sum to {sum}, must be 100");
        }
        else if (route.Length == 1 && route[0].Weight is { } single and not 100 and > 0 and <= 100)
        {
            context.Add(field + "[0].weight", $"weight {single} of the only destination must be 100, 0 or omitted");
        }
    }
}
