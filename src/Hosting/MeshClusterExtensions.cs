using Mesh.Grains;
using Mesh.Grains.Serialization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;

namespace Mesh.Hosting;

/// <summary>Joins a silo or a client to the Mesh cluster: Redis clustering and storage, or localhost for the embedded default.</summary>
public static class MeshClusterExtensions
{
    /// <summary>Grain-call timeout in distributed mode (Orleans' default is 30 s).</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Reads, validates (at start) and returns the cluster options from configuration section <c>Mesh</c>.</summary>
    public static MeshClusterOptions AddMeshClusterOptions(this IHostApplicationBuilder builder, bool requireRedis)
    {
        builder.Services.AddOptions<MeshClusterOptions>().BindConfiguration(MeshClusterOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<MeshClusterOptions>>(new MeshClusterOptionsValidator { RequireRedis = requireRedis });
        var options = new MeshClusterOptions();
        builder.Configuration.GetSection(MeshClusterOptions.Section).Bind(options);
        // Validate now as well: a process that cannot join the cluster should say why before anything starts.
        var result = new MeshClusterOptionsValidator { RequireRedis = requireRedis }.Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(MeshClusterOptions.Section, typeof(MeshClusterOptions), result.Failures);
        }
        return options;
    }

    public static ISiloBuilder UseMeshCluster(this ISiloBuilder silo, MeshClusterOptions options)
    {
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        silo.Services.AddMeshSerialization();
        if (!options.Distributed)
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            silo.AddMemoryGrainStorage(GrainStorage.Name);
            return silo;
        }
        silo.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(options));
        // Grain state in Orleans' binary format (model types inside it use the mesh's JSON codec): the
        // provider's default Newtonsoft format cannot read back immutable collections.
        silo.AddRedisGrainStorage(GrainStorage.Name, (OptionsBuilder<RedisStorageOptions> ob) => ob.Configure<Serializer>((o, serializer) =>
        {
            o.ConfigurationOptions = RedisOptions(options);
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
        silo.ConfigureEndpoints(options.ResolveAdvertisedIp(), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
        // Detect a dead silo in seconds, not the default minute: proxies wait for its grains.
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
        });
        // Calls lost with a dead silo fail after this instead of Orleans' default 30 s; grain calls here are short.
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        return silo;
    }

    public static IClientBuilder UseMeshCluster(this IClientBuilder client, MeshClusterOptions options)
    {
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (options.ClusterId, options.ServiceId));
        client.Services.AddMeshSerialization();
        if (options.Distributed)
        {
            client.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(options));
        }
        else
        {
            client.UseLocalhostClustering(options.GatewayPort);
        }
        // Keep retrying while silos restart instead of failing the host.
        client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = CallTimeout);
        return client;
    }

    private static ConfigurationOptions RedisOptions(MeshClusterOptions options)
    {
        var c = ConfigurationOptions.Parse(options.Redis);
        c.AbortOnConnectFail = false;
        c.ConnectTimeout = 2000;
        return c;
    }
}
