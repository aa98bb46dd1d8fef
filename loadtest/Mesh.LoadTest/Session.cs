using System.Collections.Concurrent;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// One run's world: the mesh's shape and generated manifests, the control plane under test, and the
/// swarm of simulated sidecars with, per proxy, its group, what it must hold (its visible clusters,
/// listener <c>0.0.0.0_80</c>, route <c>80</c>) and when it first held all of it, taken from
/// <see cref="SimulatedProxyOptions.OnUpdate"/>. While recording, every EDS, CDS and route-80 update
/// is kept with its arrival time (and, for routes, the config-churn markers in its bytes).
/// </summary>
internal sealed class Session : IAsyncDisposable
{
    private const int ProblemsKept = 5;
    private static readonly byte[] MarkerPrefix = "cc-"u8.ToArray();
    private readonly ProxyState[] _states;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _seers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private readonly int[] _groupRanks;
    private readonly IReadOnlyList<string>[] _listenerNames;

    /// <summary>Whether proxy <paramref name="i"/> is a proxyless gRPC client (<see cref="LoadOptions.ProxylessShare"/>, spread evenly by index).</summary>
    private bool IsProxyless(int i) => Options.ProxylessShare > 0 && LoadOptions.Picked(i, Options.ProxylessShare);
    private long _unsubscribedEds;
    private volatile bool _recording;

    private Session(LoadOptions options, string dir)
    {
        Options = options;
        Dir = dir;
        Shape = MeshShape.For(options);
        Generator = new MeshGenerator(dir, Shape, options.Endpoints);
        var services = Shape.Services;
        var seen = Groups.Select(g => (g.Services ?? Enumerable.Range(0, services.Count)).Select(i => services[i]).ToList()).ToList();
        var visible = seen.Select(v => v.Select(s => s.Cluster).ToHashSet(StringComparer.Ordinal)).ToList();
        var required = visible.Select(v => new RequiredConfig(v)).ToList();
        // A proxyless client resolves the listener of every service its group sees: it must hold those listeners and routes.
        _listenerNames = [.. seen.Select(v => (IReadOnlyList<string>)[.. v.Select(s => ResourceNames.HostPort(s.Host, 80))])];
        var requiredProxyless = options.ProxylessShare > 0 ? [.. visible.Select((v, g) => new RequiredConfig(v, _listenerNames[g]))] : required;
        _states = new ProxyState[options.Proxies];
        for (var i = 0; i < _states.Length; i++)
        {
            var g = Shape.GroupOf(i);
            _states[i] = new ProxyState(g, visible[g], IsProxyless(i) ? requiredProxyless[g] : required[g]);
        }
        _groupRanks = GroupRanks([.. _states.Select(s => s.Group)]);
        var byGroup = Enumerable.Range(0, _states.Length).GroupBy(i => _states[i].Group).ToDictionary(g => g.Key, g => g.ToArray());
        foreach (var s in services)
        {
            _seers[s.Cluster] = [.. Enumerable.Range(0, Groups.Count).Where(g => visible[g].Contains(s.Cluster))
                .SelectMany(g => byGroup.GetValueOrDefault(g, [])).Order()];
        }
    }

    public LoadOptions Options { get; }

    public string Dir { get; }

    public MeshShape Shape { get; }

    public MeshGenerator Generator { get; }

    public IReadOnlyList<ClientGroup> Groups => Shape.Groups;

    public IMeshTarget? Target { get; private set; }

    public ProxySwarm Swarm { get; private set; } = null!;

    public IReadOnlyList<ProxyState> States => _states;

    /// <summary>EDS updates (applied) for clusters the proxy does not see: pushes it should never get.</summary>
    public long UnsubscribedEdsUpdates => Interlocked.Read(ref _unsubscribedEds);

    /// <summary>Updates recorded while <see cref="StartRecording"/> is on.</summary>
    public ConcurrentQueue<UpdateEvent> Events { get; } = new();

    public IReadOnlyList<string> Problems => [.. _problems.Take(ProblemsKept)];

    /// <summary>The mesh's processes right after it started, before any proxy connected (gateways, and with the namespaced shape the silo, after a full GC).</summary>
    public IReadOnlyList<ProcessSample> IdleSamples { get; private set; } = [];

    /// <summary>Indices of the proxies that see <paramref name="cluster"/>.</summary>
    public IReadOnlyList<int> Seers(string cluster) => _seers.TryGetValue(cluster, out var s) ? s : [];

    public int ProxyIndex(string id) => _index[id];

    /// <summary>Writes the mesh, starts the control plane and builds (not starts) the swarm.</summary>
    public static async Task<Session> StartAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-loadtest-").FullName;
        var session = new Session(options, dir);
        try
        {
            await session.Generator.WriteAllAsync().ConfigureAwait(false);
            session.Target = options.Limit ? await LimitTarget.StartAsync(dir, cancellationToken).ConfigureAwait(false)
                : options.Cluster ? await ClusterTarget.StartAsync(dir, options.GatewayCount, cancellationToken).ConfigureAwait(false)
                : await EmbeddedTarget.StartAsync(dir, cancellationToken).ConfigureAwait(false);
            await session.Target.CollectGatewayGarbageAsync(cancellationToken).ConfigureAwait(false);
            if (options.Namespaced)
            {
                // The silo's live heap before any scope exists: memory per scope is also reported as growth from here.
                await session.Target.CollectSiloGarbageAsync(cancellationToken).ConfigureAwait(false);
            }
            session.IdleSamples = await session.Target.SampleAsync(cancellationToken).ConfigureAwait(false);
            session.Swarm = new ProxySwarm(options.Proxies, session.ProxyOptions, new SwarmOptions { ShareChannels = true, ShareStrings = true, SpreadOverGateways = false });
            foreach (var (p, i) in session.Swarm.Proxies.Select((p, i) => (p, i)))
            {
                session._index[p.Id] = i;
            }
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void StartRecording() => _recording = true;

    public void StopRecording() => _recording = false;

    /// <summary>
    /// True when the proxy holds its visible clusters with exactly the <paramref name="expectedEds"/>
    /// versions (and <paramref name="expectedClusters"/> versions, if given), no other outbound cluster
    /// or EDS resource, and listener and route 80.
    /// </summary>
    public bool InSync(ProxyView v, IReadOnlyDictionary<string, string> expectedEds, IReadOnlyDictionary<string, string>? expectedClusters = null)
    {
        var state = _states[_index[v.Id]];
        return state.Visible.All(c => expectedEds.TryGetValue(c, out var e) && v.Version(TypeUrls.Endpoint, c) == e
                && (expectedClusters is null ? v.Holds(TypeUrls.Cluster, c) : expectedClusters.TryGetValue(c, out var k) && v.Version(TypeUrls.Cluster, c) == k))
            && HoldsOnly(v, state.Visible)
            && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Holds(TypeUrls.Route, "80");
    }

    /// <summary>True when every outbound cluster and every EDS resource the proxy holds is one it sees (its own inbound, passthrough and blackhole clusters aside).</summary>
    public static bool HoldsOnly(ProxyView v, HashSet<string> visible) =>
        v.Held(TypeUrls.Endpoint).Keys.All(visible.Contains)
        && v.Held(TypeUrls.Cluster).Keys.All(c => !c.StartsWith("outbound|", StringComparison.Ordinal) || visible.Contains(c));

    /// <summary>The clusters proxy <paramref name="i"/> sees.</summary>
    public HashSet<string> Visible(int i) => _states[i].Visible;

    public async ValueTask DisposeAsync()
    {
        if (Swarm is not null)
        {
            await Swarm.DisposeAsync().ConfigureAwait(false);
        }
        if (Target is not null)
        {
            await Target.DisposeAsync().ConfigureAwait(false);
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    /// <summary>The config-churn markers (<c>cc-NNNNNNN</c>) in a resource's bytes.</summary>
    internal static int[] Markers(ReadOnlySpan<byte> body)
    {
        List<int>? found = null;
        var offset = 0;
        while (offset < body.Length)
        {
            var at = body[offset..].IndexOf(MarkerPrefix);
            if (at < 0)
            {
                break;
            }
            var start = offset + at + MarkerPrefix.Length;
            var n = 0;
            var digits = 0;
            while (digits < 7 && start + digits < body.Length && body[start + digits] is >= (byte)'0' and <= (byte)'9')
            {
                n = (n * 10) + (body[start + digits] - '0');
                digits++;
            }
            if (digits == 7)
            {
                (found ??= []).Add(n);
            }
            offset = start;
        }
        return found is null ? [] : [.. found.Distinct()];
    }

    /// <summary>
    /// Each proxy's rank among the proxies of its group. A proxy of rank r starts at gateway r mod G and is
    /// delta as the delta share picks r / G, so every group is spread over the gateways and every (group,
    /// gateway) cell gets the same mix; with one group this is proxy i at gateway i mod G, as before. By
    /// index alone, group and gateway and mode followed each other: with 4 groups every proxy of group 0 was
    /// SotW, and the 1% picked by --visible-fraction 0.01 were all delta and all on the second gateway.
    /// </summary>
    internal static int[] GroupRanks(int[] groups)
    {
        var next = new Dictionary<int, int>();
        var ranks = new int[groups.Length];
        for (var i = 0; i < ranks.Length; i++)
        {
            next.TryGetValue(groups[i], out var rank);
            ranks[i] = rank;
            next[groups[i]] = rank + 1;
        }
        return ranks;
    }

    /// <summary>Where the proxy of rank <paramref name="rank"/> in its group starts, and its mode (see <see cref="GroupRanks"/>).</summary>
    internal static (int FirstGateway, ProxyMode Mode) Placement(int rank, int gateways, double deltaShare) =>
        (rank % gateways, LoadOptions.Picked(rank / gateways, deltaShare) ? ProxyMode.Delta : ProxyMode.Sotw);

    private SimulatedProxyOptions ProxyOptions(int i)
    {
        var id = Shape.Identity(i);
        var gateways = Target!.Gateways;
        var (first, mode) = Placement(_groupRanks[i], gateways.Count, Options.DeltaShare);
        var proxyless = IsProxyless(i);
        var node = proxyless
            ? SimulatedProxyOptions.ProxylessNode(id.Pod, id.Namespace, MeshShape.ProxyIp(i))
            : SimulatedProxyOptions.SidecarNode(id.Pod, id.Namespace, MeshShape.ProxyIp(i), id.Labels, id.WorkloadName);
        if (Options.Zones > 0)
        {
            node.Locality = new Envoy.Config.Core.V3.Locality { Region = "region-1", Zone = "zone-" + (i % Options.Zones).ToString(System.Globalization.CultureInfo.InvariantCulture) };
        }
        return new SimulatedProxyOptions
        {
            Node = node,
            Mode = mode,
            ListenerNames = proxyless ? _listenerNames[_states[i].Group] : null,
            // Starts at gateway (rank mod G); its failover order rotates with it.
            Gateways = ProxySwarm.StartingAt(gateways, first),
            MaxConnectAttempts = 50,
            Seed = i,
            OnUpdate = u => OnUpdate(i, u),
            NackWhen = r => ShouldNack(i, r),
        };
    }

    /// <summary>While set, the first proxy sent a route NACKs it (and records when); every other proxy accepts: see <see cref="LoadOptions.RolloutNack"/>.</summary>
    public volatile bool NackRoutes;

    private int _nacker = -1;

    /// <summary>The proxy that NACKed since <see cref="ResetNacks"/>, or -1.</summary>
    public int Nacker => Volatile.Read(ref _nacker);

    private bool ShouldNack(int i, XdsResponseInfo response)
    {
        if (!NackRoutes || response.TypeUrl != TypeUrls.Route || Interlocked.CompareExchange(ref _nacker, i, -1) != -1)
        {
            return false;
        }
        return _states[i].TryMarkNacked(DateTime.UtcNow);
    }

    /// <summary>Forgets the NACK (before the next change).</summary>
    public void ResetNacks()
    {
        foreach (var s in _states)
        {
            s.NackedAt = null;
        }
        Volatile.Write(ref _nacker, -1);
    }

    private void OnUpdate(int i, ResourceUpdate u)
    {
        var state = _states[i];
        if (u.Removed)
        {
            return;
        }
        if (u.TypeUrl == TypeUrls.Endpoint && !state.Visible.Contains(u.Name) && Interlocked.Increment(ref _unsubscribedEds) <= ProblemsKept)
        {
            _problems.Enqueue($"proxy {u.ProxyId} (group {Groups[state.Group].Name}) was sent EDS {u.Name} it does not see");
        }
        if (_recording)
        {
            if (u.TypeUrl is TypeUrls.Endpoint or TypeUrls.Cluster)
            {
                Events.Enqueue(new UpdateEvent(i, u.TypeUrl, u.Name, u.Version, u.ReceivedAt, []));
            }
            else if (u.TypeUrl == TypeUrls.Route && u.Name == "80")
            {
                Events.Enqueue(new UpdateEvent(i, u.TypeUrl, u.Name, u.Version, u.ReceivedAt, Markers(u.Body.Span)));
            }
        }
        state.Received(u.TypeUrl, u.Name, u.ReceivedAt);
    }
}

/// <summary>A resource version applied at a proxy (route 80: with the config-churn markers it carries).</summary>
internal readonly record struct UpdateEvent(int Proxy, string TypeUrl, string Name, string Version, DateTime ReceivedAt, int[] Markers);

/// <summary>
/// What every proxy of one client group must hold before it has full config: the cluster and
/// endpoints of each service it sees, listener 0.0.0.0_80 and route 80, each numbered. Shared by
/// the group's proxies, which keep only a bit per resource: a set of 242 names per proxy was 4.8
/// million entries for 20,000 proxies, and hashing both strings of each update into it was a
/// twentieth of the tool's CPU during a connect.
/// </summary>
internal sealed class RequiredConfig
{
    private readonly Dictionary<string, int>[] _slots = [.. TypeUrls.PushOrder.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal))];

    /// <summary>A sidecar's (listener 0.0.0.0_80, route 80), or with <paramref name="proxylessListeners"/> a proxyless client's (each <c>host:80</c> listener and route).</summary>
    public RequiredConfig(IEnumerable<string> clusters, IEnumerable<string>? proxylessListeners = null)
    {
        foreach (var c in clusters)
        {
            Add(TypeUrls.Cluster, c);
            Add(TypeUrls.Endpoint, c);
        }
        foreach (var name in proxylessListeners ?? ["0.0.0.0_80"])
        {
            Add(TypeUrls.Listener, name);
        }
        foreach (var name in proxylessListeners ?? ["80"])
        {
            Add(TypeUrls.Route, name);
        }
    }

    /// <summary>Resources required.</summary>
    public int Count { get; private set; }

    private void Add(string type, string name)
    {
        if (_slots[TypeUrls.IndexOf(type)].TryAdd(name, Count))
        {
            Count++;
        }
    }

    /// <summary>The number of a required resource; false for one not required (or a type not served).</summary>
    public bool TrySlot(string type, string name, out int slot)
    {
        slot = -1;
        var t = TypeUrls.IndexOf(type);
        return t >= 0 && _slots[t].TryGetValue(name, out slot);
    }
}

/// <summary>What one proxy must hold and when it first held all of it.</summary>
internal sealed class ProxyState
{
    private readonly Lock _gate = new();
    private long _nackedAtTicks;

    /// <summary>When the proxy NACKed a route (<see cref="Session.NackRoutes"/>), null until it does.</summary>
    public DateTime? NackedAt
    {
        get => Interlocked.Read(ref _nackedAtTicks) is var t and > 0 ? new DateTime(t, DateTimeKind.Utc) : null;
        set => Interlocked.Exchange(ref _nackedAtTicks, value?.Ticks ?? 0);
    }

    /// <summary>Records the first NACK since the last reset; false when the proxy already NACKed.</summary>
    public bool TryMarkNacked(DateTime at) => Interlocked.CompareExchange(ref _nackedAtTicks, at.Ticks, 0) == 0;
    private readonly RequiredConfig _required;
    private readonly ulong[] _held;
    private int _missing;

    public ProxyState(int group, HashSet<string> visible, RequiredConfig required)
    {
        Group = group;
        Visible = visible;
        _required = required;
        _held = new ulong[(required.Count + 63) / 64];
        _missing = required.Count;
    }

    public int Group { get; }

    public HashSet<string> Visible { get; }

    public DateTime StartedAt { get; set; }

    public DateTime? FullAt { get; private set; }

    public void Received(string type, string name, DateTime at)
    {
        if (FullAt is not null || !_required.TrySlot(type, name, out var slot))
        {
            return;
        }
        lock (_gate)
        {
            ref var word = ref _held[slot / 64];
            var bit = 1UL << (slot % 64);
            if ((word & bit) == 0)
            {
                word |= bit;
                if (--_missing == 0)
                {
                    FullAt = at;
                }
            }
        }
    }
}
