using System.Net;
using Microsoft.Extensions.Options;

namespace Mesh.Hosting;

/// <summary>Collects every configuration problem and says how to fix each one.</summary>
public sealed class MeshClusterOptionsValidator : IValidateOptions<MeshClusterOptions>
{
    /// <summary>True when the role cannot run without Redis (gateway, ingest, distributed silo).</summary>
    public bool RequireRedis { get; init; }

    public ValidateOptionsResult Validate(string? name, MeshClusterOptions options)
    {
        var failures = new List<string>();
        if (RequireRedis && !options.Distributed)
        {
            failures.Add("Mesh:Redis is empty: set Mesh__Redis=HOST:PORT (the Redis that holds the cluster membership), e.g. Mesh__Redis=127.0.0.1:6379.");
        }
        if (options.Distributed)
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(options.Redis);
            }
            catch (ArgumentException ex)
            {
                failures.Add($"Mesh:Redis '{options.Redis}' is not a valid Redis connection string ({ex.Message}); use HOST:PORT[,password=...].");
            }
        }
        foreach (var (key, port) in new[] { ("SiloPort", options.SiloPort), ("GatewayPort", options.GatewayPort), ("AdminPort", options.AdminPort) })
        {
            if (port is <= 0 or > 65535)
            {
                failures.Add($"Mesh:{key} = {port} is not a port: use 1-65535 (Mesh__{key}).");
            }
        }
        if (options.AdvertisedIp.Length > 0 && !IPAddress.TryParse(options.AdvertisedIp, out _))
        {
            failures.Add($"Mesh:AdvertisedIp '{options.AdvertisedIp}' is not an IP literal; in Kubernetes set it from the downward API (status.podIP).");
        }
        if (!IPAddress.TryParse(options.ListenAddress, out _))
        {
            failures.Add($"Mesh:ListenAddress '{options.ListenAddress}' is not an IP literal (e.g. 0.0.0.0 or 127.0.0.1).");
        }
        if (string.IsNullOrWhiteSpace(options.ClusterId) || string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add("Mesh:ClusterId and Mesh:ServiceId must not be empty (defaults: mesh).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
