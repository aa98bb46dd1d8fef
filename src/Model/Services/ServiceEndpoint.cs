using System.Collections.Immutable;

namespace Mesh.Model.Services;

/// <summary>
/// One endpoint of a service. <see cref="Ports"/> maps each service port number to the port on this
/// endpoint; an endpoint missing a service port does not serve it.
/// </summary>
public sealed record ServiceEndpoint(
    string Address,
    ImmutableSortedDictionary<int, int> Ports,
    ImmutableSortedDictionary<string, string> Labels,
    Locality Locality,
    int Weight,
    EndpointHealth Health,
    string? ServiceAccount,
    string? WorkloadName);

/// <summary>Endpoint locality, from <c>topology.kubernetes.io/region|zone</c> or an Istio locality string.</summary>
public sealed record Locality(string Region, string Zone, string SubZone)
{
    public static readonly Locality None = new("", "", "");

    /// <summary>Parses Istio's <c>region/zone/subzone</c> form.</summary>
    public static Locality Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return None;
        }
        var parts = value.Split('/');
        return new(parts[0], parts.Length > 1 ? parts[1] : "", parts.Length > 2 ? parts[2] : "");
    }

    public override string ToString() => $"{Region}/{Zone}/{SubZone}";
}

/// <summary>Endpoint health as served in EDS.</summary>
public enum EndpointHealth
{
    Healthy,
    Unhealthy,
    Draining,
}
