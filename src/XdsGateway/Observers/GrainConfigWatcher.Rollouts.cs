using System.Collections.Immutable;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Model.Rollouts;
using Mesh.Model.Translation;
using Microsoft.Extensions.Logging;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// Staged rollouts at the gateway: the rollout table (subscribed, leased like every grain), each
/// stream's cohort (its node id's bucket and labels against each rollout's stage), and NACKs of
/// candidate resources reported to their rollouts. A stage change moves the streams it concerns
/// between baseline and candidate with one push each; nothing is rebuilt by grains for it.
/// </summary>
public sealed partial class GrainConfigWatcher
{
    private ImmutableArray<RolloutView> _rollouts = [];
    private readonly Dictionary<string, RolloutCohort> _cohorts = new(StringComparer.Ordinal);
    private readonly Lock _rolloutGate = new();
    private Task? _rolloutSubscription;

    /// <summary>Streams per rollout cohort on this gateway (<c>mesh_rollout_cohort_proxies</c>, <c>/debug/rolloutz</c>), counted when asked.</summary>
    internal Dictionary<string, int> CohortCounts
    {
        get
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            if (_rollouts.IsEmpty)
            {
                return counts;
            }
            lock (_lock)
            {
                foreach (var w in _watches)
                {
                    foreach (var r in w.Cohort.Rollouts)
                    {
                        counts[r] = counts.GetValueOrDefault(r) + 1;
                    }
                }
            }
            return counts;
        }
    }

    /// <summary>
    /// Bytes of staged rollouts' candidate variants this gateway holds (service resources and scope
    /// listeners/routes): a rollout's memory overhead, which grows with what its change touches.
    /// </summary>
    internal long VariantBytes
    {
        get
        {
            long bytes = 0;
            foreach (var entry in _services.Values)
            {
                if (entry.Resources is { } resources)
                {
                    foreach (var r in resources.Values)
                    {
                        if (r.Rollout is not null)
                        {
                            bytes += r.Body.Length;
                        }
                    }
                }
            }
            lock (_lock)
            {
                foreach (var scope in _scopes.Values)
                {
                    foreach (var v in scope.Snapshot?.Variants is { IsDefault: false } variants ? variants : [])
                    {
                        bytes += v.Body.Length;
                    }
                }
            }
            return bytes;
        }
    }

    /// <summary>The rollouts in flight as this gateway last heard.</summary>
    internal ImmutableArray<RolloutView> Rollouts => _rollouts;

    /// <summary>Subscribes to the rollout table once, before the first stream is served (a failure is retried by the next stream).</summary>
    private Task EnsureRolloutsAsync()
    {
        lock (_rolloutGate)
        {
            if (_rolloutSubscription is null || _rolloutSubscription.IsFaulted || _rolloutSubscription.IsCanceled)
            {
                _rolloutSubscription = SubscribeRolloutsAsync();
            }
            return _rolloutSubscription;
        }
    }

    private async Task SubscribeRolloutsAsync()
    {
        var table = await grains.GetGrain<IRolloutTableGrain>("default").SubscribeAsync(Self).ConfigureAwait(false);
        ApplyRollouts(table);
    }

    /// <summary>Lease renewal of the rollout table (and a repair of a notification missed).</summary>
    private async Task RenewRolloutsAsync()
    {
        try
        {
            await SubscribeRolloutsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogLoadFailed(logger, "rollout table", ex);
        }
    }

    public Task OnRolloutsChangedAsync(ImmutableArray<RolloutView> rollouts)
    {
        ApplyRollouts(rollouts);
        return Task.CompletedTask;
    }

    private void ApplyRollouts(ImmutableArray<RolloutView> rollouts)
    {
        List<GrainProxyWatch> watches;
        lock (_rolloutGate)
        {
            // A late table never undoes a newer stage of a rollout this gateway has seen.
            var known = _rollouts.ToDictionary(r => r.Id, StringComparer.Ordinal);
            var merged = rollouts.Select(r => known.TryGetValue(r.Id, out var k) && k.Sequence > r.Sequence ? k : r).ToImmutableArray();
            if (merged.Length == _rollouts.Length && merged.All(r => known.TryGetValue(r.Id, out var k) && k.Sequence == r.Sequence))
            {
                return;
            }
            _rollouts = merged;
        }
        lock (_lock)
        {
            watches = [.. _watches];
        }
        var moved = 0;
        foreach (var w in watches)
        {
            var cohort = CohortOf(w);
            if (!ReferenceEquals(cohort, w.Cohort))
            {
                moved++;
                w.SetCohort(cohort);
            }
        }
        LogRollouts(logger, _rollouts.Length, moved);
    }

    /// <summary>The cohorts <paramref name="watch"/> belongs to under the current table (interned).</summary>
    internal RolloutCohort CohortOf(GrainProxyWatch watch)
    {
        var rollouts = _rollouts;
        if (rollouts.IsEmpty)
        {
            return RolloutCohort.None;
        }
        List<string>? ids = null;
        foreach (var r in rollouts)
        {
            if (r.InFlight && Cohort.Contains(r.Stages, r.Stage, watch.Bucket, watch.Node.Labels))
            {
                (ids ??= []).Add(r.Id);
            }
        }
        if (ids is null)
        {
            return RolloutCohort.None;
        }
        ids.Sort(StringComparer.Ordinal);
        var key = string.Join('\n', ids);
        lock (_rolloutGate)
        {
            if (!_cohorts.TryGetValue(key, out var cohort))
            {
                if (_cohorts.Count > 1024)
                {
                    _cohorts.Clear(); // ended rollouts' sets; a stream keeps its instance, new ones intern again
                }
                _cohorts[key] = cohort = new RolloutCohort([.. ids]);
            }
            return cohort;
        }
    }

    /// <summary>
    /// A cohort stream NACKed a type: each rollout whose candidate variant the NACKed set held is
    /// told once per stream (node, resource, the client's error), with this gateway's cohort size.
    /// </summary>
    internal void OnCandidateNack(GrainProxyWatch watch, string typeUrl, ImmutableSortedDictionary<string, XdsResource> sent, string detail)
    {
        // A scope variant of several rollouts together (tag A+B) was a candidate of each of them.
        foreach (var group in sent.Values.Where(r => r.Rollout is not null)
            .SelectMany(r => r.Rollout!.Split('+').Select(rollout => (Rollout: rollout, Resource: r)))
            .GroupBy(x => x.Rollout, x => x.Resource, StringComparer.Ordinal))
        {
            if (!watch.Cohort.Contains(group.Key) || !watch.ClaimNackReport(group.Key))
            {
                continue;
            }
            var resource = $"{TypeUrls.ShortName(typeUrl)} {string.Join(", ", group.Select(r => r.Name).Take(3))}";
            var policy = group.Key[..group.Key.LastIndexOf('#')];
            metrics.OnRolloutNackReported();
            LogCandidateNack(logger, watch.Node.Id, group.Key, resource, detail);
            _ = grains.GetGrain<IRolloutGrain>(policy).NackAsync(group.Key, watch.Node.Id, resource, detail, gateway.Id, CohortCounts.GetValueOrDefault(group.Key));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollout table: {Rollouts} in flight; {Moved} streams changed generation")]
    private static partial void LogRollouts(ILogger logger, int rollouts, int moved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Proxy {ProxyId} NACKed candidate of rollout {Rollout} ({Resource}): {Detail}")]
    private static partial void LogCandidateNack(ILogger logger, string proxyId, string rollout, string resource, string detail);
}
