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
/// thousand times. Entries are valid for one generation of their type: a change to what the
/// scope's streams resolve a type from (the scope's snapshot, a service they hold) starts a new
/// generation of that type only, so a route change leaves the shared clusters and listeners valid.
/// </summary>
internal sealed class ResolutionCache
{
    private readonly long[] _generations = new long[TypeUrls.PushOrder.Count];
    private readonly Table?[] _tables = new Table?[TypeUrls.PushOrder.Count];
    private readonly ConcurrentDictionary<(Key Key, long Generation), TaskCompletionSource<ResolvedResources>> _flights = new();

    /// <summary>Every type, as a mask of <see cref="TypeUrls.PushOrder"/> slots.</summary>
    public const int AllTypes = (1 << 4) - 1;

    public static int Bit(string typeUrl) => TypeUrls.IndexOf(typeUrl) is var i and >= 0 ? 1 << i : 0;

    /// <summary>
    /// Joins the resolution of <paramref name="key"/> at <paramref name="generation"/>: true when the
    /// caller is the first and must resolve it, then <see cref="Land"/> it; otherwise
    /// <paramref name="flight"/> completes with the first one's result. Waiters hold no thread:
    /// one change wakes a scope's hundreds of streams at once, and blocking them on a lock while one
    /// resolved spun a fifth of a gateway's CPU away during a 20,000-proxy push.
    /// </summary>
    public bool Join(Key key, long generation, out Task<ResolvedResources> flight)
    {
        var mine = new TaskCompletionSource<ResolvedResources>(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = _flights.GetOrAdd((key, generation), mine);
        flight = current.Task;
        return ReferenceEquals(current, mine);
    }

    /// <summary>Ends the flight the caller leads: its waiters get <paramref name="resolved"/> (or <paramref name="error"/>).</summary>
    public void Land(Key key, long generation, ResolvedResources? resolved, Exception? error = null)
    {
        if (!_flights.TryRemove((key, generation), out var flight))
        {
            return;
        }
        if (resolved is not null)
        {
            flight.TrySetResult(resolved);
        }
        else
        {
            flight.TrySetException(error ?? new InvalidOperationException("resolution ended without a result"));
        }
    }

    public long Generation(string typeUrl) => Volatile.Read(ref _generations[TypeUrls.IndexOf(typeUrl)]);

    /// <summary>What the scope's streams resolve the types in <paramref name="types"/> from changed: their entries are stale. Call after the change is applied.</summary>
    public void Invalidate(int types)
    {
        for (var slot = 0; slot < _generations.Length; slot++)
        {
            if ((types & (1 << slot)) != 0)
            {
                Interlocked.Increment(ref _generations[slot]);
            }
        }
    }

    public bool TryGet(Key key, out ResolvedResources? resolved)
    {
        var slot = TypeUrls.IndexOf(key.TypeUrl);
        var table = Volatile.Read(ref _tables[slot]);
        resolved = null;
        return table is not null && table.Generation == Volatile.Read(ref _generations[slot]) && table.Entries.TryGetValue(key, out resolved);
    }

    /// <summary>Keeps <paramref name="resolved"/>, computed from state read after <paramref name="generation"/> was its type's current one.</summary>
    public void Store(Key key, long generation, ResolvedResources resolved)
    {
        var slot = TypeUrls.IndexOf(key.TypeUrl);
        if (generation != Volatile.Read(ref _generations[slot]))
        {
            return; // a change landed while it was computed
        }
        var table = Volatile.Read(ref _tables[slot]);
        if (table is null || table.Generation != generation)
        {
            var fresh = new Table(generation);
            table = Interlocked.CompareExchange(ref _tables[slot], fresh, table) == table ? fresh : Volatile.Read(ref _tables[slot])!;
            if (table.Generation != generation)
            {
                return;
            }
        }
        table.Entries[key] = resolved;
    }

    /// <summary>
    /// What a resolution depends on besides the scope: the type, the subscription (names as the
    /// shared set instance; every empty set is one), the staged rollouts whose candidates the stream
    /// gets and, for listeners and clusters, the workload's inbound side of that type by content. The workloads of a namespace with the same ports have
    /// equal inbound listeners and clusters: they share their scope's sets (keyed by the snapshot
    /// instance, each workload resolved its 120 clusters on its own, 5,000 times per gateway). What
    /// the gateway adapts per client: for routes and clusters the client's quirks (a client version
    /// that gets route timeouts withheld resolves its own set), for load assignments its locality.
    /// </summary>
    public readonly record struct Key(string TypeUrl, bool Wildcard, ImmutableHashSet<string> Names, Inbound Inbound, RolloutCohort Cohort, ClientQuirks Quirks = ClientQuirks.None, Model.Services.Locality? Locality = null)
    {
        public static Key Of(string typeUrl, Subscription subscription, WorkloadSnapshot? workload, RolloutCohort cohort, ProxyNode? node = null) =>
            new(typeUrl, subscription.Wildcard, subscription.Names.Count == 0 ? NameSets.Empty : subscription.Names, typeUrl switch
            {
                TypeUrls.Listener => new Inbound(workload is { Ready: true }, workload?.Listeners ?? []),
                TypeUrls.Cluster => new Inbound(workload is { Ready: true }, workload?.Clusters ?? []),
                _ => default,
            }, cohort, typeUrl is TypeUrls.Route or TypeUrls.Cluster ? node?.Quirks ?? ClientQuirks.None : ClientQuirks.None,
            typeUrl == TypeUrls.Endpoint ? node?.Locality : null);

        // The type by value: a type URL parsed from a request is a string of its own (keyed by
        // reference, no two streams ever shared a set). Cohorts are interned: by reference.
        public bool Equals(Key other) =>
            string.Equals(TypeUrl, other.TypeUrl, StringComparison.Ordinal) && Wildcard == other.Wildcard
            && ReferenceEquals(Names, other.Names) && Inbound.Equals(other.Inbound) && ReferenceEquals(Cohort, other.Cohort) && Quirks == other.Quirks && Equals(Locality, other.Locality);

        public override int GetHashCode() =>
            HashCode.Combine(TypeUrls.IndexOf(TypeUrl), Wildcard, RuntimeHelpers.GetHashCode(Names), Inbound.GetHashCode(), RuntimeHelpers.GetHashCode(Cohort), HashCode.Combine(Quirks, Locality));
    }

    /// <summary>
    /// A workload's inbound resources of one type, whether its snapshot is ready (a wildcard set of
    /// a workload not ready is incomplete), equal by names and versions: all a resolution reads of
    /// the workload.
    /// </summary>
    public readonly struct Inbound(bool ready, ImmutableArray<XdsResource> resources) : IEquatable<Inbound>
    {
        private readonly ImmutableArray<XdsResource> _resources = resources;

        public bool Ready { get; } = ready;

        /// <summary>The resources; none for <c>default</c> (the key of a type without an inbound side).</summary>
        public ImmutableArray<XdsResource> Resources => _resources.IsDefault ? [] : _resources;

        public bool Equals(Inbound other)
        {
            if (Ready != other.Ready || Resources.Length != other.Resources.Length)
            {
                return false;
            }
            for (var i = 0; i < Resources.Length; i++)
            {
                if (!ReferenceEquals(Resources[i], other.Resources[i])
                    && (Resources[i].Name != other.Resources[i].Name || Resources[i].Version != other.Resources[i].Version))
                {
                    return false;
                }
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is Inbound other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(Ready);
            foreach (var r in Resources)
            {
                hash.Add(r.Version, StringComparer.Ordinal);
            }
            return hash.ToHashCode();
        }
    }

    private sealed class Table(long generation)
    {
        public long Generation { get; } = generation;

        public ConcurrentDictionary<Key, ResolvedResources> Entries { get; } = new();
    }
}
