using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>A <c>discovery.k8s.io/v1 EndpointSlice</c>; <see cref="ServiceName"/> comes from the <c>kubernetes.io/service-name</c> label.</summary>
public sealed record EndpointSlice(
    ObjectMeta Meta,
    string ServiceName,
    string AddressType,
    ImmutableArray<EndpointSlicePort> Ports,
    ImmutableArray<SliceEndpoint> Endpoints) : ConfigObject(Meta)
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    public override ConfigKind Kind => ConfigKind.EndpointSlice;
}

/// <summary>A port of an EndpointSlice; <see cref="Name"/> matches the Service port name.</summary>
public sealed record EndpointSlicePort(string? Name, int? Port, string Protocol, string? AppProtocol);

/// <summary>One endpoint of an EndpointSlice with its conditions (null means unknown, treated as true for ready/serving).</summary>
public sealed record SliceEndpoint(
    ImmutableArray<string> Addresses,
    bool? Ready,
    bool? Serving,
    bool? Terminating,
    ObjectReference? TargetRef,
    string? NodeName,
    string? Zone);

/// <summary>A Kubernetes object reference (EndpointSlice <c>targetRef</c>).</summary>
public sealed record ObjectReference(string Kind, string Namespace, string Name, string? Uid);
