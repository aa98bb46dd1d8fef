using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// An in-process Kubernetes API server on 127.0.0.1 (HTTP/1.1) that a real client can list and watch
/// over the real wire protocol: one global resource version, uids, paginated lists (their metadata as the
/// real server writes it, <c>"continue": ""</c> on a custom resource list's last page), label selectors,
/// chunked watch streams with history replay, bookmarks and in-stream 410s. Test controls write
/// objects directly (as into etcd), compact history, drop or fail watches, queue HTTP failures, break list
/// paging and hold requests; a request log, per-kind counters and <see cref="WaitUntilAsync"/> let tests
/// assert what the client did without sleeping. Kinds are named by their Kind (<c>"Service"</c>, <c>"VirtualService"</c>).
/// </summary>
public sealed class FakeKubeApiServer : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly KubeObjectStore _store;
    private readonly KubeResourceRegistry _registry;
    private readonly KubeFaultInjector _faults = new();
    private readonly KubeChangeSignal _signal = new();
    private readonly KubeRequestHolds _holds;
    private readonly ConcurrentQueue<KubeApiRequest> _requests = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer? _bookmarkTimer;

    private FakeKubeApiServer(FakeKubeApiServerOptions options)
    {
        _registry = new(options.ResourceTypes);
        _store = new(options.TimeProvider, _signal.Pulse);
        _holds = new(_signal.Pulse);
        var handler = new KubeApiHandler(_store, _registry, _faults, _holds, options.EmptyContinueOnBuiltInLists, OnRequest, options.TimeProvider, _stopping.Token);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        _app = builder.Build();
        _app.Run(handler.HandleAsync);
        if (options.BookmarkInterval is { } interval)
        {
            _bookmarkTimer = options.TimeProvider.CreateTimer(_ => _store.SendBookmarks(), null, interval, interval);
        }
    }

    /// <summary>The base address, e.g. <c>http://127.0.0.1:41234/</c>; give it to <c>KubernetesClientConfiguration.Host</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The resource version of the latest write.</summary>
    public long ResourceVersion => _store.ResourceVersion;

    public IReadOnlyList<KubeResourceType> ResourceTypes => _registry.Types;

    /// <summary>Every request received so far, oldest first.</summary>
    public IReadOnlyList<KubeApiRequest> Requests => [.. _requests];

    public static async Task<FakeKubeApiServer> StartAsync(FakeKubeApiServerOptions? options = null)
    {
        var server = new FakeKubeApiServer(options ?? new());
        await server._app.StartAsync().ConfigureAwait(false);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address");
        server.Url = new Uri(address);
        return server;
    }

    /// <summary>
    /// Stores a new object (its <c>kind</c> picks the type, <c>apiVersion</c> the version echoed back;
    /// a namespaced object without a namespace goes to <c>default</c>) and returns it as stored, with
    /// uid, resourceVersion, generation and creationTimestamp. Throws <see cref="KubeApiException"/> (409) if it exists.
    /// </summary>
    public JsonObject Create(JsonObject obj)
    {
        var (type, version) = TypeOf(obj);
        return KubeJson.Stamped(_store.Create(type, null, obj), type, version);
    }

    public JsonObject Create(string json) => Create(Parse(json));

    /// <summary>Replaces an object as PUT does: 404 if missing, 409 if <c>metadata.resourceVersion</c> is set and stale.</summary>
    public JsonObject Update(JsonObject obj)
    {
        var (type, version) = TypeOf(obj);
        var meta = KubeJson.Metadata(obj);
        var name = KubeJson.String(meta?["name"]) ?? throw new ArgumentException("metadata.name is required", nameof(obj));
        var ns = type.Namespaced ? KubeJson.String(meta?["namespace"]) ?? "default" : null;
        return KubeJson.Stamped(_store.Replace(type, ns, name, obj), type, version);
    }

    public JsonObject Update(string json) => Update(Parse(json));

    /// <summary>Deletes an object and returns its last state at the deletion's resource version; 404 if missing.</summary>
    public JsonObject Delete(string kind, string? ns, string name)
    {
        var type = _registry.ByKind(kind);
        return KubeJson.Stamped(_store.Delete(type, Scope(type, ns), name), type, type.PreferredVersion);
    }

    /// <summary>The stored object, or null; <paramref name="group"/> picks between groups serving one kind (Slime's ServiceFence).</summary>
    public JsonObject? Get(string kind, string? ns, string name, string? group = null)
    {
        var type = _registry.ByKind(kind, group);
        try
        {
            return KubeJson.Stamped(_store.Get(type, Scope(type, ns), name), type, type.PreferredVersion);
        }
        catch (KubeApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>The stored objects of a kind (in one namespace, or all), in key order.</summary>
    public IReadOnlyList<JsonObject> List(string kind, string? ns = null)
    {
        var type = _registry.ByKind(kind);
        var page = _store.List(type, KubeObjectFilter.Create(ns, null, null), null, null);
        return [.. page.Items.Select(o => KubeJson.Stamped(o, type, type.PreferredVersion))];
    }

    /// <summary>
    /// Stops serving a kind at one version (or all): its URLs answer 404 and discovery omits it, as when
    /// the CRD is not installed. Open watches of it end. Stored objects stay.
    /// </summary>
    public void StopServing(string kind, string? version = null)
    {
        var type = _registry.ByKind(kind);
        _registry.SetServed(type, version, served: false);
        _store.CloseWatches(w => w.Type == type && (version is null || w.ApiVersion == type.ApiVersion(version)), w => w.End());
    }

    public void ResumeServing(string kind, string? version = null) => _registry.SetServed(_registry.ByKind(kind), version, served: true);

    /// <summary>Forgets history up to now: watches from older resource versions, and continue tokens issued before, get 410 Expired.</summary>
    public void Compact() => _store.Compact();

    /// <summary>Aborts every open watch connection mid-stream, as a network drop would.</summary>
    public void DropWatches() => _store.CloseWatches(_ => true, w => w.Drop());

    /// <summary>Sends a BOOKMARK at the current resource version to every watch opened with allowWatchBookmarks=true.</summary>
    public void SendBookmarks() => _store.SendBookmarks();

    /// <summary>Sends every open watch an ERROR event carrying a Status with <paramref name="code"/>, then ends its response.</summary>
    public void InjectWatchError(int code, string? message = null)
    {
        var resourceVersion = _store.ResourceVersion;
        _store.CloseWatches(_ => true, w => w.Fail(new KubeApiException(
            code,
            message ?? (code == 410 ? $"too old resource version: {w.StartAfter} ({resourceVersion})" : $"injected watch error {code}")).ToStatus()));
    }

    /// <summary>
    /// The next <paramref name="count"/> requests whose path starts with <paramref name="pathPrefix"/>
    /// (and, when given, of <paramref name="verb"/>) get <paramref name="statusCode"/> with a Status body;
    /// 429s carry <c>Retry-After: 1</c>.
    /// </summary>
    public void FailNext(string pathPrefix, int statusCode, int count = 1, KubeApiVerb? verb = null) => _faults.Add(pathPrefix, statusCode, count, verb);

    /// <summary>
    /// Breaks the paging of <paramref name="kind"/>'s lists until called again with <see cref="KubePagingFault.None"/>:
    /// every list request gets the first page, with a continue token that never ends the list.
    /// </summary>
    public void BreakPaging(string kind, KubePagingFault fault) => _faults.SetPagingFault(_registry.ByKind(kind), fault);

    /// <summary>
    /// Holds requests whose path starts with <paramref name="pathPrefix"/> (and, when given, of
    /// <paramref name="verb"/>) until the returned hold is released or disposed; they are recorded in
    /// <see cref="Requests"/> on arrival and then served as usual (queued failures included). While
    /// held they wait without a thread; one still held when its client gives up or the server stops is aborted.
    /// </summary>
    public KubeRequestHold Hold(string pathPrefix, KubeApiVerb? verb = null) => _holds.Add(pathPrefix, verb);

    public int ListRequestCount(string kind) => RequestCount(kind, KubeApiVerb.List);

    public int WatchRequestCount(string kind) => RequestCount(kind, KubeApiVerb.Watch);

    public int OpenWatchCount(string kind) => _store.OpenWatchCount(_registry.ByKind(kind));

    /// <summary>Waits until exactly <paramref name="count"/> watches of <paramref name="kind"/> are open (0 waits for all to close).</summary>
    public Task WaitForOpenWatchesAsync(string kind, int count, TimeSpan? timeout = null)
    {
        var type = _registry.ByKind(kind);
        return WaitUntilAsync(
            () => _store.OpenWatchCount(type) == count,
            () => $"open {kind} watches: expected {count}, actual {_store.OpenWatchCount(type)}",
            timeout);
    }

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, re-testing it whenever a request arrives, an
    /// object is written or a watch opens or closes; the <see cref="TimeoutException"/> says <paramref name="describe"/>.
    /// </summary>
    public Task WaitUntilAsync(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null) =>
        _signal.WaitUntilAsync(condition, timeout ?? DefaultWait, describe);

    public async ValueTask DisposeAsync()
    {
        _bookmarkTimer?.Dispose();
        await _stopping.CancelAsync().ConfigureAwait(false);
        _store.CloseWatches(_ => true, w => w.End());
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static JsonObject Parse(string json) =>
        JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException("expected a JSON object", nameof(json));

    private static string? Scope(KubeResourceType type, string? ns) =>
        !type.Namespaced ? null : ns ?? throw new ArgumentException($"{type.Kind} is namespaced: give a namespace", nameof(ns));

    private void OnRequest(KubeApiRequest request)
    {
        _requests.Enqueue(request);
        _signal.Pulse();
    }

    private int RequestCount(string kind, KubeApiVerb verb)
    {
        var type = _registry.ByKind(kind);
        return _requests.Count(r => r.Kind == type.Kind && r.Verb == verb);
    }

    private (KubeResourceType Type, string Version) TypeOf(JsonObject obj)
    {
        var apiVersion = KubeJson.String(obj["apiVersion"]);
        // One kind may be served in two groups (Slime's ServiceFence): the apiVersion's group picks.
        var group = apiVersion is null || !apiVersion.Contains('/', StringComparison.Ordinal) ? null : apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)];
        var type = _registry.ByKind(KubeJson.String(obj["kind"]) ?? throw new ArgumentException("kind is required", nameof(obj)), group);
        var version = apiVersion is null ? type.PreferredVersion : apiVersion[(apiVersion.IndexOf('/', StringComparison.Ordinal) + 1)..];
        return apiVersion is null || type.ApiVersion(version) == apiVersion && type.Versions.Contains(version)
            ? (type, version)
            : throw new ArgumentException($"{type.Kind} is not served at apiVersion '{apiVersion}'", nameof(obj));
    }
}
