using System.Collections.Immutable;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// One stream's watch over grain-owned resources: its workload's own resources (a sidecar's inbound
/// listener and clusters), its shared scope's listeners, routes and cluster list, and every
/// cluster/endpoint (and proxyless listener/route) from the gateway's shared service entries. The
/// scope can change under a live stream (a Sidecar starts or stops selecting its workload). The
/// watch raises <see cref="Changed"/> only for types where a changed name is one this stream
/// wants, so a change to service A wakes only streams that see A.
/// </summary>
public sealed class GrainProxyWatch : IProxyWatch
{
    private readonly GrainConfigWatcher _owner;
    // Per type, indexed by TypeUrls.IndexOf (four slots, not dictionaries: 20,000 streams each hold these).
    private readonly Subscription?[] _subscriptions = new Subscription?[TypeUrls.PushOrder.Count];
    private readonly ProxySyncState?[] _sync = new ProxySyncState?[TypeUrls.PushOrder.Count];

    // Resolutions are cached per type until something that can change them happens; the handler
    // relies on getting the same instance back when nothing changed. A generation per type keeps a
    // result computed while a change landed from being cached stale. A change to a few names patches
    // the cached set (O(changed · log n)) instead of resolving every subscribed name again: with
    // 20,000 streams seeing a service, an endpoint change would otherwise re-resolve 20,000 × n names.
    private readonly Lock _cacheGate = new();
    private readonly (long Generation, ResolvedResources? Result)[] _resolved = new (long, ResolvedResources?)[TypeUrls.PushOrder.Count];
    private readonly long[] _generation = new long[TypeUrls.PushOrder.Count];
    private ImmutableHashSet<string> _hosts = NameSets.Empty;
    private volatile ScopeEntry? _scope;
    private HashSet<string>? _onDemand;
    private volatile RolloutCohort _cohort = RolloutCohort.None;
    private int _bucket = -1;
    private HashSet<string>? _nackReported;

    internal GrainProxyWatch(GrainConfigWatcher owner, ProxyNode node, WorkloadEntry workload, IProxyStatusGrain statusShard)
    {
        _owner = owner;
        Node = node;
        Workload = workload;
        StatusShard = statusShard;
        ConnectedAt = DateTimeOffset.UtcNow;
    }

    public event Action<string>? Changed;

    public ProxyNode Node { get; }

    /// <summary>The shared scope serving this stream; null until its workload said which.</summary>
    internal ScopeEntry? Scope => _scope;

    /// <summary>The stream's workload: which scope serves it, and its own resources.</summary>
    internal WorkloadEntry Workload { get; }

    /// <summary>The node's status shard, looked up once per stream (its disconnect; reports go in batches per shard).</summary>
    internal IProxyStatusGrain StatusShard { get; }

    /// <summary>The staged rollouts whose cohorts hold this stream (<see cref="RolloutCohort.None"/>: the baseline).</summary>
    public RolloutCohort Cohort => _cohort;

    /// <summary>The stream's cohort bucket (a stable hash of its node id, 0–9999).</summary>
    public int Bucket => _bucket >= 0 ? _bucket : _bucket = Model.Rollouts.Cohort.BucketOf(Node.Id);

    /// <summary>
    /// Moves the stream into other rollouts' cohorts: every set it holds is resolved again and every
    /// subscribed type re-sent where it differs (a stage that widens, a rollback).
    /// </summary>
    internal void SetCohort(RolloutCohort cohort)
    {
        if (ReferenceEquals(Interlocked.Exchange(ref _cohort, cohort), cohort))
        {
            return;
        }
        lock (_cacheGate)
        {
            for (var slot = 0; slot < _generation.Length; slot++)
            {
                _generation[slot]++;
            }
        }
        for (var slot = 0; slot < _subscriptions.Length; slot++)
        {
            if (Volatile.Read(ref _subscriptions[slot]) is not null)
            {
                Changed?.Invoke(TypeUrls.PushOrder[slot]);
            }
        }
    }

    /// <summary>Claims the first NACK report of this stream for <paramref name="rollout"/> (its grain counts each proxy once).</summary>
    internal bool ClaimNackReport(string rollout)
    {
        lock (_cacheGate)
        {
            return (_nackReported ??= new HashSet<string>(StringComparer.Ordinal)).Add(rollout);
        }
    }

    /// <summary>The scope serving this stream (null while it is being assigned).</summary>
    public string? ScopeKey => Scope?.Key;

    /// <summary>The workload this stream's proxy belongs to.</summary>
    public string WorkloadKey => Workload.Key;

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>The hosts whose service entries this stream holds.</summary>
    internal ImmutableHashSet<string> Hosts => Volatile.Read(ref _hosts);

    public IReadOnlyCollection<ProxySyncState> SyncStates
    {
        get
        {
            lock (_cacheGate)
            {
                return [.. _sync.OfType<ProxySyncState>()];
            }
        }
    }

    public void SetSubscription(string typeUrl, Subscription subscription)
    {
        var old = Interlocked.Exchange(ref _subscriptions[Slot(typeUrl)], subscription);
        // A delta client subscribing one more name (a learned cluster's endpoints) gets that name
        // resolved into the set it holds, not every name again; a large change is resolved whole.
        if (SubscriptionChange(old, subscription) is not { } names || !TryPatch(typeUrl, names, subscription, memo: null, membership: true))
        {
            Invalidate(typeUrl);
        }
        _owner.UpdateHosts(this);
        if (typeUrl == TypeUrls.Cluster)
        {
            _owner.LearnOnDemand(this);
        }
        else if (typeUrl == TypeUrls.Listener)
        {
            _owner.RecordProxylessDependencies(this);
        }
    }

    /// <summary>Most names a subscription change may add or drop and still be patched into the set held.</summary>
    internal const int MaxPatchedSubscriptionChange = 16;

    /// <summary>The names added to or dropped from a subscription; null when it changed more (or its wildcard did) than a patch is worth.</summary>
    private static List<string>? SubscriptionChange(Subscription? old, Subscription now)
    {
        if (old is null || old.Wildcard != now.Wildcard || Math.Abs(old.Names.Count - now.Names.Count) > MaxPatchedSubscriptionChange)
        {
            return null;
        }
        var names = new List<string>();
        foreach (var n in NameSets.SymmetricDifference(now.Names, old.Names))
        {
            if (n == "*")
            {
                continue;
            }
            names.Add(n);
            if (names.Count > MaxPatchedSubscriptionChange)
            {
                return null;
            }
        }
        return names.Count == 0 ? null : names;
    }

    /// <summary>The stream's current subscription of <paramref name="typeUrl"/>, if any.</summary>
    internal Subscription? SubscriptionOf(string typeUrl) => Volatile.Read(ref _subscriptions[Slot(typeUrl)]);

    /// <summary>
    /// Claims <paramref name="host"/> for one on-demand learn from this stream: true the first time,
    /// false when already claimed, null when the stream has claimed <paramref name="limit"/> hosts.
    /// </summary>
    internal bool? TryClaimOnDemand(string host, int limit)
    {
        lock (_cacheGate)
        {
            _onDemand ??= new HashSet<string>(StringComparer.Ordinal);
            if (_onDemand.Contains(host))
            {
                return false;
            }
            if (_onDemand.Count >= limit)
            {
                return null;
            }
            _onDemand.Add(host);
            return true;
        }
    }

    public ValueTask<ResolvedResources> ResolveAsync(string typeUrl)
    {
        long generation;
        lock (_cacheGate)
        {
            generation = _generation[Slot(typeUrl)];
            if (_resolved[Slot(typeUrl)] is { Result: { } cached } entry && entry.Generation == generation)
            {
                return ValueTask.FromResult(cached);
            }
        }
        var shared = ResolveShared(typeUrl);
        return shared.IsCompletedSuccessfully ? ValueTask.FromResult(Keep(typeUrl, generation, shared.Result)) : KeepAsync(typeUrl, generation, shared);
    }

    private async ValueTask<ResolvedResources> KeepAsync(string typeUrl, long generation, ValueTask<ResolvedResources> shared) =>
        Keep(typeUrl, generation, await shared.ConfigureAwait(false));

    private ResolvedResources Keep(string typeUrl, long generation, ResolvedResources result)
    {
        lock (_cacheGate)
        {
            if (_generation[Slot(typeUrl)] == generation)
            {
                _resolved[Slot(typeUrl)] = (generation, result);
            }
        }
        return result;
    }

    /// <summary>The set a peer of this stream's scope resolved for the same subscription, or a newly computed (interned) one.</summary>
    private ValueTask<ResolvedResources> ResolveShared(string typeUrl)
    {
        // One scope and workload snapshot for the whole set, however they change meanwhile.
        var scope = Scope;
        var workload = Workload.Snapshot;
        var sub = Volatile.Read(ref _subscriptions[Slot(typeUrl)]) ?? Subscription.None;
        var cohort = _cohort;
        var key = ResolutionCache.Key.Of(typeUrl, sub, workload, cohort, Node);
        if (scope is null)
        {
            return ValueTask.FromResult(_owner.Interner.Intern(typeUrl, Compute(typeUrl, sub, null, workload, cohort)));
        }
        if (scope.Resolutions.TryGet(key, out var shared))
        {
            return ValueTask.FromResult(shared!);
        }
        // One change wakes every stream of the scope at once: one of them resolves the set, the
        // others await it (without this, each computed and interned the same set, queuing on the
        // interner's lock: a fifth of a gateway's CPU during a 20,000-proxy push).
        var generation = scope.Resolutions.Generation(typeUrl);
        if (!scope.Resolutions.Join(key, generation, out var flight))
        {
            return new ValueTask<ResolvedResources>(flight);
        }
        ResolvedResources computed;
        try
        {
            if (!scope.Resolutions.TryGet(key, out var landed))
            {
                landed = _owner.Interner.Intern(typeUrl, Compute(typeUrl, sub, scope.Index, workload, cohort));
                scope.Resolutions.Store(key, generation, landed);
            }
            computed = landed!;
        }
        catch (Exception e)
        {
            scope.Resolutions.Land(key, generation, null, e);
            throw;
        }
        scope.Resolutions.Land(key, generation, computed);
        return ValueTask.FromResult(computed);
    }

    private void Invalidate(string typeUrl)
    {
        lock (_cacheGate)
        {
            _generation[Slot(typeUrl)]++;
        }
    }

    /// <summary>
    /// Applies changed <paramref name="names"/> to the current cached resolution of a type; false
    /// when there is no complete current one to patch, or another change raced this one (the caller
    /// then invalidates, and the next <see cref="ResolveAsync"/> computes the whole set). Streams sharing
    /// a resolution (see <see cref="ResolutionInterner"/>) share the patch through
    /// <paramref name="memo"/>: one change to a service all 20,000 streams see is patched once.
    /// </summary>
    private bool TryPatch(string typeUrl, List<string> names, Subscription? pickedBy, PatchMemo? memo, bool membership = false)
    {
        long generation;
        ResolvedResources baseline;
        lock (_cacheGate)
        {
            generation = _generation[Slot(typeUrl)];
            if (_resolved[Slot(typeUrl)] is not { Result: { Complete: true } cached } entry || entry.Generation != generation)
            {
                return false;
            }
            baseline = cached;
        }
        // The names were picked against a subscription read before this generation: if the stream
        // has changed it since (an unsubscribe racing the notification), patching would put an
        // unsubscribed name back into the set. SetSubscription stores the subscription
        // before it bumps the generation, so a change after this check fails the final one below.
        if (!ReferenceEquals(Volatile.Read(ref _subscriptions[Slot(typeUrl)]), pickedBy))
        {
            return false;
        }
        // Lookups take the gateway's lock: never under the cache lock. Listeners, routes and a
        // scope's own clusters resolve through the scope, so equal sets of two scopes patch apart.
        // A scope or subscription change's patch also decides membership (a wildcard set holds what
        // the scope lists, a named one what is subscribed): it is memoized apart from a service
        // change's of the same names. A wildcard subscription that also names resources decides
        // membership by them too: not shared.
        var wildcard = membership && pickedBy is { Wildcard: true };
        if (wildcard && pickedBy!.Names.Any(n => n != "*"))
        {
            memo = null;
        }
        var cohort = _cohort;
        var key = (baseline, typeUrl, Scope, cohort, Node.Quirks, Node.Locality, (membership ? (wildcard ? "*\n" : "=\n") : "") + (names.Count == 1 ? names[0] : string.Join('\n', names)));
        if (memo is null || !memo.TryGetValue(key, out var patched))
        {
            patched = Patch(typeUrl, baseline, names, membership, cohort);
            memo?.Add(key, patched);
        }
        if (patched is null)
        {
            return false;
        }
        lock (_cacheGate)
        {
            if (_generation[Slot(typeUrl)] != generation)
            {
                return false;
            }
            _generation[Slot(typeUrl)] = generation + 1;
            _resolved[Slot(typeUrl)] = (generation + 1, patched);
            return true;
        }
    }

    /// <summary>
    /// The baseline with <paramref name="names"/> re-resolved; null when one is still loading (the
    /// caller then resolves the set whole). With <paramref name="membership"/>, a name that resolves
    /// but that the set no longer selects (not subscribed, or a cluster the scope dropped from a
    /// wildcard set) leaves it, as a whole resolution would leave it out.
    /// </summary>
    private ResolvedResources? Patch(string typeUrl, ResolvedResources baseline, List<string> names, bool membership, RolloutCohort cohort)
    {
        _owner.OnResolved(typeUrl, patch: true);
        var index = Scope?.Index;
        var workload = Workload.Snapshot;
        var resources = baseline.Resources;
        var sub = Volatile.Read(ref _subscriptions[Slot(typeUrl)]) ?? Subscription.None;
        foreach (var name in names)
        {
            var r = ResolveOne(typeUrl, name, index, workload, cohort, out var pending);
            if (pending)
            {
                return null;
            }
            if (r is not null && membership && !sub.Names.Contains(name) && !(sub.Wildcard && ListedByWildcard(typeUrl, name, index, workload, cohort)))
            {
                r = null;
            }
            resources = r is null ? resources.Remove(name) : resources.SetItem(name, r);
        }
        return _owner.Interner.Intern(typeUrl, new ResolvedResources(true, resources));
    }

    /// <summary>A name a wildcard subscription of <paramref name="typeUrl"/> gets from the scope or workload (what <see cref="Compute"/> lists for it).</summary>
    private static bool ListedByWildcard(string typeUrl, string name, ScopeIndex? index, WorkloadSnapshot? workload, RolloutCohort cohort) => typeUrl switch
    {
        TypeUrls.Cluster => (index is not null && (index.HasVariants ? index.ClusterNamesFor(cohort).Contains(name, StringComparer.Ordinal) : index.Clusters.Contains(name)))
            || workload?.Clusters.Any(c => c.Name == name) == true,
        TypeUrls.Listener => index?.ServiceListeners.Contains(name) == true
            || index?.Find(TypeUrls.Listener, name, cohort) is not null
            || workload?.Listeners.Any(l => l.Name == name) == true,
        _ => false,
    };

    /// <summary>
    /// One subscribed name; <paramref name="pending"/> when its service (or the stream's scope) is
    /// still loading. A name of a service the stream's scope does not see does not exist for it.
    /// </summary>
    private XdsResource? ResolveOne(string typeUrl, string name, ScopeIndex? index, WorkloadSnapshot? workload, RolloutCohort cohort, out bool pending)
    {
        pending = false;
        if (HostOf(typeUrl, name) is { } owner)
        {
            if (index is null)
            {
                pending = true; // which services the stream sees is not known yet
                return null;
            }
            if (!index.Hosts.Contains(owner))
            {
                return null;
            }
            pending = _owner.GetService(owner) is not { Loaded: true };
        }
        return typeUrl switch
        {
            TypeUrls.Cluster => Adapted(FindCluster(index, workload, name, cohort, out _)),
            TypeUrls.Endpoint => Adapted(FromService(TypeUrls.Endpoint, name, cohort)),
            TypeUrls.Listener => index?.Find(TypeUrls.Listener, name, cohort)
                ?? workload?.Listeners.FirstOrDefault(l => l.Name == name)
                ?? FromService(TypeUrls.Listener, name, cohort),
            TypeUrls.Route => Adapted(index?.Find(TypeUrls.Route, name, cohort) ?? FromService(TypeUrls.Route, name, cohort)),
            _ => null,
        };
    }

    /// <summary>A resource as this client takes it (<see cref="GrainConfigWatcher.Adapt"/>), adapted once per resource for every such stream.</summary>
    private XdsResource? Adapted(XdsResource? resource) =>
        resource is null ? null : _owner.Adapt(resource, Node);

    private ResolvedResources Compute(string typeUrl, Subscription sub, ScopeIndex? index, WorkloadSnapshot? workload, RolloutCohort cohort)
    {
        _owner.OnResolved(typeUrl, patch: false);
        var snapshot = index?.Snapshot;
        var builder = ImmutableSortedDictionary.CreateBuilder<string, XdsResource>(StringComparer.Ordinal);
        var complete = true;

        if (sub.Wildcard)
        {
            if (snapshot is not { Ready: true } || workload is not { Ready: true })
            {
                return new ResolvedResources(false, builder.ToImmutable());
            }
            switch (typeUrl)
            {
                case TypeUrls.Listener:
                    foreach (var l in index!.ListenersFor(cohort).Concat(workload.Listeners))
                    {
                        builder[l.Name] = l;
                    }
                    // Proxyless gRPC: the API listeners of every service the scope sees.
                    foreach (var name in snapshot.ServiceListeners.IsDefault ? [] : snapshot.ServiceListeners)
                    {
                        var r = ResolveOne(TypeUrls.Listener, name, index, workload, cohort, out var pending);
                        complete &= !pending;
                        if (r is not null)
                        {
                            builder[name] = r;
                        }
                    }
                    break;
                case TypeUrls.Cluster:
                    foreach (var name in index!.ClusterNamesFor(cohort))
                    {
                        var r = Adapted(FindCluster(index, workload, name, cohort, out var pending));
                        complete &= !pending;
                        if (r is not null)
                        {
                            builder[name] = r;
                        }
                    }
                    foreach (var c in workload.Clusters)
                    {
                        builder[c.Name] = c;
                    }
                    break;
            }
        }

        foreach (var name in sub.Names)
        {
            if (name == "*" || builder.ContainsKey(name))
            {
                continue;
            }
            // A name whose service is still being fetched is unknown, not absent: no removal for it yet.
            var r = ResolveOne(typeUrl, name, index, workload, cohort, out var pending);
            complete &= !pending;
            if (r is not null)
            {
                builder[name] = r;
            }
        }
        return new ResolvedResources(complete, builder.ToImmutable());
    }

    public void ReportSent(string typeUrl, string version, string nonce, ResolvedResources sent)
    {
        // The set the response was built from: the stream's cached resolution may already be a newer
        // one (or none, when a change invalidated it while it was computed).
        UpdateSync(typeUrl, (version, sent.Resources), static (s, a) => s with { Sent = a.version, LastSentResources = a.Resources });
        _owner.Report(this, new ProxyEvent(ProxyEventKind.Sent, typeUrl, version, null));
    }

    public void ReportAck(string typeUrl, string version)
    {
        var state = UpdateSync(typeUrl, version, static (s, version) => s with { Acked = version });
        if (typeUrl == TypeUrls.Cluster && Scope?.FenceKey is not null)
        {
            _owner.OnFencedClusterAck(this, state.LastSentResources);
        }
        _owner.Report(this, new ProxyEvent(ProxyEventKind.Ack, typeUrl, version, null));
    }

    public void ReportNack(string typeUrl, string version, string errorDetail)
    {
        var state = UpdateSync(typeUrl, (version, errorDetail), static (s, a) => s with { Nacked = a.version, LastError = a.errorDetail });
        if (!_cohort.IsNone)
        {
            _owner.OnCandidateNack(this, typeUrl, state.LastSentResources, errorDetail);
        }
        _owner.Report(this, new ProxyEvent(ProxyEventKind.Nack, typeUrl, version, errorDetail));
    }

    /// <summary>Replaces a type's sync state under the lock; <paramref name="update"/> gets its argument passed, not captured (this runs per response and ACK).</summary>
    private ProxySyncState UpdateSync<TArg>(string typeUrl, TArg arg, Func<ProxySyncState, TArg, ProxySyncState> update)
    {
        lock (_cacheGate)
        {
            var slot = Slot(typeUrl);
            return _sync[slot] = update(_sync[slot] ?? new ProxySyncState(typeUrl, null, null, null, null, ImmutableSortedDictionary<string, XdsResource>.Empty), arg);
        }
    }

    private static int Slot(string typeUrl) => TypeUrls.IndexOf(typeUrl) is var i and >= 0
        ? i
        : throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl, "not a type Mesh serves");

    public ValueTask DisposeAsync() => _owner.ReleaseAsync(this);

    /// <summary>The hosts this stream needs service entries for: its scope's clusters plus every named subscription.</summary>
    internal ImmutableHashSet<string> ComputeHosts()
    {
        if (Scope?.Index is not { } index)
        {
            return NameSets.Empty; // which services the stream sees is not known yet
        }
        // A name is served only if its service is one the scope sees, so the hosts a stream needs
        // are at most its scope's. Envoy always asks for the wildcard sets: exactly its scope's
        // hosts, one shared set for every stream of the scope, computed once per snapshot.
        if (Node.Kind != ProxyKind.Proxyless || HasWildcard(TypeUrls.Cluster) || HasWildcard(TypeUrls.Listener))
        {
            return index.HostSet;
        }
        // A proxyless client usually names its targets: the hosts of the names it may see.
        var hosts = new List<string>();
        for (var i = 0; i < _subscriptions.Length; i++)
        {
            var type = TypeUrls.PushOrder[i];
            foreach (var name in Volatile.Read(ref _subscriptions[i])?.Names ?? [])
            {
                // Only names the stream may see: a name invented by the client activates no grain.
                if (HostOf(type, name) is { } h && index.Hosts.Contains(h))
                {
                    hosts.Add(h);
                }
            }
        }
        return NameSets.Of(hosts);
    }

    internal void SetHosts(ImmutableHashSet<string> hosts) => Volatile.Write(ref _hosts, hosts);

    private bool HasWildcard(string typeUrl) => Volatile.Read(ref _subscriptions[Slot(typeUrl)]) is { Wildcard: true };

    /// <summary>The gateway moved this stream to another scope (its workload's changed).</summary>
    internal void SetScope(ScopeEntry scope) => _scope = scope;

    /// <summary>Called by the gateway when resources of a service or the scope changed.</summary>
    internal void OnChanged(IReadOnlyList<ResourceId> changed, bool scopeChanged, PatchMemo? memo = null)
    {
        if (scopeChanged)
        {
            OnScopeChanged(ResolutionCache.AllTypes);
            return;
        }
        if (Want(changed) is { } wanted)
        {
            Apply(wanted, memo);
        }
    }

    /// <summary>The stream's scope or workload changed what the types in <paramref name="types"/> resolve to (a <see cref="ResolutionCache.Bit"/> mask).</summary>
    internal void OnScopeChanged(int types)
    {
        if ((types & ResolutionCache.Bit(TypeUrls.Cluster)) != 0)
        {
            // A stream that subscribed before its fenced scope arrived (or changed) is checked again.
            _owner.LearnOnDemand(this);
        }
        for (var slot = 0; slot < TypeUrls.PushOrder.Count; slot++)
        {
            if ((types & (1 << slot)) != 0)
            {
                Invalidate(TypeUrls.PushOrder[slot]);
            }
        }
        for (var slot = 0; slot < TypeUrls.PushOrder.Count; slot++)
        {
            if ((types & (1 << slot)) != 0)
            {
                Changed?.Invoke(TypeUrls.PushOrder[slot]);
            }
        }
    }

    /// <summary>
    /// The stream's scope took a new snapshot. When the scope says which names it changed (both
    /// snapshots ready), only those are re-resolved, in the sets that hold or list them: a fence
    /// that learned a host costs its streams that host's cluster, endpoints and route, not their
    /// whole sets again. Otherwise every type of <see cref="ScopeChange.Types"/> is resolved again.
    /// </summary>
    internal void OnScopeChanged(ScopeChange change, PatchMemo memo)
    {
        if (change.Names is null)
        {
            OnScopeChanged(change.Types);
            return;
        }
        if ((change.Types & ResolutionCache.Bit(TypeUrls.Cluster)) != 0)
        {
            _owner.LearnOnDemand(this); // as a whole resolution would: a pending on-demand name may be the scope's now
        }
        var wanted = new WantedChange();
        var any = false;
        for (var slot = 0; slot < TypeUrls.PushOrder.Count; slot++)
        {
            if (change.Names[slot] is not { Count: > 0 } names || Volatile.Read(ref _subscriptions[slot]) is not { } sub)
            {
                continue;
            }
            var type = TypeUrls.PushOrder[slot];
            // A wildcard LDS/CDS set holds what the scope lists: every changed name may enter or leave it.
            var picked = sub.Wildcard && type is TypeUrls.Cluster or TypeUrls.Listener ? names : names.Where(sub.Names.Contains).ToList();
            if (picked.Count > 0)
            {
                wanted.Names[slot] = picked;
                wanted.PickedBy[slot] = sub;
                any = true;
            }
        }
        if (any)
        {
            Apply(wanted, memo, membership: true);
        }
    }

    /// <summary>
    /// The changed names this stream wants, per type, with the subscription each was picked by;
    /// null when it wants none. Called for every stream holding a changed service, so it allocates
    /// only for a stream that wants something.
    /// </summary>
    internal WantedChange? Want(IReadOnlyList<ResourceId> changed)
    {
        WantedChange? wanted = null;
        var index = Scope?.Index;
        foreach (var id in changed)
        {
            var slot = TypeUrls.IndexOf(id.TypeUrl);
            if (slot < 0)
            {
                continue;
            }
            var sub = Volatile.Read(ref _subscriptions[slot]);
            if (sub is not null && (sub.Names.Contains(id.Name)
                || (sub.Wildcard && id.TypeUrl == TypeUrls.Cluster && index?.Clusters.Contains(id.Name) == true)
                || (sub.Wildcard && id.TypeUrl == TypeUrls.Listener && index?.ServiceListeners.Contains(id.Name) == true)))
            {
                wanted ??= new WantedChange();
                (wanted.Names[slot] ??= []).Add(id.Name);
                wanted.PickedBy[slot] ??= sub;
            }
        }
        return wanted;
    }

    /// <summary>Patches (or invalidates) the wanted types' resolutions, then raises <see cref="Changed"/> for each.</summary>
    internal void Apply(WantedChange wanted, PatchMemo? memo, bool membership = false)
    {
        for (var slot = 0; slot < wanted.Names.Length; slot++)
        {
            if (wanted.Names[slot] is { Count: > 0 } names && !TryPatch(TypeUrls.PushOrder[slot], names, wanted.PickedBy[slot], memo, membership))
            {
                Invalidate(TypeUrls.PushOrder[slot]);
            }
        }
        for (var slot = 0; slot < wanted.Names.Length; slot++)
        {
            if (wanted.Names[slot] is not null)
            {
                Changed?.Invoke(TypeUrls.PushOrder[slot]);
            }
        }
    }

    /// <summary>Per type slot, the changed names a stream wants and the subscription that picked them.</summary>
    internal sealed class WantedChange
    {
        public List<string>?[] Names { get; } = new List<string>?[TypeUrls.PushOrder.Count];

        public Subscription?[] PickedBy { get; } = new Subscription?[TypeUrls.PushOrder.Count];
    }

    private XdsResource? FindCluster(ScopeIndex? index, WorkloadSnapshot? workload, string name, RolloutCohort cohort, out bool pending)
    {
        pending = false;
        if (index?.Snapshot.OwnClusters.FirstOrDefault(c => c.Name == name) is { } own)
        {
            return own;
        }
        if (workload?.Clusters.FirstOrDefault(c => c.Name == name) is { } inbound)
        {
            return inbound;
        }
        if (!ResourceNames.TryParseOutbound(name, out _, out _, out var host))
        {
            return null;
        }
        var entry = _owner.GetService(host);
        if (entry is null || !entry.Loaded)
        {
            pending = true;
            return null;
        }
        return entry.Get(TypeUrls.Cluster, name, cohort);
    }

    private XdsResource? FromService(string typeUrl, string name, RolloutCohort cohort) =>
        HostOf(typeUrl, name) is { } host ? _owner.GetService(host)?.Get(typeUrl, name, cohort) : null;

    private static string? HostOf(string typeUrl, string name)
    {
        if (ResourceNames.TryParseOutbound(name, out _, out _, out var host))
        {
            return host;
        }
        if (typeUrl is TypeUrls.Listener or TypeUrls.Route && ResourceNames.TryParseHostPort(name, out host, out _))
        {
            return host;
        }
        return null;
    }
}
