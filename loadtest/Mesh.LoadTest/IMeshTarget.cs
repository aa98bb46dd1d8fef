namespace Mesh.LoadTest;

/// <summary>The control plane under test: where proxies connect, and what it costs.</summary>
internal interface IMeshTarget : IAsyncDisposable
{
    /// <summary>xDS gateway addresses on 127.0.0.1.</summary>
    IReadOnlyList<Uri> Gateways { get; }

    /// <summary>Admin address of the process running the ingest (for <c>/debug/ingestz</c>), if any.</summary>
    Uri? IngestAdmin { get; }

    /// <summary>CPU seconds and peak RSS of the mesh so far.</summary>
    ProcessCost Cost();

    /// <summary>Per mesh process: role, CPU seconds, RSS, peak RSS, and its <c>/metrics</c> (summed over label sets).</summary>
    Task<IReadOnlyList<ProcessSample>> SampleAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes each gateway run a full compacting GC (<c>POST /debug/gc</c>), so the next sample's
    /// heap is the live heap; a no-op where gateways are not separate processes.
    /// </summary>
    Task CollectGatewayGarbageAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes the silo run a full compacting GC, so the next sample's heap is its live heap; false
    /// where the silo is not a process of its own (its heap would include the proxies).
    /// </summary>
    Task<bool> CollectSiloGarbageAsync(CancellationToken cancellationToken);

    /// <summary>SIGKILLs gateway <paramref name="index"/>; false when the target cannot (embedded).</summary>
    Task<bool> KillGatewayAsync(int index, CancellationToken cancellationToken);

    /// <summary>Starts gateway <paramref name="index"/> again on its port and waits for <c>/readyz</c>.</summary>
    Task RestartGatewayAsync(int index, CancellationToken cancellationToken);
}
