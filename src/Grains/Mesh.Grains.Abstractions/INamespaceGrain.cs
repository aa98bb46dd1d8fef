using System.Collections.Immutable;
using Orleans.Concurrency;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One namespace's config (services defined there, Sidecars, Gateways, gateway-bound
/// VirtualServices) and the scope views of its services. Key: the namespace name. Tells the silos'
/// catalogs (a handful of subscribers, not every scope) when either changes.
/// </summary>
[Alias("mesh.INamespaceGrain")]
public interface INamespaceGrain : IGrainWithStringKey
{
    /// <summary>Replaces the config; <paramref name="writerEpoch"/> is checked against the writer fence (0: unfenced).</summary>
    [Alias("Update")]
    Task UpdateAsync(NamespaceConfig config, long writerEpoch = 0);

    /// <summary>Subscribes a silo's catalog (leased) and returns the namespace in full.</summary>
    [Alias("Subscribe")]
    Task<NamespaceSnapshot> SubscribeAsync(ICatalogObserver observer);

    [Alias("Unsubscribe")]
    Task UnsubscribeAsync(ICatalogObserver observer);

    /// <summary>A service defined in this namespace changed what scopes read of it.</summary>
    [OneWay, Alias("OnServiceViewChanged")]
    Task OnServiceViewChangedAsync(ServiceScopeView view);

    [Alias("GetConfig")]
    Task<NamespaceConfig> GetConfigAsync();

    /// <summary>The hosts the fence of <paramref name="service"/> learned (from its <see cref="IServiceFenceGrain"/>); the silo catalogs rebuild that fence's scopes.</summary>
    [Alias("SetLearned")]
    Task SetLearnedAsync(string service, ImmutableSortedSet<string> hosts);
}
