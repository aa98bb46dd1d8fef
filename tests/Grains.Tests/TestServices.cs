using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Grains.Tests;

/// <summary>A service of namespace <c>t</c> on port 80 (target 8080), its endpoints by version, and its v1/v2 subsets.</summary>
internal static class TestServices
{
    public static MeshService Service(string host) => new(host, "t",
        [new MeshServicePort("http", 80, Protocol.Http, 8080)], ["10.96.1.1"], ServiceOrigin.Kubernetes, Resolution.Static, [],
        ImmutableSortedDictionary<string, string>.Empty);

    public static ServiceEndpoint Endpoint(string ip, string version) => new(ip,
        ImmutableSortedDictionary<int, int>.Empty.Add(80, 8080),
        ImmutableSortedDictionary<string, string>.Empty.Add("version", version),
        Locality.None, 1, EndpointHealth.Healthy, null, null);

    public static DestinationRule Subsets(string host) =>
        new(ObjectMeta.Of("dr", "t"), host, null,
            [new Subset("v1", ImmutableSortedDictionary<string, string>.Empty.Add("version", "v1"), null),
             new Subset("v2", ImmutableSortedDictionary<string, string>.Empty.Add("version", "v2"), null)], []);
}
