namespace Mesh.Ingest.Kubernetes;

/// <summary>Timing of the list/watch loop; the defaults follow client-go's reflector.</summary>
public sealed record KubeInformerOptions
{
    /// <summary>Items per list page (<c>limit</c>).</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>
    /// Most pages one list may take. A list still not ended after this many (the API server keeps sending a
    /// continue token) fails, is counted and logged, and is retried after the backoff.
    /// </summary>
    public int MaxListPages { get; init; } = 10_000;

    /// <summary>A watch is re-opened after a random time between this and twice this (client-go: 5–10 min).</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>First retry delay after a failed list or a dropped watch; doubles per failure, ±50% jitter.</summary>
    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest retry delay.</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a kind the API server does not serve (Istio CRDs not installed) is looked for again.</summary>
    public TimeSpan NotServedRetry { get; init; } = TimeSpan.FromSeconds(30);
}
