using Mesh.Testing;
using Mesh.XdsGateway.Delta;
using Mesh.XdsGateway.Protocol;
using Mesh.XdsGateway.Sotw;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway.Tests;

[Trait("Category", "BVT")]
public class XdsGatewayServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddSingleton<IConfigWatcher>(new FakeConfigWatcher());
        configure(services);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddXdsGateway_CalledTwice_RegistersHandlersAndOneMetricsCallback()
    {
        using var provider = Build(s => s.AddXdsGateway().AddXdsGateway());

        Assert.NotNull(provider.GetRequiredService<SotwStreamHandler>());
        Assert.NotNull(provider.GetRequiredService<DeltaStreamHandler>());
        Assert.IsType<XdsMetrics>(Assert.Single(provider.GetServices<IXdsCallbacks>()));
    }

    [Fact]
    public void Validator_RejectsEveryBadKnob_AndSaysHowToFix()
    {
        using var provider = Build(s => s.AddXdsGateway(o => o.Configure(x =>
        {
            x.RequestQueueCapacity = 0;
            x.MaxResourceNamesPerRequest = -1;
        })));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<XdsGatewayOptions>>().Value);

        Assert.Equal(2, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("Xds:RequestQueueCapacity is 0; set it to 1 or more", StringComparison.Ordinal));
    }
}
