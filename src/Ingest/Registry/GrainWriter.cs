using System.Collections.Concurrent;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Grains.Keys;
using Microsoft.Extensions.Logging;

namespace Mesh.Ingest.Registry;

/// <summary>
/// Writes a <see cref="DesiredState"/> to the grains, sending only what effectively changed since
/// the last applied state: an endpoint-only change is an endpoint-only <see cref="ServiceUpdate"/>,
/// an unchanged service gets no call at all. Services are written before namespaces, so a scope
/// rebuilt because its namespace changed finds the new services.
/// </summary>
public sealed partial class GrainWriter(IGrainFactory grains, ILogger<GrainWriter> logger)
{
    // Written from concurrent grain-call continuations.
    private readonly ConcurrentDictionary<string, (string Def, string Endpoints, string Routing)> _applied = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _appliedNamespaces = new(StringComparer.Ordinal);

    /// <summary>
    /// Forgets what was applied, so the next apply writes everything again: the reconciler's way to
    /// restore grain state that storage lost (the grains drop writes that change nothing they serve).
    /// </summary>
    public void ForgetApplied()
    {
        _applied.Clear();
        _appliedNamespaces.Clear();
    }

    /// <summary>Applies the state; returns the number of grain writes made.</summary>
    public async Task<int> ApplyAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        var writes = new List<Task>();
        foreach (var (host, svc) in desired.Services)
        {
            var fp = (Fingerprint.Of(svc.Definition), Fingerprint.Of(svc.Endpoints), Fingerprint.Of(svc.Routing));
            _applied.TryGetValue(host, out var old);
            if (old == fp)
            {
                continue;
            }
            var update = new ServiceUpdate
            {
                Definition = old.Def == fp.Item1 ? null : svc.Definition,
                Endpoints = old.Endpoints == fp.Item2 ? null : svc.Endpoints,
                Routing = old.Routing == fp.Item3 ? null : svc.Routing,
            };
            writes.Add(Write(host, update, fp));
        }
        foreach (var gone in _applied.Keys.Where(h => !desired.Services.ContainsKey(h)).ToList())
        {
            writes.Add(Remove(gone));
        }
        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
        var count = writes.Count;

        var nsWrites = new List<Task>();
        foreach (var (ns, config) in desired.Namespaces)
        {
            var fp = Fingerprint.Of(config);
            if (_appliedNamespaces.GetValueOrDefault(ns) != fp)
            {
                nsWrites.Add(WriteNamespace(ns, config, fp));
            }
        }
        foreach (var gone in _appliedNamespaces.Keys.Where(n => !desired.Namespaces.ContainsKey(n)).ToList())
        {
            nsWrites.Add(WriteNamespace(gone, NamespaceConfig.Empty(gone), null));
        }
        await Task.WhenAll(nsWrites).WaitAsync(cancellationToken).ConfigureAwait(false);
        count += nsWrites.Count;

        if (nsWrites.Count > 0)
        {
            await grains.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([.. desired.Namespaces.Keys]).ConfigureAwait(false);
        }
        LogApplied(logger, count, desired.Services.Count, desired.Namespaces.Count);
        return count;

        async Task Write(string host, ServiceUpdate update, (string, string, string) fp)
        {
            await grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UpdateAsync(update).ConfigureAwait(false);
            _applied[host] = fp;
        }

        async Task Remove(string host)
        {
            await grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UpdateAsync(new ServiceUpdate { Removed = true }).ConfigureAwait(false);
            _applied.TryRemove(host, out _);
        }

        async Task WriteNamespace(string ns, NamespaceConfig config, string? fp)
        {
            await grains.GetGrain<INamespaceGrain>(ns).UpdateAsync(config).ConfigureAwait(false);
            if (fp is null)
            {
                _appliedNamespaces.TryRemove(ns, out _);
            }
            else
            {
                _appliedNamespaces[ns] = fp;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Writes} grain writes ({Services} services, {Namespaces} namespaces in the source)")]
    private static partial void LogApplied(ILogger logger, int writes, int services, int namespaces);
}
