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

    /// <summary>
    /// Istio's weights: each non-negative, any size; several destinations must not all be 0 (an
    /// unset weight among several is 0). Traffic splits in proportion; translation scales the
    /// weights to 100, the total older gRPC clients require.
    /// </summary>
    private static void Weights(ImmutableArray<RouteDestination> route, string field, ValidationContext context)
    {
        long sum = 0;
        var valid = true;
        for (var i = 0; i < route.Length; i++)
        {
            if (route[i].Weight is < 0 and var weight)
            {
                context.Add($"{field}[{i}].weight", $"weight {weight} must be non-negative");
                valid = false;
            }
            sum += Math.Max(0, route[i].Weight ?? 0);
        }
        if (valid && route.Length > 1 && sum == 0 && route.Any(d => d.Weight is not null))
        {
            context.Add(field, "the weights of several destinations sum to 0: at least one must be positive");
        }
    }
}
