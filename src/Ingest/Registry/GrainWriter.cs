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

    /// <summary>The writer's epoch from leader election, carried by every write (0: unfenced, a single writer).</summary>
    public long Epoch { get; set; }

    /// <summary>
    /// Forgets what was applied, so the next apply writes everything again: the reconciler's way to
    /// restore grain state that storage lost (the grains drop writes that change nothing they serve).
    /// </summary>
    public void ForgetApplied()
    {
        _applied.Clear();
        _appliedNamespaces.Clear();
    }

    /// <summary>Applies the whole state (services and namespaces it lacks are removed); returns the number of grain writes made.</summary>
    public Task<int> ApplyAsync(DesiredState desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(desired);
        var services = desired.Services.ToDictionary(kv => kv.Key, kv => (DesiredService?)kv.Value, StringComparer.Ordinal);
        foreach (var gone in _applied.Keys.Where(h => !desired.Services.ContainsKey(h)))
        {
            services[gone] = null;
        }
        var namespaces = desired.Namespaces.ToDictionary(kv => kv.Key, kv => (NamespaceConfig?)kv.Value, StringComparer.Ordinal);
        foreach (var gone in _appliedNamespaces.Keys.Where(n => !desired.Namespaces.ContainsKey(n)))
        {
            namespaces[gone] = null;
        }
        return ApplyChangesAsync(services, namespaces, [.. desired.Namespaces.Keys], cancellationToken);
    }

    /// <summary>
    /// Applies the given services and namespaces only (null: remove it), writing those whose content
    /// differs from what was last applied; when a namespace is written, the mesh's namespace list
    /// becomes <paramref name="namespaceList"/>. Returns the number of grain writes made.
    /// </summary>
    public async Task<int> ApplyChangesAsync(
        IReadOnlyDictionary<string, DesiredService?> services,
        IReadOnlyDictionary<string, NamespaceConfig?> namespaces,
        IReadOnlyCollection<string> namespaceList,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(namespaces);
        var writes = new List<Task>();
        foreach (var (host, svc) in services)
        {
            if (svc is null)
            {
                if (_applied.ContainsKey(host))
                {
                    writes.Add(Remove(host));
                }
                continue;
            }
            var fp = (Fingerprint.Of(svc.Definition), Fingerprint.Of(svc.Endpoints), Fingerprint.Of(svc.Routing));
            _applied.TryGetValue(host, out var old);
            if (old == fp)
            {
                continue;
            }
            var update = new ServiceUpdate
            {
                WriterEpoch = Epoch,
                Definition = old.Def == fp.Item1 ? null : svc.Definition,
                Endpoints = old.Endpoints == fp.Item2 ? null : svc.Endpoints,
                Routing = old.Routing == fp.Item3 ? null : svc.Routing,
                RolloutPolicy = old.Routing == fp.Item3 ? null : svc.Policy,
            };
            writes.Add(Write(host, update, fp));
        }
        await Task.WhenAll(writes).WaitAsync(cancellationToken).ConfigureAwait(false);
        var count = writes.Count;

        var nsWrites = new List<Task>();
        foreach (var (ns, config) in namespaces)
        {
            if (config is null)
            {
                if (_appliedNamespaces.ContainsKey(ns))
                {
                    nsWrites.Add(WriteNamespace(ns, NamespaceConfig.Empty(ns), null));
                }
                continue;
            }
            var fp = Fingerprint.Of(config);
            if (_appliedNamespaces.GetValueOrDefault(ns) != fp)
            {
                nsWrites.Add(WriteNamespace(ns, config, fp));
            }
        }
        await Task.WhenAll(nsWrites).WaitAsync(cancellationToken).ConfigureAwait(false);
        count += nsWrites.Count;

        if (nsWrites.Count > 0)
        {
            await grains.GetGrain<IMeshGrain>(MeshKey.Default).SetNamespacesAsync([.. namespaceList.Order(StringComparer.Ordinal)], Epoch).ConfigureAwait(false);
        }
        LogApplied(logger, count, services.Count, namespaces.Count);
        return count;

        async Task Write(string host, ServiceUpdate update, (string, string, string) fp)
        {
            await grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UpdateAsync(update).ConfigureAwait(false);
            _applied[host] = fp;
        }

        async Task Remove(string host)
        {
            await grains.GetGrain<IServiceGrain>(ServiceKey.From(host)).UpdateAsync(new ServiceUpdate { Removed = true, WriterEpoch = Epoch }).ConfigureAwait(false);
            _applied.TryRemove(host, out _);
        }

        async Task WriteNamespace(string ns, NamespaceConfig config, string? fp)
        {
            await grains.GetGrain<INamespaceGrain>(ns).UpdateAsync(config, Epoch).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Writes} grain writes ({Services} services, {Namespaces} namespaces compared)")]
    private static partial void LogApplied(ILogger logger, int writes, int services, int namespaces);
}
