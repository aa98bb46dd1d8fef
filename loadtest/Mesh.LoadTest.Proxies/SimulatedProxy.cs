using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Model.Translation;
using Metric = Mesh.LoadTest.Proxies.ProxyCounters.Metric;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// One simulated proxy on one ADS stream at a time, behaving like Envoy (or, with
/// <see cref="SimulatedProxyOptions.ListenerNames"/>, a proxyless gRPC client): wildcard CDS and LDS,
/// then the EDS of every EDS cluster and the RDS of every listener's HttpConnectionManager; ACKs
/// everything unless told to NACK. It keeps only name → <see cref="HeldResource"/> per type. When a
/// stream fails it reconnects to the next gateway with jittered exponential backoff and resumes:
/// delta with <c>initial_resource_versions</c> (X-38), SotW with its last versions.
/// </summary>
public sealed partial class SimulatedProxy : IAsyncDisposable
{
    private const int Cds = 0;
    private const int Eds = 1;
    private const int Lds = 2;
    private const int Rds = 3;
    private const int MaxViolationsKept = 16;
    private static readonly int[] RequestOrder = [Cds, Lds, Eds, Rds];

    private readonly SimulatedProxyOptions _options;
    private readonly Lock _gate = new();
    private readonly TypeState[] _types = [new(), new(), new(), new()];

    // Per parent type, parent name → the names it pulls: CDS → EDS, LDS → RDS, RDS → CDS (proxyless).
    private readonly Dictionary<string, string[]>[] _links = [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];
    private readonly ProxyCounters _counters = new();
    private readonly List<string> _violations = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _firstResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Random _random;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private Uri? _connectedTo;
    private int _streams;
    private bool _resumed;
    private bool _streamHadResponse;
    private bool _everHadResponse;
    private string? _lastFailure;
    private string? _fatal;
    private int _disposed;

    public SimulatedProxy(SimulatedProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Gateways.Count == 0)
        {
            throw new ArgumentException("a simulated proxy needs at least one gateway address", nameof(options));
        }
        _options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        var proxyless = options.ListenerNames is not null;
        _types[Cds].Wildcard = !proxyless;
        _types[Lds].Wildcard = !proxyless;
        if (proxyless)
        {
            _types[Lds].Names.UnionWith(options.ListenerNames!);
        }
    }

    public string Id => _options.Node.Id;

    public SimulatedProxyOptions Options => _options;

    private bool Proxyless => _options.ListenerNames is not null;

    /// <summary>
    /// Starts the stream loop; completes when the first response arrives (on whichever gateway), or
    /// fails when the proxy gives up after <see cref="SimulatedProxyOptions.MaxConnectAttempts"/>.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException($"proxy {Id} is already started");
        }
        _loop = Task.Run(() => RunGuardedAsync(_stop.Token), CancellationToken.None);
        return _firstResponse.Task.WaitAsync(cancellationToken);
    }

    public ProxyView View()
    {
        lock (_gate)
        {
            var held = new IReadOnlyDictionary<string, HeldResource>[_types.Length];
            for (var t = 0; t < held.Length; t++)
            {
                held[t] = new Dictionary<string, HeldResource>(_types[t].Held, StringComparer.Ordinal);
            }
            return new ProxyView(Id, _options.Mode, _connectedTo, _streams, held, _counters.Clone(), [.. _violations], _lastFailure, _fatal);
        }
    }

    /// <summary>True if the proxy holds <paramref name="name"/> (at <paramref name="version"/>, if given); no snapshot is copied.</summary>
    public bool Holds(string typeUrl, string name, string? version = null)
    {
        lock (_gate)
        {
            return ProxyCounters.IndexOf(typeUrl) is var t and >= 0
                && _types[t].Held.TryGetValue(name, out var r) && (version is null || r.Version == version);
        }
    }

    public ProxyCounters Counters()
    {
        lock (_gate)
        {
            return _counters.Clone();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for a snapshot; throws <see cref="TimeoutException"/> saying what was seen.</summary>
    public async Task<ProxyView> WaitUntilAsync(Func<ProxyView, bool> condition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            var view = View();
            if (condition(view))
            {
                return view;
            }
            if (view.FatalError is not null)
            {
                throw new InvalidOperationException($"proxy {Id} gave up before the condition held: {view}");
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"proxy {Id}: condition not met within {timeout.TotalSeconds:0.#} s; last seen {view}");
            }
            // Woken by every applied response; the periodic wake is a safety net only.
            await Task.WhenAny(changed, Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    /// <summary>Anything the loop does not expect (a callback that throws, say) ends the proxy visibly, never silently.</summary>
    private async Task RunGuardedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync(cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the error is surfaced through the view, StartAsync and WaitUntilAsync
        catch (Exception ex)
#pragma warning restore CA1031
        {
            lock (_gate)
            {
                _fatal = $"stream loop failed: {ex}";
                SignalLocked();
            }
            _firstResponse.TrySetException(new InvalidOperationException($"proxy {Id}: {_fatal}", ex));
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var attempt = 0;
        var next = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var address = _options.Gateways[next++ % _options.Gateways.Count];
            string failure;
            try
            {
                await RunStreamAsync(address, cancellationToken).ConfigureAwait(false);
                failure = "the server ended the stream";
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException ex)
            {
                failure = $"{ex.StatusCode}: {ex.Status.Detail}";
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or HttpRequestException)
            {
                failure = ex.Message;
            }

            bool giveUp;
            lock (_gate)
            {
                attempt = _streamHadResponse ? 1 : attempt + 1;
                _connectedTo = null;
                _lastFailure = $"{address}: {failure}";
                _counters.StreamFailures++;
                giveUp = attempt >= _options.MaxConnectAttempts;
                if (giveUp)
                {
                    _fatal = $"{attempt} consecutive streams failed; last {_lastFailure}";
                }
                SignalLocked();
            }
            if (giveUp)
            {
                _firstResponse.TrySetException(new InvalidOperationException($"proxy {Id}: {_fatal}"));
                return;
            }
            try
            {
                await Task.Delay(Backoff.Delay(attempt, _options.BackoffBase, _options.BackoffMax, _random), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            lock (_gate)
            {
                _counters.Reconnects++;
            }
        }
        _firstResponse.TrySetCanceled(CancellationToken.None);
    }

    private async Task RunStreamAsync(Uri address, CancellationToken cancellationToken)
    {
        var channel = _options.Channels?.Invoke(address) ?? OwnChannel(address);
        try
        {
            lock (_gate)
            {
                _streams++;
                _resumed = _everHadResponse;
                _streamHadResponse = false;
                _connectedTo = address;
                foreach (var state in _types)
                {
                    state.Nonce = "";
                }
                SignalLocked();
            }
            var invoker = channel.CreateCallInvoker();
            if (_options.Mode == ProxyMode.Delta)
            {
                await RunDeltaAsync(invoker, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await RunSotwAsync(invoker, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_options.Channels is null)
            {
                channel.Dispose();
            }
        }
    }

    private GrpcChannel OwnChannel(Uri address) => _options.Authority is not { } authority
        ? GrpcChannel.ForAddress(address)
        : GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = new AuthorityHandler(authority) { InnerHandler = new SocketsHttpHandler() },
            DisposeHttpClient = true,
        });

    private void OnResponseLocked()
    {
        _streamHadResponse = true;
        _everHadResponse = true;
        _firstResponse.TrySetResult();
    }

    private bool NackLocked(int type, string typeUrl, string version, string nonce, Func<IReadOnlyList<string>> names, IReadOnlyList<string> removed)
    {
        if (_options.NackWhen is not { } nackWhen || !nackWhen(new XdsResponseInfo(typeUrl, version, nonce, names(), removed)))
        {
            return false;
        }
        _counters.Add(Metric.Nacks, type);
        return true;
    }

    private static Google.Rpc.Status NackDetail(string version) =>
        new() { Code = (int)StatusCode.InvalidArgument, Message = $"simulated NACK of version {version}" };

    /// <summary>
    /// Records one resource as held (version, bytes hash, first time this version arrived) and what it
    /// pulls. A null <paramref name="version"/> (SotW) is the content hash of the bytes.
    /// </summary>
    private void ApplyLocked(int type, string name, string? version, ReadOnlyMemory<byte> body, DateTime now)
    {
        var state = _types[type];
        var hash = BytesHash.Of(body.Span);
        name = Intern(name);
        version = Intern(version ?? BytesHash.Version(hash));
        _counters.Add(Metric.Resources, type);
        var same = state.Held.TryGetValue(name, out var prior) && prior.Version == version;
        if (same)
        {
            if (_resumed)
            {
                _counters.Add(Metric.Resent, type);
            }
        }
        else
        {
            _counters.Add(Metric.Changed, type);
            _options.OnUpdate?.Invoke(new ResourceUpdate(Id, TypeUrls.PushOrder[type], name, version, now, Removed: false, body));
        }
        state.Held[name] = new HeldResource(version, hash, same ? prior.ReceivedAt : now);
        state.EverHeld = true;

        var pulls = type switch
        {
            Cds => ResourceLinks.EdsOfCluster(body.Span),
            Lds => ResourceLinks.RoutesOfListener(body.Span),
            Rds when Proxyless => ResourceLinks.ClustersOfRoute(body.Span),
            _ => null,
        };
        if (pulls is { Length: > 0 })
        {
            _links[type][name] = [.. pulls.Select(Intern)];
        }
        else
        {
            _links[type].Remove(name);
        }
    }

    private bool RemoveLocked(int type, string name, bool orderedByServer, DateTime now)
    {
        if (!_types[type].Held.Remove(name))
        {
            return false;
        }
        _links[type].Remove(name);
        if (orderedByServer)
        {
            _counters.Add(Metric.Removals, type);
        }
        _options.OnUpdate?.Invoke(new ResourceUpdate(Id, TypeUrls.PushOrder[type], name, "", now, Removed: true));
        return true;
    }

    /// <summary>X-26/X-27 SAFETY: an LDS/CDS response must never leave a proxy that held listeners/clusters with none.</summary>
    private void CheckSafetyLocked(int type, bool everHeld, int heldBefore, string what)
    {
        if (type is not (Cds or Lds) || !everHeld || _types[type].Held.Count > 0)
        {
            return;
        }
        _counters.SafetyViolations++;
        if (_violations.Count < MaxViolationsKept)
        {
            _violations.Add($"{TypeUrls.ShortName(TypeUrls.PushOrder[type])}: {what} left the proxy holding none (held {heldBefore}) at {DateTime.UtcNow:O}");
        }
    }

    /// <summary>
    /// Re-derives what the parent type pulls (CDS → EDS, LDS → RDS, proxyless RDS → CDS → EDS),
    /// drops what is no longer pulled, and returns each subscription that changed.
    /// </summary>
    private List<SubscriptionChange> ReconcileLocked(int parentType, DateTime now)
    {
        var changes = new List<SubscriptionChange>();
        for (var parent = parentType; ChildOf(parent) is var child and >= 0; parent = child)
        {
            var wanted = new HashSet<string>(_links[parent].Values.SelectMany(c => c), StringComparer.Ordinal);
            var state = _types[child];
            var added = wanted.Where(n => !state.Names.Contains(n)).Order(StringComparer.Ordinal).ToList();
            var removed = state.Names.Where(n => !wanted.Contains(n)).Order(StringComparer.Ordinal).ToList();
            if (added.Count == 0 && removed.Count == 0)
            {
                break;
            }
            state.Names = wanted;
            foreach (var name in removed)
            {
                RemoveLocked(child, name, orderedByServer: false, now);
            }
            changes.Add(new SubscriptionChange(child, added, removed));
        }
        return changes;
    }

    private int ChildOf(int type) => type switch
    {
        Cds => Eds,
        Lds => Rds,
        Rds when Proxyless => Cds,
        _ => -1,
    };

    private List<string> SubscriptionLocked(int type) =>
        _types[type].Wildcard ? [] : [.. _types[type].Names.Order(StringComparer.Ordinal)];

    private void SignalLocked()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private string Intern(string s) => _options.Strings?.Intern(s) ?? s;

    private sealed record SubscriptionChange(int Type, List<string> Added, List<string> Removed);

    /// <summary>Per type: what is held, what is subscribed, and the SotW version and nonce of the current stream.</summary>
    private sealed class TypeState
    {
        public Dictionary<string, HeldResource> Held { get; } = new(StringComparer.Ordinal);

        public bool Wildcard { get; set; }

        public HashSet<string> Names { get; set; } = new(StringComparer.Ordinal);

        public string SotwVersion { get; set; } = "";

        public string Nonce { get; set; } = "";

        public bool EverHeld { get; set; }
    }
}
