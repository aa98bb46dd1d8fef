using System.Collections.Immutable;

namespace Mesh.Grains;

/// <summary>
/// The mesh root. Key: <see cref="Keys.MeshKey.Default"/>. Holds only the namespace list and the
/// readiness gate (X-25: no stream is served before the first full load). Its only subscribers are
/// the silos' catalogs: no scope calls it or registers with it. Writes carry the writer's fence
/// epoch (<see cref="IWriterFenceGrain"/>; 0: unfenced).
/// </summary>
[Alias("mesh.IMeshGrain")]
public interface IMeshGrain : IGrainWithStringKey
{
    [Alias("SetNamespaces")]
    Task SetNamespacesAsync(ImmutableArray<string> namespaces, long writerEpoch = 0);

    /// <summary>Subscribes a silo's catalog (leased) and returns the namespace list.</summary>
    [Alias("Subscribe")]
    Task<ImmutableArray<string>> SubscribeAsync(ICatalogObserver observer);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(ICatalogObserver observer);

    [Alias("GetNamespaces")]
    Task<ImmutableArray<string>> GetNamespacesAsync();

    /// <summary>Marks the initial load of the source of truth complete.</summary>
    [Alias("SetReady")]
    Task SetReadyAsync(long writerEpoch = 0);

    [Alias("IsReady")]
    Task<bool> IsReadyAsync();
}
