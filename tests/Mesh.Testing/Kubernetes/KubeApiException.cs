using System.Text.Json.Nodes;

namespace Mesh.Testing.Kubernetes;

/// <summary>
/// A request the fake API server refuses, as the real one would: the HTTP code, the Kubernetes
/// <c>Status</c> reason (<c>NotFound</c>, <c>AlreadyExists</c>, <c>Conflict</c>, <c>Expired</c>, …)
/// and the real server's message. Test controls throw it; the HTTP layer answers with <see cref="ToStatus"/>.
/// </summary>
public sealed class KubeApiException : Exception
{
    public KubeApiException()
        : this(500, "InternalError")
    {
    }

    public KubeApiException(string message)
        : this(500, message)
    {
    }

    public KubeApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = 500;
        Reason = ReasonFor(500);
    }

    public KubeApiException(int code, string message, string? reason = null, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason ?? ReasonFor(code);
        Details = details;
    }

    public int Code { get; }

    public string Reason { get; }

    public JsonObject? Details { get; }

    /// <summary>The <c>metav1.StatusReason</c> the real server uses for <paramref name="code"/>.</summary>
    public static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    };

    /// <summary>The <c>Status</c> object the real server sends in an error body or an ERROR watch event.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null)
        {
            status["details"] = Details.DeepClone();
        }

        status["code"] = Code;
        return status;
    }

    internal static KubeApiException NotFound(KubeResourceType type, string name) =>
        new(404, $"{type.QualifiedResource} \"{name}\" not found", details: Named(type, name));

    internal static KubeApiException AlreadyExists(KubeResourceType type, string name) =>
        new(409, $"{type.QualifiedResource} \"{name}\" already exists", "AlreadyExists", Named(type, name));

    internal static KubeApiException Conflict(KubeResourceType type, string name) =>
        new(409, $"Operation cannot be fulfilled on {type.QualifiedResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again", "Conflict", Named(type, name));

    internal static KubeApiException UnknownResource() => new(404, "the server could not find the requested resource");

    internal static KubeApiException BadRequest(string message) => new(400, message);

    // details.kind is the resource plural on the real server, not the Kind.
    private static JsonObject Named(KubeResourceType type, string name)
    {
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Plural;
        return details;
    }
}
