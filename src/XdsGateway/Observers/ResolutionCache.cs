using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Resolved sets shared by the streams of one scope: a stream that subscribes what a peer of its
/// scope already resolved takes that set instead of resolving (and hashing, to intern) every name
/// again. A thousand proxies of a namespace connecting resolve their 120 clusters once, not a
/// thousand times. Entries are valid for one generation: any change to what the scope's streams
/// resolve from (the scope's snapshot, a service they hold) starts a new one.
/// </summary>
internal sealed class ResolutionCache
{
    private long _generation;
    private volatile Table _table = new(0);

    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Something the scope's streams resolve from changed: every entry is stale. Call after the change is applied.</summary>
    public void Invalidate() => Interlocked.Increment(ref _generation);

    public bool TryGet(Key key, out ResolvedResources? resolved)
    {
        var table = _table;
        resolved = null;
        return table.Generation == Generation && table.Entries.TryGetValue(key, out resolved);
    }

    /// <summary>Keeps <paramref name="resolved"/>, computed from state read after <paramref name="generation"/> was current.</summary>
    public void Store(Key key, long generation, ResolvedResources resolved)
    {
        if (generation != Generation)
        {
            return; // a change landed while it was computed
        }
        var table = _table;
        if (table.Generation != generation)
        {
            table = new Table(generation);
            _table = table;
        }
        table.Entries[key] = resolved;
    }

    /// <summary>
    /// What a resolution depends on besides the scope: the type, the subscription (names as the
    /// shared set instance) and, for listeners and clusters, the workload's snapshot (its inbound side).
    /// </summary>
    public readonly record struct Key(string TypeUrl, bool Wildcard, ImmutableHashSet<string> Names, WorkloadSnapshot? Workload)
    {
        public static Key Of(string typeUrl, Subscription subscription, WorkloadSnapshot? workload) =>
            new(typeUrl, subscription.Wildcard, subscription.Names, typeUrl is TypeUrls.Listener or TypeUrls.Cluster ? workload : null);

        public bool Equals(Key other) =>
            ReferenceEquals(TypeUrl, other.TypeUrl) && Wildcard == other.Wildcard
            && ReferenceEquals(Names, other.Names) && ReferenceEquals(Workload, other.Workload);

        public override int GetHashCode() =>
            HashCode.Combine(RuntimeHelpers.GetHashCode(TypeUrl), Wildcard, RuntimeHelpers.GetHashCode(Names), Workload is null ? 0 : RuntimeHelpers.GetHashCode(Workload));
    }

    private sealed class Table(long generation)
    {
        public long Generation { get; } = generation;

        public ConcurrentDictionary<Key, ResolvedResources> Entries { get; } = new();
    }
}
