using System.Net;
using System.Net.Sockets;

namespace Mesh.Hosting;

/// <summary>
/// How a process joins the Orleans cluster (configuration section <c>Mesh</c>; environment
/// variables <c>Mesh__Redis</c>, <c>Mesh__ClusterId</c>, ...). With <see cref="Redis"/> empty the
/// process is the embedded default (localhost clustering, in-memory storage).
/// </summary>
public sealed class MeshClusterOptions
{
    public const string Section = "Mesh";

    /// <summary>Redis connection string (StackExchange.Redis form, e.g. <c>redis:6379</c>) for clustering and grain storage.</summary>
    public string Redis { get; set; } = "";

    /// <summary>Orleans cluster id: processes with the same id and Redis form one cluster.</summary>
    public string ClusterId { get; set; } = "mesh";

    /// <summary>Orleans service id: grain state is keyed by it, so keep it stable across deployments.</summary>
    public string ServiceId { get; set; } = "mesh";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port Orleans clients (gateways, ingest) connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP other silos and clients reach this silo at; default: the first non-loopback IPv4, else 127.0.0.1.</summary>
    public string AdvertisedIp { get; set; } = "";

    /// <summary>Admin HTTP port: /healthz, /readyz, /metrics and the role's /debug endpoints.</summary>
    public int AdminPort { get; set; } = 15014;

    /// <summary>Address the HTTP and gRPC listeners bind.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    public bool Distributed => !string.IsNullOrWhiteSpace(Redis);

    public IPAddress ResolveAdvertisedIp()
    {
        if (IPAddress.TryParse(AdvertisedIp, out var ip))
        {
            return ip;
        }
        var host = Dns.GetHostAddresses(Dns.GetHostName());
        return host.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;
    }
}
