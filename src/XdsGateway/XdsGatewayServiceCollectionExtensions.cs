using Mesh.XdsGateway.Delta;
using Mesh.XdsGateway.Protocol;
using Mesh.XdsGateway.Sotw;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway;

/// <summary>Registers the xDS gateway's protocol layer.</summary>
public static class XdsGatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds options (section <c>Xds</c>, validated at start), metrics, the SotW and delta stream
    /// handlers that <see cref="AdsService"/> uses, and Kestrel limits sized for many long-lived
    /// streams (<see cref="XdsKestrelOptionsSetup"/>). The host must also call <c>AddGrpc()</c>, register
    /// an <see cref="IConfigWatcher"/>, and map <c>MapGrpcService&lt;AdsService&gt;()</c>.
    /// </summary>
    public static IServiceCollection AddXdsGateway(this IServiceCollection services, Action<OptionsBuilder<XdsGatewayOptions>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<XdsGatewayOptions>().BindConfiguration(XdsGatewayOptions.SectionName).ValidateOnStart();
        configure?.Invoke(options);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<XdsGatewayOptions>, XdsGatewayOptionsValidator>());
        services.AddMetrics();
        services.TryAddSingleton<XdsMetrics>();
        if (!services.Any(d => d.ServiceType == typeof(IXdsCallbacks) && d.ImplementationFactory?.Method.DeclaringType == typeof(XdsGatewayServiceCollectionExtensions)))
        {
            services.AddSingleton<IXdsCallbacks>(MetricsCallbacks);
        }

        services.TryAddSingleton<ResponseWriteGate>();
        services.TryAddSingleton<ConnectGate>();
        services.TryAddSingleton<SotwStreamHandler>();
        services.TryAddSingleton<DeltaStreamHandler>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StreamDrain>();
        services.TryAddSingleton<ConnectionAge>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IConfigureOptions<KestrelServerOptions>, XdsKestrelOptionsSetup>());
        services.AddHostedService<GatewayDrainService>();
        return services;
    }

    private static XdsMetrics MetricsCallbacks(IServiceProvider provider) => provider.GetRequiredService<XdsMetrics>();
}
