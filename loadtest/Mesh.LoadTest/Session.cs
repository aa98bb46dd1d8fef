using System.Collections.Concurrent;
using System.Globalization;
using Mesh.LoadTest.Proxies;
using Mesh.Model.Translation;

namespace Mesh.LoadTest;

/// <summary>
/// One run's world: the generated manifests, the embedded mesh, and the swarm of simulated sidecars
/// with, per proxy, what it must hold (its visible clusters, listener <c>0.0.0.0_80</c>, route
/// <c>80</c>) and when it first held all of it, taken from <see cref="SimulatedProxyOptions.OnUpdate"/>.
/// Wide proxies (<c>app=client</c>) see every service; narrow ones (<c>app=client-narrow</c>) only
/// those past the churned ones.
/// </summary>
internal sealed class Session : IAsyncDisposable
{
    private const int ProblemsKept = 5;
    private readonly ProxyState[] _states;
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _problems = new();
    private long _unsubscribedEds;
    private volatile bool _recording;

    private Session(LoadOptions options, string dir)
    {
        Options = options;
        Dir = dir;
        Generator = new MeshGenerator(dir, options.Services, options.Endpoints);
        var k = options.ChurnedServices;
        WideClusters = [.. Enumerable.Range(0, options.Services).Select(MeshGenerator.Cluster)];
        NarrowClusters = options.VisibleFraction < 1 ? [.. Enumerable.Range(k, options.Services - k).Select(MeshGenerator.Cluster)] : WideClusters;
        _states = new ProxyState[options.Proxies];
        for (var i = 0; i < _states.Length; i++)
        {
            var wide = options.VisibleFraction >= 1 || LoadOptions.Picked(i, options.VisibleFraction);
            _states[i] = new ProxyState(wide, wide ? WideClusters : NarrowClusters);
        }
    }

    public LoadOptions Options { get; }

    public string Dir { get; }

    public MeshGenerator Generator { get; }

    public HashSet<string> WideClusters { get; }

    public HashSet<string> NarrowClusters { get; }

    public IMeshTarget? Target { get; private set; }

    public ProxySwarm Swarm { get; private set; } = null!;

    public IReadOnlyList<ProxyState> States => _states;

    /// <summary>EDS updates (applied) for clusters the proxy does not see: pushes it should never get.</summary>
    public long UnsubscribedEdsUpdates => Interlocked.Read(ref _unsubscribedEds);

    /// <summary>EDS updates recorded while <see cref="StartRecording"/> is on.</summary>
    public ConcurrentQueue<EdsEvent> Events { get; } = new();

    public IReadOnlyList<string> Problems => [.. _problems.Take(ProblemsKept)];

    public int ProxyIndex(string id) => _index[id];

    /// <summary>Writes the mesh, starts the embedded control plane and builds (not starts) the swarm.</summary>
    public static async Task<Session> StartAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("mesh-loadtest-").FullName;
        var session = new Session(options, dir);
        try
        {
            var k = options.ChurnedServices;
            await session.Generator.WriteAllAsync(options.VisibleFraction < 1 ? [.. Enumerable.Range(k, options.Services - k)] : null).ConfigureAwait(false);
            session.Target = options.Cluster
                ? await ClusterTarget.StartAsync(dir, options.GatewayCount, cancellationToken).ConfigureAwait(false)
                : await EmbeddedTarget.StartAsync(dir, cancellationToken).ConfigureAwait(false);
            session.Swarm = new ProxySwarm(options.Proxies, session.ProxyOptions, new SwarmOptions { ShareChannels = true, ShareStrings = true });
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

    /// <summary>True when the proxy holds its visible clusters with exactly the <paramref name="expected"/> EDS versions, and listener and route 80.</summary>
    public bool InSync(ProxyView v, IReadOnlyDictionary<string, string> expected)
    {
        var state = _states[_index[v.Id]];
        return state.Visible.All(c => v.Holds(TypeUrls.Cluster, c) && expected.TryGetValue(c, out var e) && v.Version(TypeUrls.Endpoint, c) == e)
            && v.Holds(TypeUrls.Listener, "0.0.0.0_80") && v.Holds(TypeUrls.Route, "80");
    }

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

    private SimulatedProxyOptions ProxyOptions(int i)
    {
        var state = _states[i];
        var labels = new Dictionary<string, string> { ["app"] = state.Wide ? "client" : MeshGenerator.NarrowApp };
        var ip = string.Create(CultureInfo.InvariantCulture, $"10.200.{i / 250}.{(i % 250) + 1}");
        return new SimulatedProxyOptions
        {
            Node = SimulatedProxyOptions.SidecarNode(string.Create(CultureInfo.InvariantCulture, $"client-{i}-lt-x{i}"), MeshGenerator.Ns, ip, labels),
            Mode = LoadOptions.Picked(i, Options.DeltaShare) ? ProxyMode.Delta : ProxyMode.Sotw,
            Gateways = Target!.Gateways,
            MaxConnectAttempts = 50,
            Seed = i,
            OnUpdate = u => OnUpdate(i, u),
        };
    }

    private void OnUpdate(int i, ResourceUpdate u)
    {
        var state = _states[i];
        if (u.TypeUrl == TypeUrls.Endpoint && !u.Removed)
        {
            if (!state.Visible.Contains(u.Name))
            {
                if (Interlocked.Increment(ref _unsubscribedEds) <= ProblemsKept)
                {
                    _problems.Enqueue($"proxy {u.ProxyId} ({(state.Wide ? "wide" : "narrow")}) was sent EDS {u.Name} it does not see");
                }
            }
            if (_recording)
            {
                Events.Enqueue(new EdsEvent(i, u.Name, u.Version, u.ReceivedAt));
            }
        }
        if (!u.Removed)
        {
            state.Received(u.TypeUrl, u.Name, u.ReceivedAt);
        }
    }
}

/// <summary>An EDS resource version applied at a proxy.</summary>
internal readonly record struct EdsEvent(int Proxy, string Cluster, string Version, DateTime ReceivedAt);

/// <summary>What one proxy must hold and when it first held all of it.</summary>
internal sealed class ProxyState
{
    private readonly Lock _gate = new();
    private readonly HashSet<(string Type, string Name)> _missing = [];

    public ProxyState(bool wide, HashSet<string> visible)
    {
        Wide = wide;
        Visible = visible;
        foreach (var c in visible)
        {
            _missing.Add((TypeUrls.Cluster, c));
            _missing.Add((TypeUrls.Endpoint, c));
        }
        _missing.Add((TypeUrls.Listener, "0.0.0.0_80"));
        _missing.Add((TypeUrls.Route, "80"));
    }

    public bool Wide { get; }

    public HashSet<string> Visible { get; }

    public DateTime StartedAt { get; set; }

    public DateTime? FullAt { get; private set; }

    public void Received(string type, string name, DateTime at)
    {
        lock (_gate)
        {
            if (FullAt is null && _missing.Remove((type, name)) && _missing.Count == 0)
            {
                FullAt = at;
            }
        }
    }
}
