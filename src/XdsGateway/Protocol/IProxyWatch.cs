namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// One stream's view of the control plane. Thread-safe: <see cref="Changed"/> fires from any
/// thread; the stream loop then calls <see cref="ResolveAsync"/> on its own thread.
/// </summary>
public interface IProxyWatch : IAsyncDisposable
{
    /// <summary>Raised with a type URL whenever that type's resolved set may have changed.</summary>
    event Action<string>? Changed;

    /// <summary>Replaces the names the stream wants for a type; fetching missing names starts here.</summary>
    void SetSubscription(string typeUrl, Subscription subscription);

    /// <summary>
    /// The current resources for the type's subscription (wildcard set plus named resources that
    /// exist). Completes synchronously unless a peer stream is resolving the same set: then it
    /// completes with that peer's result.
    /// </summary>
    ValueTask<ResolvedResources> ResolveAsync(string typeUrl);

    /// <summary>Records that a response was sent (for /debug/syncz and config_dump): <paramref name="sent"/> is the set it was built from, which the stream now holds.</summary>
    void ReportSent(string typeUrl, string version, string nonce, ResolvedResources sent);

    /// <summary>Records an ACK of a version.</summary>
    void ReportAck(string typeUrl, string version);

    /// <summary>Records a NACK: the version rejected and the client's error detail .</summary>
    void ReportNack(string typeUrl, string version, string errorDetail);
}
