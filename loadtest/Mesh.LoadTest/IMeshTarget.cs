namespace Mesh.LoadTest;

/// <summary>The control plane under test: where proxies connect, and what it costs.</summary>
internal interface IMeshTarget : IAsyncDisposable
{
    /// <summary>xDS gateway addresses on 127.0.0.1.</summary>
    IReadOnlyList<Uri> Gateways { get; }

    /// <summary>CPU seconds and peak RSS of the mesh so far.</summary>
    ProcessCost Cost();
}
