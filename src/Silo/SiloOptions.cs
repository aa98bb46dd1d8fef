using System.Net;

namespace Mesh.Silo;

/// <summary>
/// Command-line options of the embedded default. With no arguments: xDS on 127.0.0.1:15010, admin
/// on 127.0.0.1:15014, Orleans on 11111/30000, manifests from <c>examples/</c>.
/// </summary>
public sealed record SiloOptions(
    string ManifestDirectory,
    IPAddress ListenAddress,
    int XdsPort,
    int AdminPort,
    int SiloPort,
    int SiloGatewayPort)
{
    /// <summary>Redis connection string: set, this process is one silo of a distributed cluster (no gateway, no ingest).</summary>
    public string? Redis { get; init; }

    /// <summary>The IP other silos and clients reach this silo at (distributed mode).</summary>
    public string? AdvertisedIp { get; init; }

    /// <summary>Kubernetes source: a kubeconfig path, or <c>in-cluster</c>; set, the cluster is served instead of the manifests.</summary>
    public string? Kubeconfig { get; init; }

    /// <summary>Kubernetes source: an API server URL used as is (e.g. <c>kubectl proxy</c>).</summary>
    public string? KubeApi { get; init; }

    /// <summary>Istio discoverySelectors for the Kubernetes source (OR-ed label selectors over namespaces).</summary>
    public System.Collections.Immutable.ImmutableArray<string> DiscoverySelectors { get; init; } = [];

    /// <summary>True when a Kubernetes cluster, not a manifest directory, is the source of truth.</summary>
    public bool UsesKubernetes => !string.IsNullOrEmpty(Kubeconfig) || !string.IsNullOrEmpty(KubeApi);

    /// <summary>Orleans cluster id (distributed mode).</summary>
    public string ClusterId { get; init; } = "mesh";

    public const string Usage = """
        Usage: dotnet run --project src/Silo -- [options]

        Runs the embedded Mesh control plane in one process: Orleans silo (localhost clustering,
        in-memory storage), xDS gateway (ADS, SotW and delta), manifest-directory ingest, admin API.

        Options:
          --manifests DIR        Kubernetes/Istio YAML manifests to serve; changes are applied live
                                 (default: the repository's examples/ directory)
          --kubeconfig PATH      serve a Kubernetes cluster instead of manifests: its Services,
                                 EndpointSlices, Pods, Namespaces and Istio CRDs, watched live
                                 (PATH "in-cluster": the pod's service account)
          --kube-api URL         serve the Kubernetes API at URL as is, without credentials
                                 (e.g. kubectl proxy)
          --discovery-selector S with --kubeconfig/--kube-api: serve only namespaces whose labels
                                 match S (label-selector syntax, e.g. "mesh=on" or "env in (a,b)");
                                 repeat to OR several (Istio's discoverySelectors)
          --listen-address IP    address for xDS and admin (default 127.0.0.1)
          --xds-port N           xDS gRPC port, plaintext HTTP/2 (default 15010)
          --admin-port N         admin HTTP port: /healthz /readyz /debug/syncz
                                 /debug/config_dump?proxyID=ID /debug/ingestz /metrics (default 15014)
          --silo-port N          Orleans silo-to-silo port (default 11111)
          --silo-gateway-port N  Orleans client gateway port (default 30000)
          --redis HOST:PORT      distributed mode: this process is one silo of a cluster whose
                                 membership and grain state live in Redis; it serves grains and
                                 the admin API only (run src/XdsGateway and src/Ingest beside it)
          --advertised-ip IP     distributed mode: the IP other silos and clients reach this silo at
          --help                 show this text

        Every option can also come from the environment: Mesh__Redis, Mesh__AdvertisedIp,
        Mesh__ClusterId, Mesh__SiloPort, Mesh__GatewayPort, Mesh__AdminPort, Mesh__XdsPort,
        Mesh__Manifests, Mesh__Kubeconfig, Mesh__KubeApi, Mesh__ListenAddress (command-line options win).
        """;

    /// <summary>Parses arguments; returns null with <paramref name="error"/> set on a bad argument, or null and no error for --help.</summary>
    public static SiloOptions? Parse(string[] args, out string? error)
    {
        error = null;
        var env = (string key) => Environment.GetEnvironmentVariable("Mesh__" + key);
        var o = new SiloOptions(
            env("Manifests") is { Length: > 0 } m ? Path.GetFullPath(m) : DefaultManifests(),
            IPAddress.TryParse(env("ListenAddress"), out var envIp) ? envIp : IPAddress.Loopback,
            Port(env("XdsPort")) ?? 15010, Port(env("AdminPort")) ?? 15014, Port(env("SiloPort")) ?? 11111, Port(env("GatewayPort")) ?? 30000)
        {
            Redis = env("Redis"),
            AdvertisedIp = env("AdvertisedIp"),
            ClusterId = env("ClusterId") is { Length: > 0 } c ? c : "mesh",
            Kubeconfig = env("Kubeconfig"),
            KubeApi = env("KubeApi"),
        };
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h")
            {
                return null;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{a}: missing value";
                return null;
            }
            var v = args[++i];
            switch (a)
            {
                case "--manifests":
                    o = o with { ManifestDirectory = Path.GetFullPath(v) };
                    break;
                case "--listen-address" when IPAddress.TryParse(v, out var ip):
                    o = o with { ListenAddress = ip };
                    break;
                case "--xds-port" when Port(v) is { } p:
                    o = o with { XdsPort = p };
                    break;
                case "--admin-port" when Port(v) is { } p:
                    o = o with { AdminPort = p };
                    break;
                case "--silo-port" when Port(v) is { } p:
                    o = o with { SiloPort = p };
                    break;
                case "--silo-gateway-port" when Port(v) is { } p:
                    o = o with { SiloGatewayPort = p };
                    break;
                case "--kubeconfig":
                    o = o with { Kubeconfig = v == "in-cluster" ? v : Path.GetFullPath(v) };
                    break;
                case "--kube-api" when Uri.TryCreate(v, UriKind.Absolute, out _):
                    o = o with { KubeApi = v };
                    break;
                case "--discovery-selector":
                    o = o with { DiscoverySelectors = o.DiscoverySelectors.Add(v) };
                    break;
                case "--redis":
                    o = o with { Redis = v };
                    break;
                case "--advertised-ip" when IPAddress.TryParse(v, out _):
                    o = o with { AdvertisedIp = v };
                    break;
                default:
                    error = $"{a} {v}: unknown option or invalid value (ports are 1-65535, addresses are IP literals)";
                    return null;
            }
        }
        if (o.Kubeconfig is { } kc && kc != "in-cluster" && !File.Exists(kc))
        {
            error = $"--kubeconfig {kc}: file does not exist";
            return null;
        }
        if (!o.DiscoverySelectors.IsEmpty && !o.UsesKubernetes)
        {
            error = "--discovery-selector needs --kubeconfig or --kube-api";
            return null;
        }
        if (string.IsNullOrEmpty(o.Redis) && !o.UsesKubernetes && !Directory.Exists(o.ManifestDirectory))
        {
            error = $"--manifests {o.ManifestDirectory}: directory does not exist";
            return null;
        }
        return o;
    }

    private static int? Port(string? v) => int.TryParse(v, out var p) && p is > 0 and <= 65535 ? p : null;

    /// <summary>examples/ in the current directory or above it, or above the binary (for <c>dotnet run</c>).</summary>
    private static string DefaultManifests()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "examples");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "Mesh.sln")))
                {
                    return candidate;
                }
            }
        }
        return Path.GetFullPath("examples");
    }
}
