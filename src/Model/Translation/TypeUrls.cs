namespace Mesh.Model.Translation;

/// <summary>The xDS v3 resource type URLs Mesh serves, in ADS push order (CDS, EDS, LDS, RDS; X-33).</summary>
public static class TypeUrls
{
    public const string Cluster = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
    public const string Endpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";
    public const string Listener = "type.googleapis.com/envoy.config.listener.v3.Listener";
    public const string Route = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";

    /// <summary>All served types in push order.</summary>
    public static readonly IReadOnlyList<string> PushOrder = [Cluster, Endpoint, Listener, Route];

    /// <summary>Short names used in metrics, logs and /debug (cds, eds, lds, rds).</summary>
    public static string ShortName(string typeUrl) => typeUrl switch
    {
        Cluster => "cds",
        Endpoint => "eds",
        Listener => "lds",
        Route => "rds",
        _ => typeUrl,
    };

    /// <summary>True for types with a wildcard subscription: only Listener and Cluster.</summary>
    public static bool SupportsWildcard(string typeUrl) => typeUrl is Listener or Cluster;

    public static bool IsKnown(string typeUrl) => typeUrl is Cluster or Endpoint or Listener or Route;

    /// <summary>The type's position in <see cref="PushOrder"/>, or -1 for a type Mesh does not serve.</summary>
    public static int IndexOf(string typeUrl) => typeUrl switch
    {
        Cluster => 0,
        Endpoint => 1,
        Listener => 2,
        Route => 3,
        _ => -1,
    };
}
