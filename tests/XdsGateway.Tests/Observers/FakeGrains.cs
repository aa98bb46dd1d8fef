using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using Mesh.Grains;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Tests.Observers;

/// <summary>
/// An <see cref="IGrainFactory"/> for driving <see cref="Mesh.XdsGateway.Observers.GrainConfigWatcher"/>
/// without a cluster: grains answer from in-memory tables (services by host, one scope snapshot per
/// key) and every call is counted. Interfaces are implemented with <see cref="DispatchProxy"/>, so
/// only the calls the watcher makes need an answer.
/// </summary>
internal sealed class FakeGrains
{
    private readonly ConcurrentDictionary<string, ImmutableArray<XdsResource>> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ScopeSnapshot> _scopes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableArray<XdsResource>> _inbound = new(StringComparer.Ordinal);

    public FakeGrains() => Factory = Dispatch<IGrainFactory>(Factory_);

    public IGrainFactory Factory { get; }

    /// <summary>What the rollout table answers a gateway's subscription with.</summary>
    public ImmutableArray<RolloutView> Rollouts { get; set; } = [];

    /// <summary>NACK reports sent to rollout grains: (grain key, rollout, node, resource, detail, the gateway's cohort size).</summary>
    public ConcurrentQueue<(string Policy, string Rollout, string Node, string Resource, string Detail, int Cohort)> Nacks { get; } = [];

    public void SetService(string host, params XdsResource[] resources) => _services[host] = [.. resources];

    public void SetScope(ScopeSnapshot snapshot) => _scopes[snapshot.ScopeKey] = snapshot;

    /// <summary>The inbound listeners and clusters of the workload named <paramref name="workload"/> (none unless set).</summary>
    public void SetInbound(string workload, params XdsResource[] resources) => _inbound[workload] = [.. resources];

    /// <summary>Calls made to <c>INTERFACE.METHOD</c> (e.g. <c>IServiceGrain.SubscribeAsync</c>), over every key.</summary>
    public int Calls(string method) => _calls.GetValueOrDefault(method);

    /// <summary>Keys of the grains of an interface that were called.</summary>
    public ConcurrentBag<string> ServiceKeys { get; } = [];

    private object? Factory_(MethodInfo method, object?[] args)
    {
        switch (method.Name)
        {
            case nameof(IGrainFactory.CreateObjectReference):
                return args[0];
            case nameof(IGrainFactory.GetGrain) when args is [string key, ..]:
                var type = method.ReturnType;
                if (type == typeof(IServiceGrain))
                {
                    ServiceKeys.Add(key);
                    return Dispatch<IServiceGrain>((m, a) => Service(key, m, a));
                }
                if (type == typeof(IScopeGrain))
                {
                    return Dispatch<IScopeGrain>((m, a) => Scope(key, m, a));
                }
                if (type == typeof(IWorkloadGrain))
                {
                    return Dispatch<IWorkloadGrain>((m, a) => Workload(key, m, a));
                }
                if (type == typeof(IMeshGrain))
                {
                    return Dispatch<IMeshGrain>((m, a) => Count(m, Task.FromResult(true)));
                }
                if (type == typeof(IRolloutTableGrain))
                {
                    return Dispatch<IRolloutTableGrain>((m, a) => Count(m, m.ReturnType == typeof(Task<ImmutableArray<RolloutView>>) ? Task.FromResult(Rollouts) : Task.CompletedTask));
                }
                if (type == typeof(IRolloutGrain))
                {
                    return Dispatch<IRolloutGrain>((m, a) =>
                    {
                        if (m.Name == nameof(IRolloutGrain.NackAsync))
                        {
                            Nacks.Enqueue((key, (string)a[0]!, (string)a[1]!, (string)a[2]!, (string)a[3]!, (int)a[5]!));
                        }
                        return Count(m, Task.CompletedTask);
                    });
                }
                break;
            case nameof(IGrainFactory.GetGrain) when args is [long shard, ..] && method.ReturnType == typeof(IProxyStatusGrain):
                return Dispatch<IProxyStatusGrain>((m, a) => StatusShard(shard, m, a));
        }
        throw new NotSupportedException($"FakeGrains has no answer for IGrainFactory.{method.Name}({string.Join(", ", args)})");
    }

    private object? Service(string host, MethodInfo method, object?[] args) => method.Name switch
    {
        nameof(IServiceGrain.SubscribeAsync) => Count(method, Task.FromResult(ServiceSnapshotOf(host))),
        nameof(IServiceGrain.RenewAsync) => Count(method, Task.FromResult(
            ServiceSnapshot.VersionOf(ServiceSnapshotOf(host).Resources) == (string?)args[1] ? null : (ServiceSnapshot?)ServiceSnapshotOf(host))),
        nameof(IServiceGrain.UnsubscribeAsync) => Count(method, Task.CompletedTask),
        _ => throw new NotSupportedException($"IServiceGrain.{method.Name}"),
    };

    private ServiceSnapshot ServiceSnapshotOf(string host) => new(host, _services.ContainsKey(host), _services.GetValueOrDefault(host, []));

    private object? Scope(string key, MethodInfo method, object?[] args) => method.Name switch
    {
        nameof(IScopeGrain.SubscribeAsync) => Count(method, Task.FromResult(ScopeOf(key))),
        nameof(IScopeGrain.RenewAsync) => Count(method, Task.FromResult(ScopeOf(key).Version == (string?)args[2] ? null : (ScopeSnapshot?)ScopeOf(key))),
        nameof(IScopeGrain.UnsubscribeAsync) => Count(method, Task.CompletedTask),
        _ => throw new NotSupportedException($"IScopeGrain.{method.Name}"),
    };

    private ScopeSnapshot ScopeOf(string key) => _scopes.GetValueOrDefault(key) ?? ScopeSnapshot.NotReady(key);

    /// <summary>Every workload is served by the scope of its kind and namespace without a Sidecar.</summary>
    private object? Workload(string key, MethodInfo method, object?[] args) => method.Name switch
    {
        nameof(IWorkloadGrain.SubscribeAsync) when args[1] is WorkloadIdentity id => Count(method, Task.FromResult(WorkloadOf(key, id))),
        nameof(IWorkloadGrain.RenewAsync) when args[1] is WorkloadIdentity id => Count(method, Task.FromResult((string?)args[2] == "w1" ? null
            : (WorkloadSnapshot?)WorkloadOf(key, id))),
        _ => Count(method, Task.CompletedTask),
    };

    private WorkloadSnapshot WorkloadOf(string key, WorkloadIdentity id)
    {
        var inbound = _inbound.GetValueOrDefault(id.Workload, []);
        return new WorkloadSnapshot(key, "w1", true, ScopeIdentity.Shared(id.Kind, id.Namespace, null),
            [.. inbound.Where(r => r.TypeUrl == TypeUrls.Listener)], [.. inbound.Where(r => r.TypeUrl == TypeUrls.Cluster)]);
    }

    /// <summary>Every report a status shard received: (shard, node id) per node reported.</summary>
    public ConcurrentQueue<(long Shard, string NodeId)> StatusReports { get; } = [];

    private object? StatusShard(long shard, MethodInfo method, object?[] args)
    {
        if (method.Name == nameof(IProxyStatusGrain.ReportAsync) && args[0] is ImmutableArray<NodeReport> reports)
        {
            foreach (var r in reports)
            {
                StatusReports.Enqueue((shard, r.NodeId));
            }
        }
        return Count(method, method.ReturnType == typeof(Task<ProxyStatus?>) ? Task.FromResult<ProxyStatus?>(null) : Task.CompletedTask);
    }

    private object? Count(MethodInfo method, object? result)
    {
        _calls.AddOrUpdate($"{method.DeclaringType?.Name}.{method.Name}", 1, (_, n) => n + 1);
        return result;
    }

    private static T Dispatch<T>(Func<MethodInfo, object?[], object?> handler)
        where T : class
    {
        var proxy = DispatchProxy.Create<T, Handler>();
        ((Handler)(object)proxy).Invoke_ = handler;
        return proxy;
    }

    /// <summary>Routes every interface call to a delegate (DispatchProxy derives from it, so it cannot be sealed).</summary>
#pragma warning disable CA1852
    public class Handler : DispatchProxy
#pragma warning restore CA1852
    {
        internal Func<MethodInfo, object?[], object?> Invoke_ { get; set; } = (m, _) => throw new NotSupportedException(m.Name);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            Invoke_(targetMethod ?? throw new ArgumentNullException(nameof(targetMethod)), args ?? []);
    }
}
