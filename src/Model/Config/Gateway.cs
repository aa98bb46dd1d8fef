using System.Collections.Immutable;

namespace Mesh.Model.Config;

/// <summary>An Istio <c>Gateway</c>: the ingress proxies it selects and the servers (ports) they open.</summary>
public sealed record Gateway(ObjectMeta Meta, ImmutableSortedDictionary<string, string> Selector, ImmutableArray<GatewayServer> Servers) : ConfigObject(Meta)
{
    public override ConfigKind Kind => ConfigKind.Gateway;
}

/// <summary>One Gateway server: port and hosts.</summary>
public sealed record GatewayServer(string? Name, GatewayPort Port, ImmutableArray<string> Hosts);

/// <summary>A Gateway server port.</summary>
public sealed record GatewayPort(int Number, string Protocol, string Name);
