namespace Mesh.XdsGateway.Observers;

/// <summary>This gateway process's id, reported to proxy grains (which gateway a proxy is on).</summary>
public sealed record GatewayIdentity(string Id)
{
    public static GatewayIdentity ForThisProcess() =>
        new($"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
}
