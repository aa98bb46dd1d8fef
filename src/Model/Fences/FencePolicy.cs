using System.Collections.Immutable;
using Mesh.Model.Config;
using Mesh.Model.Services;

namespace Mesh.Model.Fences;

/// <summary>
/// What a ServiceFence admits and which workloads it fences, as Slime defines it: pure functions of
/// the fence, the services and the time passed in.
/// </summary>
public static class FencePolicy
{
    /// <summary>The label key Slime puts on a fenced workload when <c>fromService</c> is false (its <c>global.service</c> default).</summary>
    public const string ServiceLabel = "app";

    /// <summary>
    /// The fences in force in one namespace: its enabled ServiceFences, plus one implied for each
    /// Service labelled <c>slime.io/serviceFenced: "true"</c> that has none (Slime's auto mode), or
    /// every Service not labelled <c>"false"</c> when the namespace is labelled so
    /// (<paramref name="namespaceFenced"/>). A fence for a Service labelled <c>"false"</c> is kept
    /// when written by hand, as Slime's manual mode does.
    /// </summary>
    public static ImmutableArray<ServiceFence> InForce(IEnumerable<ServiceFence> fences, IEnumerable<MeshService> services, bool namespaceFenced = false)
    {
        var explicitFences = fences.ToList();
        var named = explicitFences.Select(f => f.Meta.Name).ToHashSet(StringComparer.Ordinal);
        return [.. explicitFences.Where(f => f.Enable)
            .Concat(services
                .Where(s => s.Origin == ServiceOrigin.Kubernetes && !named.Contains(s.ShortName)
                    && (s.LabelsOrEmpty.TryGetValue(ServiceFence.FencedLabel, out var v) ? v == "true" : namespaceFenced))
                .Select(Implied))
            .OrderBy(f => f.Meta.Name, StringComparer.Ordinal)];
    }

    /// <summary>The fence a <c>slime.io/serviceFenced: "true"</c> label implies: enabled, nothing static.</summary>
    public static ServiceFence Implied(MeshService service) => new(
        new ObjectMeta(service.ShortName, service.Namespace, ImmutableSortedDictionary<string, string>.Empty, ImmutableSortedDictionary<string, string>.Empty),
        ServiceFence.ApiVersions[0], true, ImmutableSortedDictionary<string, FenceHostPolicy>.Empty, [], [], null);

    /// <summary>
    /// The labels that select a fence's workloads: <c>workloadSelector.labels</c> when given, else the
    /// Service's own selector (<c>fromService</c>, Slime's default when no workloadSelector), else
    /// <c>app: NAME</c>. Null when it selects nothing (a fence from its Service whose Service is gone or selects no pods).
    /// </summary>
    public static ImmutableSortedDictionary<string, string>? WorkloadLabels(ServiceFence fence, MeshService? service)
    {
        if (fence.WorkloadSelector is { Labels.Count: > 0 } explicitLabels)
        {
            return explicitLabels.Labels;
        }
        if (fence.WorkloadSelector is { FromService: false })
        {
            return ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(ServiceLabel, fence.Meta.Name)]);
        }
        return service is { Selector.Count: > 0 } ? service.Selector : null;
    }

    /// <summary>The first fence (by name) in force in the workload's namespace that selects its labels; null when none does.</summary>
    public static ServiceFence? Select(ImmutableArray<ServiceFence> inForce, IReadOnlyCollection<MeshService> servicesOfNamespace, IReadOnlyDictionary<string, string> workloadLabels)
    {
        foreach (var fence in inForce)
        {
            var service = servicesOfNamespace.FirstOrDefault(s => s.Origin == ServiceOrigin.Kubernetes && s.ShortName == fence.Meta.Name);
            if (WorkloadLabels(fence, service) is { } selector && selector.Matches(workloadLabels))
            {
                return fence;
            }
        }
        return null;
    }

    /// <summary>
    /// Whether the fence admits <paramref name="service"/> by itself (not through a VirtualService):
    /// a host of <c>spec.host</c> not past its deadline at <paramref name="now"/> (its FQDN, or
    /// <c>namespace/*</c>), a namespace of <c>namespaceSelector</c>, a <c>labelSelector</c> the
    /// service's labels match, a host learned, or the lazy egress itself.
    /// </summary>
    public static bool Admits(ServiceFence fence, IReadOnlySet<string> learned, MeshService service, string lazyEgress, DateTimeOffset now)
    {
        var host = service.Hostname;
        if (string.Equals(host, lazyEgress, StringComparison.OrdinalIgnoreCase) || learned.Contains(host))
        {
            return true;
        }
        if (fence.Hosts.TryGetValue(host, out var policy) && Live(policy, now))
        {
            return true;
        }
        if (fence.Hosts.TryGetValue(service.Namespace + "/*", out var nsPolicy) && Live(nsPolicy, now))
        {
            return true;
        }
        if (fence.NamespaceSelector.Contains(service.Namespace, StringComparer.Ordinal))
        {
            return true;
        }
        var labels = service.LabelsOrEmpty;
        return fence.LabelSelector.Any(selector => selector.Count > 0 && selector.Matches(labels));
    }

    /// <summary>
    /// Adds to <paramref name="admitted"/> every host its services' VirtualServices route to, and so
    /// on (a routes to b, b to c), as long as <paramref name="canSee"/> allows each: Slime follows
    /// VirtualService destinations so that a fenced route never points at a missing cluster.
    /// </summary>
    public static HashSet<string> Follow(IEnumerable<string> admitted, Func<string, IEnumerable<string>> destinationsOf, Func<string, bool> canSee)
    {
        var result = new HashSet<string>(admitted, StringComparer.Ordinal);
        var queue = new Queue<string>(result);
        while (queue.TryDequeue(out var host))
        {
            foreach (var next in destinationsOf(host))
            {
                if (!result.Contains(next) && canSee(next))
                {
                    result.Add(next);
                    queue.Enqueue(next);
                }
            }
        }
        return result;
    }

    /// <summary>Null when <paramref name="host"/> can be learned (a lowercase FQDN, no wildcard, no <c>namespace/*</c>); otherwise why not.</summary>
    public static string? CheckLearnedHost(string host) =>
        host.Contains('/', StringComparison.Ordinal)
            ? $"host '{host}': learn one service by its FQDN; 'namespace/*' belongs in the ServiceFence's spec.host"
            : Validation.ServiceFenceValidator.FenceHost(host);

    /// <summary>True unless the host's deadline has passed.</summary>
    public static bool Live(FenceHostPolicy policy, DateTimeOffset now) =>
        policy.Recycling != FenceRecycling.Deadline || policy.Expire is not { } expire || expire > now;
}
