using Orleans.Concurrency;
using System.Collections.Immutable;
using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// A silo's catalog: the replica of the namespace list, every namespace's config and every
/// service's scope view that scopes and workloads on that silo build from. Subscribed (leased) to
/// the mesh grain and to each namespace grain; each renewal re-fetches, so nothing missed is lost.
/// </summary>
[Alias("mesh.ICatalogObserver")]
public interface ICatalogObserver : IGrainObserver
{
    [OneWay, Alias("OnNamespacesChanged")]
    Task OnNamespacesChangedAsync(ImmutableArray<string> namespaces);

    /// <summary>A namespace's config changed (with the views of its services, in full).</summary>
    [OneWay, Alias("OnNamespaceChanged")]
    Task OnNamespaceChangedAsync(NamespaceSnapshot snapshot);

    /// <summary>
    /// The hosts the fence of <paramref name="service"/> in <paramref name="ns"/> learned changed (the
    /// whole set; empty: none left). Apart from the namespace's config, so that a learn costs the
    /// fence's scopes and not a namespace diff. <paramref name="sequence"/> grows with every change
    /// the namespace grain sends: one-way messages may arrive out of order, and an older set is ignored.
    /// </summary>
    [OneWay, Alias("OnLearnedChanged")]
    Task OnLearnedChangedAsync(string ns, string service, ImmutableSortedSet<string> hosts, long sequence);

    /// <summary>The scope view of a service defined in <paramref name="ns"/> changed (its service null: gone).</summary>
    [OneWay, Alias("OnServiceViewChanged")]
    Task OnServiceViewChangedAsync(string ns, ServiceScopeView view);
}
