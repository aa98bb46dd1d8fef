using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>ServiceEntry</c>.</summary>
public sealed record ServiceEntry(
    ObjectMeta Meta,
    ImmutableArray<string> Hosts,
    ImmutableArray<string> Addresses,
    ImmutableArray<ServiceEntryPort> Ports,
    string Location,
    string Resolution,
    ImmutableArray<WorkloadEntrySpec> Endpoints,
    WorkloadSelector? WorkloadSelector,
    ImmutableArray<string> ExportTo) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.ServiceEntry;
}

/// <summary>A ServiceEntry port (<c>number</c>, <c>protocol</c>, <c>name</c>, optional <c>targetPort</c>).</summary>
public sealed record ServiceEntryPort(int Number, string Protocol, string Name, int? TargetPort);
