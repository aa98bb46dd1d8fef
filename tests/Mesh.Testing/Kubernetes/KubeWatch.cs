using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// One open watch: what it selects and the queue of lines its HTTP response writes. The store
/// queues under its lock, so lines leave in resource-version order; one writer drains the queue.
/// </summary>
internal sealed class KubeWatch(KubeResourceType type, string version, KubeObjectFilter filter, bool bookmarks, Action abort)
{
    private readonly Channel<Line> _lines = Channel.CreateUnbounded<Line>(new UnboundedChannelOptions { SingleReader = true });

    public KubeResourceType Type { get; } = type;

    public string ApiVersion { get; } = type.ApiVersion(version);

    public KubeObjectFilter Filter { get; } = filter;

    public bool Bookmarks { get; } = bookmarks;

    /// <summary>Events at or below this resource version were already covered when the watch opened.</summary>
    public long StartAfter { get; set; }

    public ChannelReader<Line> Lines => _lines.Reader;

    public void Added(JsonObject obj) => _lines.Writer.TryWrite(new("ADDED", obj));

    /// <summary>
    /// Queues <paramref name="evt"/> as this watch sees it: an object modified into the selection
    /// is ADDED, one modified out of it is DELETED (the watch cache's rule).
    /// </summary>
    public void Offer(KubeStoredEvent evt)
    {
        if (evt.ResourceType != Type || evt.ResourceVersion <= StartAfter)
        {
            return;
        }

        var now = Filter.Matches(evt.Object);
        var before = evt.Previous is not null && Filter.Matches(evt.Previous);
        var type = evt.Type switch
        {
            "MODIFIED" when now && before => "MODIFIED",
            "MODIFIED" when now => "ADDED",
            "MODIFIED" when before => "DELETED",
            "MODIFIED" => null,
            _ => now ? evt.Type : null,
        };
        if (type is not null)
        {
            _lines.Writer.TryWrite(new(type, evt.Object));
        }
    }

    /// <summary>A BOOKMARK: an object of the kind carrying only <c>metadata.resourceVersion</c>.</summary>
    public void Bookmark(long resourceVersion, bool initialEventsEnd = false)
    {
        var metadata = new JsonObject { ["resourceVersion"] = Math.Max(resourceVersion, StartAfter).ToString(CultureInfo.InvariantCulture) };
        if (initialEventsEnd)
        {
            metadata["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
        }

        _lines.Writer.TryWrite(new("BOOKMARK", new JsonObject { ["metadata"] = metadata }));
    }

    /// <summary>Queues an ERROR carrying <paramref name="status"/>; the response ends after it.</summary>
    public void Fail(JsonObject status)
    {
        _lines.Writer.TryWrite(new("ERROR", status));
        _lines.Writer.TryComplete();
    }

    /// <summary>Ends the response cleanly once queued lines are written.</summary>
    public void End() => _lines.Writer.TryComplete();

    /// <summary>Aborts the connection mid-stream, as a network drop would.</summary>
    public void Drop()
    {
        _lines.Writer.TryComplete();
        abort();
    }

    /// <summary>A line of the watch response; <see cref="Object"/> is a stored object (or a Status for ERROR), never mutated.</summary>
    internal readonly record struct Line(string Type, JsonObject Object);
}
