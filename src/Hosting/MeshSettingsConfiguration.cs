using Mesh.Model.Translation;
using Microsoft.Extensions.Configuration;

namespace Mesh.Hosting;

/// <summary>The mesh-wide settings every process that builds or serves config reads from configuration (silo and gateway agree on them).</summary>
public static class MeshSettingsConfiguration
{
    /// <summary>
    /// Translation settings from configuration: <c>Lazy:EgressService</c>, the FQDN of the lazy
    /// egress that fenced sidecars fall back to (default <see cref="MeshSettings.DefaultLazyEgress"/>),
    /// <c>Lazy:QuietPeriod</c>, after which a learned host that is not called expires (twice it: removed),
    /// <c>Lazy:AccessLogCluster</c>, the egress bootstrap's cluster for the xDS gateway (default <c>xds-grpc</c>),
    /// <c>Lazy:TunnelPort</c>, the egress Service port for fenced sidecars' TCP tunnels (default 15009),
    /// and <c>Mesh:DefaultHttpRetryAttempts</c>, the retries of Istio's default retry policy (default 2; 0: none).
    /// </summary>
    public static MeshSettings From(IConfiguration configuration)
    {
        var settings = MeshSettings.Default;
        if (configuration["Lazy:QuietPeriod"] is { } quiet)
        {
            if (!TimeSpan.TryParse(quiet, System.Globalization.CultureInfo.InvariantCulture, out var period) || period <= TimeSpan.Zero)
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException("Lazy", typeof(MeshSettings),
                    [$"Lazy:QuietPeriod '{quiet}' must be a positive time span, e.g. 01:00:00"]);
            }
            settings = settings with { LazyQuietPeriod = period };
        }
        if (configuration["Lazy:AccessLogCluster"] is { } alsCluster)
        {
            if (string.IsNullOrWhiteSpace(alsCluster))
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException("Lazy", typeof(MeshSettings),
                    ["Lazy:AccessLogCluster must name the lazy egress's bootstrap cluster of the xDS server, e.g. xds-grpc"]);
            }
            settings = settings with { LazyAccessLogCluster = alsCluster.Trim() };
        }
        if (configuration["Lazy:TunnelPort"] is { } tunnel)
        {
            if (!int.TryParse(tunnel, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException("Lazy", typeof(MeshSettings),
                    [$"Lazy:TunnelPort '{tunnel}' must be a port (1-65535) of the lazy egress Service, e.g. 15009"]);
            }
            settings = settings with { LazyTunnelPort = port };
        }
        if (configuration["Mesh:DefaultHttpRetryAttempts"] is { } attempts)
        {
            if (!int.TryParse(attempts, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var retries) || retries > 100)
            {
                throw new Microsoft.Extensions.Options.OptionsValidationException("Mesh", typeof(MeshSettings),
                    [$"Mesh:DefaultHttpRetryAttempts '{attempts}' must be 0 (no default retry policy) to 100; Istio's default is 2"]);
            }
            settings = settings with { DefaultRetryAttempts = retries };
        }
        var egress = configuration["Lazy:EgressService"];
        if (egress is null)
        {
            return settings;
        }
        egress = egress.Trim().TrimEnd('.').ToLowerInvariant();
        if (egress.Length == 0 || egress.Contains('/', StringComparison.Ordinal) || egress.Contains('*', StringComparison.Ordinal) || !egress.Contains('.', StringComparison.Ordinal))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException("Lazy", typeof(MeshSettings),
                [$"Lazy:EgressService '{configuration["Lazy:EgressService"]}' must be a service FQDN, e.g. {MeshSettings.DefaultLazyEgress}"]);
        }
        return settings with { LazyEgress = egress };
    }
}
