using System.Globalization;
using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// The fake server's etcd and watch cache in one: objects per kind, one global resource version
/// bumped by every write, the history of writes since the last compaction, list snapshots for
/// paginated lists, and the open watches. One lock guards it all; watches are fed under that lock,
/// so each sees events in resource-version order. Stored objects are never mutated once stored.
/// </summary>
internal sealed class KubeObjectStore(TimeProvider time, Action changed)
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly Lock _gate = new();
    private readonly Dictionary<KubeResourceType, SortedDictionary<string, JsonObject>> _objects = [];
    private readonly List<KubeStoredEvent> _history = [];
    private readonly List<KubeWatch> _watches = [];
    private readonly Dictionary<string, (long ResourceVersion, KeyValuePair<string, JsonObject>[] Items)> _snapshots = new(StringComparer.Ordinal);
    private long _resourceVersion = 100;
    private long _compactedThrough;

    public long ResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public JsonObject Get(KubeResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return Objects(type).GetValueOrDefault(Key(type, ns, name)) ?? throw KubeApiException.NotFound(type, name);
        }
    }

    public JsonObject Create(KubeResourceType type, string? ns, JsonObject body)
    {
        var (obj, meta) = Prepare(type, ns, body);
        var name = KubeJson.String(meta["name"]);
        if (string.IsNullOrEmpty(name))
        {
            var prefix = KubeJson.String(meta["generateName"]);
            name = string.IsNullOrEmpty(prefix)
                ? throw new KubeApiException(422, $"{type.Kind} \"\" is invalid: metadata.name: Required value: name or generateName is required")
                : prefix + string.Concat(Enumerable.Range(0, 5).Select(_ => GenerateNameAlphabet[Random.Shared.Next(GenerateNameAlphabet.Length)]));
            meta["name"] = name;
        }

        lock (_gate)
        {
            var key = Key(type, KubeJson.String(meta["namespace"]), name);
            if (Objects(type).ContainsKey(key))
            {
                throw KubeApiException.AlreadyExists(type, name);
            }

            meta["uid"] = Guid.NewGuid().ToString();
            meta["resourceVersion"] = Next();
            meta["generation"] = 1L;
            meta["creationTimestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            Objects(type)[key] = obj;
            Record(new("ADDED", type, _resourceVersion, obj, null));
            return obj;
        }
    }

    /// <summary>
    /// A PATCH of the <c>status</c> subresource: the patch is applied to the whole object and only its
    /// status kept (spec changes through <c>/status</c> are ignored, as on the real server); the
    /// resourceVersion moves, the generation does not; a patch that changes nothing writes nothing.
    /// </summary>
    public JsonObject PatchStatus(KubeResourceType type, string? ns, string name, Func<JsonObject, JsonObject> patch)
    {
        lock (_gate)
        {
            var key = Key(type, ns, name);
            var existing = Objects(type).GetValueOrDefault(key) ?? throw KubeApiException.NotFound(type, name);
            var patched = patch(existing);
            var obj = KubeJson.Copy(existing);
            obj.Remove("status");
            if (patched["status"] is { } status)
            {
                obj["status"] = status.DeepClone();
            }
            if (JsonNode.DeepEquals(existing, obj))
            {
                return existing;
            }

            KubeJson.Metadata(obj)!["resourceVersion"] = Next();
            Objects(type)[key] = obj;
            Record(new("MODIFIED", type, _resourceVersion, obj, existing));
            return obj;
        }
    }

    /// <summary>
    /// PUT semantics: 404 when missing, 409 when the body names a stale resourceVersion (an empty one
    /// updates unconditionally). An update that changes nothing writes nothing, as on the real server.
    /// </summary>
    public JsonObject Replace(KubeResourceType type, string? ns, string name, JsonObject body)
    {
        var (obj, meta) = Prepare(type, ns, body);
        if (KubeJson.String(meta["name"]) is { Length: > 0 } bodyName && bodyName != name)
        {
            throw KubeApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        meta["name"] = name;
        lock (_gate)
        {
            var key = Key(type, KubeJson.String(meta["namespace"]), name);
            var existing = Objects(type).GetValueOrDefault(key) ?? throw KubeApiException.NotFound(type, name);
            var existingMeta = KubeJson.Metadata(existing)!;
            if (KubeJson.String(meta["resourceVersion"]) is { Length: > 0 } rv && rv != KubeJson.String(existingMeta["resourceVersion"]))
            {
                throw KubeApiException.Conflict(type, name);
            }

            var uid = KubeJson.String(existingMeta["uid"]);
            if (KubeJson.String(meta["uid"]) is { Length: > 0 } bodyUid && bodyUid != uid)
            {
                throw new KubeApiException(409, $"Precondition failed: UID in precondition: {bodyUid}, UID in object meta: {uid}", "Conflict");
            }

            var generation = existingMeta["generation"]?.GetValue<long>() ?? 1;
            meta["uid"] = uid;
            meta["creationTimestamp"] = existingMeta["creationTimestamp"]?.DeepClone();
            meta["generation"] = SpecChanged(existing, obj) ? generation + 1 : generation;
            meta["resourceVersion"] = existingMeta["resourceVersion"]?.DeepClone();
            if (JsonNode.DeepEquals(existing, obj))
            {
                return existing;
            }

            meta["resourceVersion"] = Next();
            Objects(type)[key] = obj;
            Record(new("MODIFIED", type, _resourceVersion, obj, existing));
            return obj;
        }
    }

    /// <summary>Deletes now (no finalizers); the DELETED event carries the last state at the deletion's resource version.</summary>
    public JsonObject Delete(KubeResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            var key = Key(type, ns, name);
            var existing = Objects(type).GetValueOrDefault(key) ?? throw KubeApiException.NotFound(type, name);
            Objects(type).Remove(key);
            var last = KubeJson.Copy(existing);
            KubeJson.Metadata(last)!["resourceVersion"] = Next();
            Record(new("DELETED", type, _resourceVersion, last, existing));
            return last;
        }
    }

    /// <summary>
    /// A page of the kind's objects in key order. Without <paramref name="limit"/> everything at the
    /// current resource version; with it, pages cut from one snapshot until <see cref="Compact"/>
    /// expires the snapshot (410 Expired, as a continue token past etcd's compaction gets).
    /// </summary>
    public KubeListPage List(KubeResourceType type, KubeObjectFilter filter, int? limit, string? continueToken)
    {
        string? snapshotId = null;
        string? after = null;
        long resourceVersion;
        KeyValuePair<string, JsonObject>[] items;
        lock (_gate)
        {
            if (continueToken is { Length: > 0 })
            {
                var token = KubeContinueToken.Decode(continueToken);
                (resourceVersion, items) = _snapshots.GetValueOrDefault(token.Snapshot);
                if (items is null)
                {
                    throw new KubeApiException(410, "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.", "Expired");
                }

                (snapshotId, after) = (token.Snapshot, token.LastKey);
            }
            else
            {
                (resourceVersion, items) = (_resourceVersion, [.. Objects(type)]);
            }
        }

        var selected = items.Where(i => (after is null || string.CompareOrdinal(i.Key, after) > 0) && filter.Matches(i.Value)).ToList();
        if (limit is not > 0 || selected.Count <= limit)
        {
            return new([.. selected.Select(i => i.Value)], resourceVersion, null, null);
        }

        if (snapshotId is null)
        {
            snapshotId = Guid.NewGuid().ToString("N");
            lock (_gate)
            {
                _snapshots[snapshotId] = (resourceVersion, items);
            }
        }

        var page = selected.Take(limit.Value).ToList();
        var next = new KubeContinueToken(snapshotId, resourceVersion, page[^1].Key).Encode();
        int? remaining = filter.SelectsEverythingInScope ? selected.Count - page.Count : null;
        return new([.. page.Select(i => i.Value)], resourceVersion, next, remaining);
    }

    /// <summary>
    /// Opens <paramref name="watch"/>: an unset or "0" resource version (or sendInitialEvents) gets a
    /// synthetic ADDED per current object; a resource version replays the history after it; one older
    /// than the last compaction gets a single ERROR (410 Expired) and no registration.
    /// </summary>
    public void OpenWatch(KubeWatch watch, string? resourceVersion, bool sendInitialEvents)
    {
        lock (_gate)
        {
            if (sendInitialEvents || resourceVersion is null or "" or "0")
            {
                foreach (var obj in Objects(watch.Type).Values.Where(watch.Filter.Matches))
                {
                    watch.Added(obj);
                }

                watch.StartAfter = _resourceVersion;
                if (sendInitialEvents && watch.Bookmarks)
                {
                    watch.Bookmark(_resourceVersion, initialEventsEnd: true);
                }
            }
            else
            {
                if (!long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var from))
                {
                    throw KubeApiException.BadRequest($"resourceVersion: Invalid value: \"{resourceVersion}\": must be a non-negative integer");
                }

                if (from < _compactedThrough)
                {
                    watch.Fail(new KubeApiException(410, $"too old resource version: {from} ({_compactedThrough})", "Expired").ToStatus());
                    return;
                }

                watch.StartAfter = from;
                foreach (var evt in _history)
                {
                    watch.Offer(evt);
                }
            }

            _watches.Add(watch);
        }

        changed();
    }

    public void CloseWatch(KubeWatch watch)
    {
        bool removed;
        lock (_gate)
        {
            removed = _watches.Remove(watch);
        }

        if (removed)
        {
            changed();
        }
    }

    public int OpenWatchCount(KubeResourceType type)
    {
        lock (_gate)
        {
            return _watches.Count(w => w.Type == type);
        }
    }

    /// <summary>Forgets the history and list snapshots up to now: older resource versions and continue tokens get 410.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _compactedThrough = _resourceVersion;
            _history.Clear();
            _snapshots.Clear();
        }
    }

    public void SendBookmarks()
    {
        lock (_gate)
        {
            foreach (var watch in _watches.Where(w => w.Bookmarks))
            {
                watch.Bookmark(_resourceVersion);
            }
        }
    }

    /// <summary>Applies <paramref name="action"/> (which ends the response) to the open watches <paramref name="which"/> selects, and forgets them.</summary>
    public void CloseWatches(Func<KubeWatch, bool> which, Action<KubeWatch> action)
    {
        lock (_gate)
        {
            var closing = _watches.Where(which).ToList();
            closing.ForEach(action);
            _watches.RemoveAll(closing.Contains);
        }

        changed();
    }

    private static string Key(KubeResourceType type, string? ns, string name) => type.Namespaced ? $"{ns}/{name}" : name;

    // Generation counts changes to anything but metadata and status, as for kinds with a status subresource.
    private static bool SpecChanged(JsonObject before, JsonObject after) =>
        before.Select(p => p.Key).Union(after.Select(p => p.Key))
            .Any(k => k is not ("metadata" or "status") && !JsonNode.DeepEquals(before[k], after[k]));

    private static (JsonObject Obj, JsonObject Meta) Prepare(KubeResourceType type, string? ns, JsonObject body)
    {
        var obj = KubeJson.Copy(body);
        obj.Remove("kind");
        obj.Remove("apiVersion");
        var meta = KubeJson.Metadata(obj) ?? throw KubeApiException.BadRequest("Object 'metadata' is missing");
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return (obj, meta);
        }

        var bodyNs = KubeJson.String(meta["namespace"]);
        if (ns is not null && bodyNs is { Length: > 0 } && bodyNs != ns)
        {
            throw KubeApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        meta["namespace"] = ns ?? (bodyNs is { Length: > 0 } ? bodyNs : "default");
        return (obj, meta);
    }

    private SortedDictionary<string, JsonObject> Objects(KubeResourceType type)
    {
        if (!_objects.TryGetValue(type, out var objects))
        {
            objects = new(StringComparer.Ordinal);
            _objects[type] = objects;
        }

        return objects;
    }

    private string Next() => (++_resourceVersion).ToString(CultureInfo.InvariantCulture);

    private void Record(KubeStoredEvent evt)
    {
        _history.Add(evt);
        foreach (var watch in _watches)
        {
            watch.Offer(evt);
        }

        changed();
    }
}
