using Envoy.Admin.V3;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Observers;

namespace Mesh.XdsGateway.Debug;

/// <summary>Renders what a proxy was last sent as Envoy's <c>/config_dump</c> JSON.</summary>
public static class ConfigDump
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default
        .WithTypeRegistry(TypeRegistry.FromMessages(
            [ClustersConfigDump.Descriptor, ListenersConfigDump.Descriptor, RoutesConfigDump.Descriptor, EndpointsConfigDump.Descriptor, .. EnvoyTypes.Emitted]))
        .WithIndentation());

    public static string Render(GrainProxyWatch watch)
    {
        var dump = new Envoy.Admin.V3.ConfigDump();
        var states = watch.SyncStates.ToDictionary(s => s.TypeUrl);
        var clusters = new ClustersConfigDump();
        var endpoints = new EndpointsConfigDump();
        var listeners = new ListenersConfigDump();
        var routes = new RoutesConfigDump();
        foreach (var (type, state) in states)
        {
            foreach (var r in state.LastSentResources.Values)
            {
                var any = new Any { TypeUrl = r.TypeUrl, Value = UnsafeByteOperations.UnsafeWrap(r.Body) };
                switch (type)
                {
                    case TypeUrls.Cluster:
                        clusters.DynamicActiveClusters.Add(new ClustersConfigDump.Types.DynamicCluster { VersionInfo = r.Version, Cluster = any });
                        break;
                    case TypeUrls.Endpoint:
                        endpoints.DynamicEndpointConfigs.Add(new EndpointsConfigDump.Types.DynamicEndpointConfig { VersionInfo = r.Version, EndpointConfig = any });
                        break;
                    case TypeUrls.Listener:
                        listeners.DynamicListeners.Add(new ListenersConfigDump.Types.DynamicListener
                        {
                            Name = r.Name,
                            ActiveState = new ListenersConfigDump.Types.DynamicListenerState { VersionInfo = r.Version, Listener = any },
                        });
                        break;
                    case TypeUrls.Route:
                        routes.DynamicRouteConfigs.Add(new RoutesConfigDump.Types.DynamicRouteConfig { VersionInfo = r.Version, RouteConfig = any });
                        break;
                }
            }
        }
        dump.Configs.Add(Any.Pack(clusters));
        dump.Configs.Add(Any.Pack(endpoints));
        dump.Configs.Add(Any.Pack(listeners));
        dump.Configs.Add(Any.Pack(routes));
        return Formatter.Format(dump);
    }
}
