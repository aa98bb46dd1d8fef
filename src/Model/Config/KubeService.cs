using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>A Kubernetes <c>v1 Service</c>.</summary>
public sealed record KubeService(
    ObjectMeta Meta,
    string Type,
    string? ClusterIP,
    ImmutableSortedDictionary<string, string> Selector,
    ImmutableArray<ServicePort> Ports) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Service;
}

/// <summary>One port of a Kubernetes Service. <see cref="TargetPort"/> is a number or a container port name.</summary>
public sealed record ServicePort(string? Name, int Port, string? TargetPort, string Protocol, string? AppProtocol);
