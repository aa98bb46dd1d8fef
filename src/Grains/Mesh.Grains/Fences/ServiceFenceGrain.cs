using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Fences;

/// <summary>
/// A fenced Service's learned dependencies. A report of a host already learned only moves its
/// last-seen time in memory (written with the next new host): a busy caller costs no state write
/// per call. A new host is written first, then handed to the namespace grain, which tells the silo
/// catalogs; they rebuild the fence's scopes only.
/// </summary>
[GrainType("servicefence")]
internal sealed partial class ServiceFenceGrain(
    [PersistentState("servicefence", GrainStorage.Name)] IPersistentState<ServiceFenceState> state,
    TimeProvider time,
    ILogger<ServiceFenceGrain> logger) : MeshGrainBase("servicefence"), IServiceFenceGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (!state.State.Learned.IsEmpty)
        {
            // The namespace grain's copy is what catalogs read; make sure it holds what was learned
            // (a crash between the two writes of a learn would otherwise lose the host until the next).
            await PublishAsync();
        }
    }

    public async Task<ImmutableArray<string>> LearnAsync(ImmutableArray<string> hosts, string source)
    {
        var now = time.GetUtcNow();
        var learned = state.State.Learned.ToBuilder();
        var added = ImmutableArray.CreateBuilder<string>();
        foreach (var host in hosts.Select(h => h.ToLowerInvariant()).Distinct(StringComparer.Ordinal))
        {
            if (learned.TryGetValue(host, out var known))
            {
                learned[host] = known with { LastSeen = now };
                continue;
            }
            learned[host] = new LearnedHost(host, source, now, now);
            added.Add(host);
        }
        var before = state.State.Learned;
        state.State.Learned = learned.ToImmutable();
        FenceMetrics.Reports.Add(hosts.Length, new KeyValuePair<string, object?>("source", source));
        if (added.Count == 0)
        {
            return [];
        }
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Learned = before;
            throw;
        }
        await PublishAsync();
        FenceMetrics.Learned.Add(added.Count, new KeyValuePair<string, object?>("source", source));
        var fence = this.GetPrimaryKeyString();
        foreach (var host in added)
        {
            LogLearned(logger, fence, host, source);
        }
        return added.ToImmutable();
    }

    public Task<ImmutableArray<LearnedHost>> GetAsync() => Task.FromResult(state.State.Learned.Values.ToImmutableArray());

    private Task PublishAsync()
    {
        var (ns, service) = FenceKey.Parse(this.GetPrimaryKeyString());
        return GrainFactory.GetGrain<INamespaceGrain>(ns).SetLearnedAsync(service, [.. state.State.Learned.Keys]);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fence {Fence} learned {Host} (from {Source})")]
    private static partial void LogLearned(ILogger logger, string fence, string host, string source);
}
