using System.Collections.Immutable;
using System.Net;
using Envoy.Config.Core.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Protocol;

/// <summary>
/// Parses an Istio node (<c>TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN</c> plus metadata) into a
/// <see cref="ProxyNode"/>. Every failure is an <see cref="RpcException"/> with
/// <see cref="StatusCode.InvalidArgument"/> whose message names the field and the reason (STYLE 10).
/// </summary>
public static class NodeIdParser
{
    public const string NamespaceKey = "NAMESPACE";
    public const string LabelsKey = "LABELS";
    public const string WorkloadNameKey = "WORKLOAD_NAME";
    public const string GeneratorKey = "GENERATOR";
    public const string ProxylessGenerator = "grpc";

    private const string Expected = "expected TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN";

    public static ProxyNode Parse(Node? node)
    {
        if (node is null || string.IsNullOrEmpty(node.Id))
        {
            throw Invalid("the first request on a stream must carry node with a non-empty id (X-03)");
        }

        var id = node.Id;
        var parts = id.Split('~');
        if (parts.Length != 4)
        {
            throw Invalid($"node id '{id}' is malformed: {Expected} (4 fields separated by '~'), got {parts.Length}");
        }

        var type = parts[0];
        if (type is not ("sidecar" or "router"))
        {
            throw Invalid($"node id '{id}' is malformed: type '{type}' must be 'sidecar' or 'router'");
        }

        if (!IPAddress.TryParse(parts[1], out _))
        {
            throw Invalid($"node id '{id}' is malformed: '{parts[1]}' is not an IP address");
        }

        var dot = parts[2].LastIndexOf('.');
        if (dot <= 0 || dot == parts[2].Length - 1)
        {
            throw Invalid($"node id '{id}' is malformed: third field '{parts[2]}' must be POD.NAMESPACE");
        }

        var pod = parts[2][..dot];
        var ns = parts[2][(dot + 1)..];
        var domainPrefix = ns + ".svc.";
        if (!parts[3].StartsWith(domainPrefix, StringComparison.Ordinal) || parts[3].Length == domainPrefix.Length)
        {
            throw Invalid($"node id '{id}' is malformed: fourth field '{parts[3]}' must be {ns}.svc.DOMAIN");
        }

        var metadata = node.Metadata?.Fields;
        var metaNamespace = GetString(metadata, NamespaceKey, id);
        if (metaNamespace is not null && metaNamespace != ns)
        {
            throw Invalid($"node '{id}' metadata {NamespaceKey} '{metaNamespace}' disagrees with namespace '{ns}' in its id");
        }

        var kind = GetString(metadata, GeneratorKey, id) == ProxylessGenerator ? ProxyKind.Proxyless
            : type == "router" ? ProxyKind.Router
            : ProxyKind.Sidecar;

        return new ProxyNode(
            id,
            kind,
            parts[1],
            pod,
            ns,
            parts[3],
            GetString(metadata, WorkloadNameKey, id) ?? WorkloadFromPod(pod),
            GetLabels(metadata, id))
        {
            Locality = node.Locality is { } locality ? new Mesh.Model.Services.Locality(locality.Region, locality.Zone, locality.SubZone) : Mesh.Model.Services.Locality.None,
            UserAgentName = node.UserAgentName,
            UserAgentVersion = node.UserAgentVersion,
            Quirks = kind == ProxyKind.Proxyless ? ProxylessClients.QuirksOf(node.UserAgentName, node.UserAgentVersion) : ClientQuirks.None,
        };
    }

    /// <summary>A Deployment's pod name is NAME-RSHASH-SUFFIX; drop the last two segments when present.</summary>
    public static string WorkloadFromPod(string pod)
    {
        var last = pod.LastIndexOf('-');
        var secondLast = last > 0 ? pod.LastIndexOf('-', last - 1) : -1;
        return secondLast > 0 ? pod[..secondLast] : pod;
    }

    private static string? GetString(Google.Protobuf.Collections.MapField<string, Value>? fields, string key, string id)
    {
        if (fields is null || !fields.TryGetValue(key, out var value) || value.KindCase == Value.KindOneofCase.NullValue)
        {
            return null;
        }

        return value.KindCase == Value.KindOneofCase.StringValue
            ? value.StringValue
            : throw Invalid($"node '{id}' metadata {key} must be a string, got {value.KindCase}");
    }

    private static ImmutableSortedDictionary<string, string> GetLabels(Google.Protobuf.Collections.MapField<string, Value>? fields, string id)
    {
        var labels = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (fields is null || !fields.TryGetValue(LabelsKey, out var value) || value.KindCase == Value.KindOneofCase.NullValue)
        {
            return labels.ToImmutable();
        }

        if (value.KindCase != Value.KindOneofCase.StructValue)
        {
            throw Invalid($"node '{id}' metadata {LabelsKey} must be a struct of strings, got {value.KindCase}");
        }

        foreach (var (key, label) in value.StructValue.Fields)
        {
            if (label.KindCase != Value.KindOneofCase.StringValue)
            {
                throw Invalid($"node '{id}' metadata {LabelsKey}['{key}'] must be a string, got {label.KindCase}");
            }

            labels[key] = label.StringValue;
        }

        return labels.ToImmutable();
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
