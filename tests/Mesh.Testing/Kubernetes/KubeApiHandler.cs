using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// The HTTP face of the fake API server: records each request, waits out any hold on it, applies queued failures, then serves
/// discovery, get, list, create (201), replace, delete, a status PATCH, or hands the request to <see cref="KubeWatchStreamer"/>.
/// Every refusal is a Kubernetes <c>Status</c> body with the real server's code and reason.
/// </summary>
internal sealed class KubeApiHandler(
    KubeObjectStore store,
    KubeResourceRegistry registry,
    KubeFaultInjector faults,
    KubeRequestHolds holds,
    bool emptyContinueOnBuiltInLists,
    Action<KubeApiRequest> onRequest,
    TimeProvider time,
    CancellationToken stopping)
{
    private long _brokenPages;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var route = KubeApiRoute.Parse(path, registry);
        var verb = VerbOf(request, route);
        onRequest(new(request.Method, path, request.QueryString.Value ?? "", verb, route?.Type.Kind));
        if (!await PassHoldsAsync(context, path, verb).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (faults.TakeFailure(path, verb) is { } code)
            {
                throw new KubeApiException(code, $"injected failure: {request.Method} {path} answered {code}");
            }

            if (route is null)
            {
                var document = (HttpMethods.IsGet(request.Method) ? KubeDiscovery.Describe(path, registry) : null) ?? throw KubeApiException.UnknownResource();
                await WriteAsync(context, 200, w => document.WriteTo(w)).ConfigureAwait(false);
                return;
            }

            if (!route.Served)
            {
                throw KubeApiException.UnknownResource();
            }

            await ServeAsync(context, route, verb).ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            await WriteAsync(context, e.Code, w => e.ToStatus().WriteTo(w)).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until no hold stops the request; false (the connection aborted) if the client left or the server is stopping.</summary>
    private async Task<bool> PassHoldsAsync(HttpContext context, string path, KubeApiVerb verb)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await holds.WaitAsync(path, verb, cancel.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Never let a held request end as an empty 200: the client would read it as an answer.
            context.Abort();
            return false;
        }
    }

    private static KubeApiVerb VerbOf(HttpRequest request, KubeApiRoute? route)
    {
        if (route is null)
        {
            return HttpMethods.IsGet(request.Method) ? KubeApiVerb.Discovery : KubeApiVerb.Unknown;
        }

        var item = route.Name is not null;
        return request.Method switch
        {
            "GET" when item => KubeApiVerb.Get,
            "GET" when IsTrue(request.Query["watch"]) => KubeApiVerb.Watch,
            "GET" => KubeApiVerb.List,
            "POST" when !item => KubeApiVerb.Create,
            "PUT" when item => KubeApiVerb.Update,
            "PATCH" when item => KubeApiVerb.Patch,
            "DELETE" when item => KubeApiVerb.Delete,
            _ => KubeApiVerb.Unknown,
        };
    }

    internal static bool IsTrue(StringValues value) => value == "true" || value == "1";

    private static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, KubeJson.WriterOptions))
        {
            write(writer);
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = buffer.WrittenCount;
        if (status == 429)
        {
            // The real server's priority-and-fairness rejections say when to come back.
            response.Headers.RetryAfter = "1";
        }

        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context, KubeApiRoute route)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw KubeApiException.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }

        if (body is not JsonObject obj)
        {
            throw KubeApiException.BadRequest("the body of the request was in an unknown format: expected a JSON object");
        }

        if (KubeJson.String(obj["kind"]) is { Length: > 0 } kind && kind != route.Type.Kind)
        {
            throw KubeApiException.BadRequest($"the kind in the body ({kind}) does not match the kind on the URL ({route.Type.Kind})");
        }

        return obj;
    }

    private Task ServeAsync(HttpContext context, KubeApiRoute route, KubeApiVerb verb) => verb switch
    {
        KubeApiVerb.Get => WriteObjectAsync(context, 200, route, store.Get(route.Type, route.Namespace, route.Name!)),
        KubeApiVerb.List => ListAsync(context, route),
        KubeApiVerb.Watch => KubeWatchStreamer.StreamAsync(context, route, store, time, stopping),
        KubeApiVerb.Create => CreateAsync(context, route),
        KubeApiVerb.Update when !route.Status => ReplaceAsync(context, route),
        KubeApiVerb.Patch when route.Status => PatchStatusAsync(context, route),
        KubeApiVerb.Delete when !route.Status => WriteObjectAsync(context, 200, route, store.Delete(route.Type, route.Namespace, route.Name!)),
        _ => throw new KubeApiException(405, $"the server does not allow this method on the requested resource ({context.Request.Method})"),
    };

    private async Task CreateAsync(HttpContext context, KubeApiRoute route)
    {
        var body = await ReadBodyAsync(context, route).ConfigureAwait(false);
        if (route.Type.Namespaced && route.Namespace is null)
        {
            throw new KubeApiException(405, "the server does not allow this method on the requested resource (POST to an all-namespaces URL)");
        }

        await WriteObjectAsync(context, 201, route, store.Create(route.Type, route.Namespace, body)).ConfigureAwait(false);
    }

    private async Task ReplaceAsync(HttpContext context, KubeApiRoute route)
    {
        var body = await ReadBodyAsync(context, route).ConfigureAwait(false);
        await WriteObjectAsync(context, 200, route, store.Replace(route.Type, route.Namespace, route.Name!, body)).ConfigureAwait(false);
    }

    private async Task PatchStatusAsync(HttpContext context, KubeApiRoute route)
    {
        var contentType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        JsonNode? patch;
        try
        {
            patch = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw KubeApiException.BadRequest($"the body of the request was in an unknown format: {e.Message}");
        }

        await WriteObjectAsync(context, 200, route, store.PatchStatus(route.Type, route.Namespace, route.Name!, existing => KubeJsonPatch.Apply(existing, contentType, patch))).ConfigureAwait(false);
    }

    private static Task WriteObjectAsync(HttpContext context, int status, KubeApiRoute route, JsonObject obj) =>
        WriteAsync(context, status, w => KubeJson.Write(w, obj, route.Type.Kind, route.ApiVersion));

    private Task ListAsync(HttpContext context, KubeApiRoute route)
    {
        var query = context.Request.Query;
        var filter = KubeObjectFilter.Create(route.Namespace, query["labelSelector"], query["fieldSelector"]);
        int? limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : null;
        var fault = faults.PagingFault(route.Type);
        var page = store.List(route.Type, filter, limit, fault == KubePagingFault.None ? (string?)query["continue"] : null);
        if (fault != KubePagingFault.None)
        {
            // The first page again, whatever was asked for, with a token that does not end the list.
            var snapshot = fault == KubePagingFault.EndlessTokens ? $"endless-{Interlocked.Increment(ref _brokenPages)}" : "repeated";
            page = page with { Continue = new KubeContinueToken(snapshot, page.ResourceVersion, "").Encode() };
        }

        return WriteAsync(context, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("kind", route.Type.ListKind);
            w.WriteString("apiVersion", route.ApiVersion);
            w.WriteStartObject("metadata");
            w.WriteString("resourceVersion", page.ResourceVersion.ToString(CultureInfo.InvariantCulture));
            // The real server writes "continue": "" on a custom resource list's last page (an unstructured
            // list keeps the empty field) and leaves it out of a built-in list's (ListMeta's omitempty).
            if (page.Continue is not null || route.Type.IsCustomResource || emptyContinueOnBuiltInLists)
            {
                w.WriteString("continue", page.Continue ?? "");
            }

            if (page.RemainingItemCount is { } remaining)
            {
                w.WriteNumber("remainingItemCount", remaining);
            }

            w.WriteEndObject();
            w.WriteStartArray("items");
            foreach (var item in page.Items)
            {
                // Built-in lists omit each item's kind/apiVersion; custom resource lists keep them.
                KubeJson.Write(w, item, route.Type.IsCustomResource ? route.Type.Kind : null, route.ApiVersion);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        });
    }
}
