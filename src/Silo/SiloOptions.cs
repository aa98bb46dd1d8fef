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
    public const string Usage = """
        Usage: dotnet run --project src/Silo -- [options]

        Runs the embedded Mesh control plane in one process: Orleans silo (localhost clustering,
        in-memory storage), xDS gateway (ADS, SotW and delta), manifest-directory ingest, admin API.

        Options:
          --manifests DIR        Kubernetes/Istio YAML manifests to serve; changes are applied live
                                 (default: the repository's examples/ directory)
          --listen-address IP    address for xDS and admin (default 127.0.0.1)
          --xds-port N           xDS gRPC port, plaintext HTTP/2 (default 15010)
          --admin-port N         admin HTTP port: /healthz /readyz /debug/syncz
                                 /debug/config_dump?proxyID=ID /debug/ingestz /metrics (default 15014)
          --silo-port N          Orleans silo-to-silo port (default 11111)
          --silo-gateway-port N  Orleans client gateway port (default 30000)
          --help                 show this text
        """;

    /// <summary>Parses arguments; returns null with <paramref name="error"/> set on a bad argument, or null and no error for --help.</summary>
    public static SiloOptions? Parse(string[] args, out string? error)
    {
        error = null;
        var o = new SiloOptions(DefaultManifests(), IPAddress.Loopback, 15010, 15014, 11111, 30000);
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
                default:
                    error = $"{a} {v}: unknown option or invalid value (ports are 1-65535, addresses are IP literals)";
                    return null;
            }
        }
        if (!Directory.Exists(o.ManifestDirectory))
        {
            error = $"--manifests {o.ManifestDirectory}: directory does not exist";
            return null;
        }
        return o;
    }

    private static int? Port(string v) => int.TryParse(v, out var p) && p is > 0 and <= 65535 ? p : null;

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
