using System.Threading.Channels;
using Mesh.Grains.Dtos;

namespace Mesh.Grains.Tests;

/// <summary>A gateway observer that records every notification.</summary>
public sealed class RecordingObserver : IXdsGatewayObserver
{
    private readonly Channel<object> _events = Channel.CreateUnbounded<object>();

    public Task OnResourcesChangedAsync(ResourceChange change) => _events.Writer.WriteAsync(change).AsTask();

    public Task OnScopeChangedAsync(ScopeSnapshot snapshot) => _events.Writer.WriteAsync(snapshot).AsTask();

    public Task OnWorkloadChangedAsync(WorkloadSnapshot snapshot) => _events.Writer.WriteAsync(snapshot).AsTask();

    public Task OnRolloutsChangedAsync(System.Collections.Immutable.ImmutableArray<RolloutView> rollouts) => _events.Writer.WriteAsync(rollouts).AsTask();

    public async Task<T> NextAsync<T>(string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            return e is T t ? t : throw new InvalidOperationException($"waiting for {what}: expected {typeof(T).Name}, got {e}");
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no {typeof(T).Name} within 10 s while waiting for {what}");
        }
    }

    /// <summary>Discards everything received until nothing more arrives within <paramref name="window"/>.</summary>
    public async Task DrainAsync(TimeSpan window)
    {
        while (!await QuietAsync(window))
        {
            while (_events.Reader.TryRead(out _))
            {
            }
        }
    }

    /// <summary>True if nothing arrives within <paramref name="window"/>.</summary>
    public async Task<bool> QuietAsync(TimeSpan window)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            await _events.Reader.WaitToReadAsync(cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }
}
