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

    [Theory]
    [InlineData(typeof(ResponseWriteGate), "xds_write_gate_in_use", "xds_write_gate_waits")]
    [InlineData(typeof(ConnectGate), "xds_connect_gate_in_use", "xds_connect_gate_waiting")]
    public void TheGates_FromTheContainer_AreSingletons_AndPublishTheirSlotsInUse(Type gateType, string inUse, string other)
    {
        using var provider = Build(s => s.AddXdsGateway());
        var meter = provider.GetRequiredService<XdsMetrics>().Meter;
        var published = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    published.Add(instrument.Name);
                }
            },
        };
        listener.Start();

        var gate = provider.GetRequiredService(gateType);

        Assert.Same(gate, provider.GetRequiredService(gateType));
        Assert.Contains(inUse, published);
        Assert.Contains(other, published);
    }

    [Fact]
    public void Validator_RejectsEveryBadKnob_AndSaysHowToFix()
    {
        using var provider = Build(s => s.AddXdsGateway(o => o.Configure(x =>
        {
            x.RequestQueueCapacity = 0;
            x.MaxResourceNamesPerRequest = -1;
            x.MaxSubscribedNamesPerType = 0;
            x.MaxSubscribedNamesPerStream = -5;
        })));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<XdsGatewayOptions>>().Value);

        Assert.Equal(4, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("Xds:RequestQueueCapacity is 0; set it to 1 or more", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Xds:MaxSubscribedNamesPerType is 0; set it to 1 or more", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Xds:MaxSubscribedNamesPerStream is -5; set it to at least MaxSubscribedNamesPerType (0)", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_RejectsBadConnectionKnobs_AndSaysHowToFix()
    {
        using var provider = Build(s => s.AddXdsGateway(o => o.Configure(x =>
        {
            x.MaxConnectionAge = TimeSpan.FromMilliseconds(10);
            x.MaxConnectionAgeJitter = 0.9;
            x.MaxStreamsPerConnection = 0;
            x.MaxConnections = 0;
            x.InitialStreamWindowSize = 1024;
            x.InitialConnectionWindowSize = 1024;
            x.KeepAlivePingDelay = TimeSpan.Zero;
            x.KeepAlivePingTimeout = TimeSpan.FromMilliseconds(500);
        })));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<XdsGatewayOptions>>().Value);

        Assert.Equal(8, ex.Failures.Count());
        Assert.Contains(ex.Failures, f => f.Contains("Xds:MaxConnectionAge is 00:00:00.0100000; set it to 1 s or more, or 0 to disable", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Xds:InitialStreamWindowSize is 1024; set it to 65535 or more", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:00.001")]
    public void Validator_AcceptsZeroOrInfinite_AsMaxConnectionAgeDisabled(string age)
    {
        var result = new XdsGatewayOptionsValidator().Validate(null, new XdsGatewayOptions { MaxConnectionAge = TimeSpan.Parse(age, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(result.Succeeded, result.FailureMessage);
    }
}
