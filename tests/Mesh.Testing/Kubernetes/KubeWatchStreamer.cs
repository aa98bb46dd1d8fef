using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// Serves <c>?watch=true</c> as the real server does: 200 with headers flushed at once, then one JSON
/// event per line (<c>{"type":…,"object":…}</c>), flushed per event, over chunked transfer encoding.
/// The response ends cleanly at <c>timeoutSeconds</c> or after an ERROR event, and is aborted mid-stream
/// by <see cref="KubeWatch.Drop"/>.
/// </summary>
internal static class KubeWatchStreamer
{
    public static async Task StreamAsync(HttpContext context, KubeApiRoute route, KubeObjectStore store, TimeProvider time, CancellationToken stopping)
    {
        var query = context.Request.Query;
        var filter = KubeObjectFilter.Create(route.Namespace, query["labelSelector"], query["fieldSelector"]);
        var watch = new KubeWatch(route.Type, route.Version, filter, KubeApiHandler.IsTrue(query["allowWatchBookmarks"]), context.Abort);
        var timeout = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : Timeout.InfiniteTimeSpan;

        // Before the response starts, so a bad resourceVersion is still a plain 400.
        store.OpenWatch(watch, query["resourceVersion"], KubeApiHandler.IsTrue(query["sendInitialEvents"]));
        using var expiry = new CancellationTokenSource(timeout, time);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(expiry.Token, context.RequestAborted, stopping);
        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(stop.Token).ConfigureAwait(false);
            await context.Response.BodyWriter.FlushAsync(stop.Token).ConfigureAwait(false);
            await foreach (var line in watch.Lines.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                WriteLine(context.Response.BodyWriter, watch, line);
                var flushed = await context.Response.BodyWriter.FlushAsync(stop.Token).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // timeoutSeconds elapsed or the server is stopping (the response ends cleanly), or the connection is gone.
        }
        finally
        {
            store.CloseWatch(watch);
        }
    }

    private static void WriteLine(PipeWriter output, KubeWatch watch, KubeWatch.Line line)
    {
        using (var writer = new Utf8JsonWriter((IBufferWriter<byte>)output, KubeJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type", line.Type);
            writer.WritePropertyName("object");
            if (line.Type == "ERROR")
            {
                line.Object.WriteTo(writer);
            }
            else
            {
                KubeJson.Write(writer, line.Object, watch.Type.Kind, watch.ApiVersion);
            }

            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }
}
