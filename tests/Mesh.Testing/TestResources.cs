using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Mesh.Model.Translation;

namespace Mesh.Testing;

/// <summary>Small real Envoy resources whose bytes (and so version) differ by <c>revision</c>.</summary>
public static class TestResources
{
    public static XdsResource Cluster(string name, int revision = 1) =>
        XdsResource.From(TypeUrls.Cluster, name, new Cluster { Name = name, AltStatName = Rev(revision) });

    public static XdsResource Endpoint(string name, int revision = 1) =>
        XdsResource.From(TypeUrls.Endpoint, name, new ClusterLoadAssignment
        {
            ClusterName = name,
            Endpoints = { new LocalityLbEndpoints { Priority = (uint)revision } },
        });

    public static XdsResource Listener(string name, int revision = 1) =>
        XdsResource.From(TypeUrls.Listener, name, new Listener { Name = name, StatPrefix = Rev(revision) });

    public static XdsResource Route(string name, int revision = 1) =>
        XdsResource.From(TypeUrls.Route, name, new RouteConfiguration { Name = name, MaxDirectResponseBodySizeBytes = (uint)revision });

    /// <summary>A resource of <paramref name="typeUrl"/> built by the matching helper above.</summary>
    public static XdsResource Of(string typeUrl, string name, int revision = 1) => typeUrl switch
    {
        TypeUrls.Cluster => Cluster(name, revision),
        TypeUrls.Endpoint => Endpoint(name, revision),
        TypeUrls.Listener => Listener(name, revision),
        TypeUrls.Route => Route(name, revision),
        _ => throw new ArgumentOutOfRangeException(nameof(typeUrl), typeUrl, "not a served type"),
    };

    private static string Rev(int revision) => "r" + revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
