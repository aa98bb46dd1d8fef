using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.XdsGateway.Tests.Protocol;

/// <summary>What the gateway's gate tests share: a fake clock, the gateway's instruments and a recorder of them.</summary>
public abstract class GateTestBase : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    protected GateTestBase()
    {
        Metrics = new XdsMetrics(_services.GetRequiredService<IMeterFactory>());
        Recorder = new MetricRecorder(Metrics.Meter);
    }

    protected FakeTimeProvider Time { get; } = new();

    protected XdsMetrics Metrics { get; }

    internal MetricRecorder Recorder { get; }

    /// <summary>The validator fails <paramref name="options"/> with a message containing <paramref name="message"/>.</summary>
    protected static void AssertRejected(XdsGatewayOptions options, string message)
    {
        var result = new XdsGatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Recorder.Dispose();
        _services.Dispose();
        GC.SuppressFinalize(this);
    }
}
