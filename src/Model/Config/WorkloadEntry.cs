using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>WorkloadEntry</c>.</summary>
public sealed record WorkloadEntry(ObjectMeta Meta, WorkloadEntrySpec Spec) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.WorkloadEntry;
}

/// <summary>
/// The spec shared by <c>WorkloadEntry</c> and inline ServiceEntry endpoints. <see cref="Ports"/> maps a
/// service port name to the workload's port.
/// </summary>
public sealed record WorkloadEntrySpec(
    string Address,
    ImmutableSortedDictionary<string, int> Ports,
    ImmutableSortedDictionary<string, string> Labels,
    string? Network,
    string? Locality,
    int? Weight,
    string? ServiceAccount)
{
    /// <summary>The prefix of a unix domain socket address (<c>unix:///path</c> or <c>unix://@abstract</c>).</summary>
    public const string UnixAddressPrefix = "unix://";

    /// <summary>True when <see cref="Address"/> is a unix domain socket rather than an IP or a DNS name.</summary>
    public bool IsUnixSocket => Address.StartsWith(UnixAddressPrefix, StringComparison.Ordinal);
}
