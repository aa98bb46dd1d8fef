using k8s.Models;

namespace Mesh.Deploy.Tests;

/// <summary>deploy/k8s parses into typed objects and every reference between them resolves.</summary>
public sealed class KubernetesManifestsTests
{
    private static readonly string[] s_meshComponents = ["silo", "gateway", "ingest"];

    [Fact]
    public void Manifests_EveryDocument_ParsesToAnAllowedTypedKind()
    {
        var problems = new Problems();
        var files = KubernetesManifests.Files().ToList();
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            List<object> objects;
            try
            {
                objects = KubernetesManifests.Parse(file);
            }
            catch (Exception e)
            {
                problems.Add($"{Repo.Relative(file)}: does not parse strictly: {e.GetType().Name}: {e.Message}");
                continue;
            }
            problems.Check(objects.Count > 0, $"{Repo.Relative(file)}: no objects");
            foreach (var obj in objects)
            {
                var meta = obj as k8s.IKubernetesObject<V1ObjectMeta>;
                var key = $"{meta?.ApiVersion}/{meta?.Kind}";
                var where = $"{Repo.Relative(file)} {meta?.Kind}/{meta?.Metadata?.Name}";
                problems.Check(
                    KubernetesManifests.AllowedKinds.TryGetValue(key, out var type) && type == obj.GetType(),
                    $"{where}: apiVersion/kind '{key}' parsed to {obj.GetType().Name}; allowed: {string.Join(", ", KubernetesManifests.AllowedKinds.Keys)}");
                problems.Check(!string.IsNullOrEmpty(meta?.Metadata?.Name), $"{where}: metadata.name is empty");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void Manifests_NamespacedObjects_AreInMeshSystem()
    {
        var problems = new Problems();
        foreach (var m in KubernetesManifests.All)
        {
            var clusterScoped = m.Object is V1Namespace or V1ClusterRole or V1ClusterRoleBinding or V1CustomResourceDefinition;
            if (clusterScoped)
            {
                problems.Check(m.Namespace is null, $"{m}: metadata.namespace is '{m.Namespace}' on a cluster-scoped kind");
            }
            else
            {
                problems.Check(m.Namespace == KubernetesManifests.MeshNamespace,
                    $"{m}: metadata.namespace is '{m.Namespace}', expected '{KubernetesManifests.MeshNamespace}'");
            }
        }
        problems.Check(KubernetesManifests.OfType<V1Namespace>().Any(n => n.Manifest.Name == KubernetesManifests.MeshNamespace),
            $"{KubernetesManifests.Directory}: no Namespace/{KubernetesManifests.MeshNamespace}");
        problems.AssertNone();
    }

    [Fact]
    public void Workloads_Selector_MatchesTemplateLabelsAndNamesAComponent()
    {
        var problems = new Problems();
        var workloads = KubernetesManifests.Workloads();
        foreach (var w in workloads)
        {
            var match = w.Selector?.MatchLabels;
            problems.Check(w.Selector?.MatchExpressions is null or { Count: 0 }, $"{w}: spec.selector.matchExpressions is not supported here; use matchLabels");
            problems.Check(KubernetesManifests.Selects(match, w.PodLabels),
                $"{w}: spec.selector.matchLabels {Show(match)} does not match spec.template.metadata.labels {Show(w.PodLabels)}");
            foreach (var label in new[] { "app.kubernetes.io/name", "app.kubernetes.io/component" })
            {
                problems.Check(match?.ContainsKey(label) == true, $"{w}: spec.selector.matchLabels lacks {label}");
            }
        }
        foreach (var component in s_meshComponents.Append("redis"))
        {
            problems.Check(workloads.Count(w => w.PodLabels.TryGetValue("app.kubernetes.io/component", out var c) && c == component) == 1,
                $"{KubernetesManifests.Directory}: expected exactly one workload with app.kubernetes.io/component={component}");
        }
        problems.AssertNone();
    }

    [Fact]
    public void Services_Selector_MatchesExactlyOneWorkload()
    {
        var problems = new Problems();
        var workloads = KubernetesManifests.Workloads();
        foreach (var (m, service) in KubernetesManifests.OfType<V1Service>())
        {
            var selected = workloads.Where(w => KubernetesManifests.Selects(service.Spec?.Selector, w.PodLabels)).ToList();
            problems.Check(selected.Count == 1,
                $"{m}: spec.selector {Show(service.Spec?.Selector)} selects {selected.Count} workloads ({string.Join(", ", selected)}), expected exactly 1");
        }
        problems.AssertNone();
    }

    [Fact]
    public void Services_TargetPort_IsAContainerPortOfTheSelectedPods()
    {
        var problems = new Problems();
        var workloads = KubernetesManifests.Workloads();
        foreach (var (m, service) in KubernetesManifests.OfType<V1Service>())
        {
            var selected = workloads.Where(w => KubernetesManifests.Selects(service.Spec?.Selector, w.PodLabels)).ToList();
            problems.Check(service.Spec?.Ports is { Count: > 0 }, $"{m}: spec.ports is empty");
            foreach (var port in service.Spec?.Ports ?? [])
            {
                var target = port.TargetPort ?? (IntOrString)port.Port;
                foreach (var w in selected)
                {
                    problems.Check(KubernetesManifests.HasPort(w.Containers, target),
                        $"{m}: spec.ports[{port.Name}].targetPort '{target.Value}' is not a containerPort (number or name) of {w}");
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void Containers_Always_HaveResourcesAndBothProbesOnDeclaredPorts()
    {
        var problems = new Problems();
        foreach (var w in KubernetesManifests.Workloads())
        {
            foreach (var c in w.Template.Spec.Containers)
            {
                var where = $"{w} container '{c.Name}'";
                foreach (var resource in new[] { "cpu", "memory" })
                {
                    problems.Check(c.Resources?.Requests?.ContainsKey(resource) == true, $"{where}: resources.requests.{resource} is missing");
                    problems.Check(c.Resources?.Limits?.ContainsKey(resource) == true, $"{where}: resources.limits.{resource} is missing");
                }
                foreach (var (field, probe) in new[] { ("livenessProbe", c.LivenessProbe), ("readinessProbe", c.ReadinessProbe) })
                {
                    if (probe is null)
                    {
                        problems.Add($"{where}: {field} is missing");
                        continue;
                    }
                    var port = probe.HttpGet?.Port ?? probe.TcpSocket?.Port
                        ?? (probe.Grpc is { } g ? (IntOrString)g.Port : null);
                    problems.Check(port is not null || probe.Exec is not null, $"{where}: {field} has no httpGet, tcpSocket, grpc or exec handler");
                    if (port is not null)
                    {
                        problems.Check(KubernetesManifests.HasPort([c], port), $"{where}: {field} port '{port.Value}' is not a containerPort of the container");
                    }
                }
                if (IsMesh(w))
                {
                    problems.Check(c.LivenessProbe?.HttpGet is { Path: "/healthz" } l && l.Port?.Value is "15014" or "http-admin",
                        $"{where}: livenessProbe must be httpGet /healthz on the admin port 15014");
                    problems.Check(c.ReadinessProbe?.HttpGet is { Path: "/readyz" } r && r.Port?.Value is "15014" or "http-admin",
                        $"{where}: readinessProbe must be httpGet /readyz on the admin port 15014");
                    problems.Check(c.Ports?.Any(p => p.ContainerPort == 15014) == true, $"{where}: ports lacks the admin port 15014");
                }
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void StatefulSets_ServiceName_NamesAHeadlessService()
    {
        var problems = new Problems();
        var services = KubernetesManifests.OfType<V1Service>().ToList();
        foreach (var (m, set) in KubernetesManifests.OfType<V1StatefulSet>())
        {
            var service = services.FirstOrDefault(s => s.Manifest.Name == set.Spec.ServiceName);
            if (service.Object is null)
            {
                problems.Add($"{m}: spec.serviceName '{set.Spec.ServiceName}' names no Service");
                continue;
            }
            problems.Check(service.Object.Spec?.ClusterIP == "None", $"{m}: spec.serviceName '{set.Spec.ServiceName}' is {service.Manifest}, whose spec.clusterIP is '{service.Object.Spec?.ClusterIP}', not None");
            problems.Check(KubernetesManifests.Selects(service.Object.Spec?.Selector, set.Spec.Template.Metadata.Labels),
                $"{m}: spec.serviceName '{set.Spec.ServiceName}' does not select this StatefulSet's pods");
        }
        problems.AssertNone();
    }

    [Fact]
    public void AutoscalerAndDisruptionBudget_Target_IsTheGatewayDeployment()
    {
        var problems = new Problems();
        var gateway = Component("gateway");
        Assert.True(gateway is { Manifest.Object: V1Deployment }, $"{KubernetesManifests.Directory}: the gateway (app.kubernetes.io/component=gateway) must be a Deployment");
        var hpas = KubernetesManifests.OfType<V2HorizontalPodAutoscaler>().ToList();
        var pdbs = KubernetesManifests.OfType<V1PodDisruptionBudget>().ToList();
        problems.Check(hpas.Count == 1, $"{KubernetesManifests.Directory}: expected one HorizontalPodAutoscaler, found {hpas.Count}");
        problems.Check(pdbs.Count == 1, $"{KubernetesManifests.Directory}: expected one PodDisruptionBudget, found {pdbs.Count}");
        foreach (var (m, hpa) in hpas)
        {
            var target = hpa.Spec.ScaleTargetRef;
            problems.Check(target is { ApiVersion: "apps/v1", Kind: "Deployment" } && target.Name == gateway!.Manifest.Name,
                $"{m}: spec.scaleTargetRef {target?.ApiVersion}/{target?.Kind}/{target?.Name} is not apps/v1/Deployment/{gateway!.Manifest.Name}");
            problems.Check(hpa.Spec.Metrics?.Any(x => x.Resource?.Name == "cpu") == true, $"{m}: spec.metrics has no cpu Resource metric");
            problems.Check(hpa.Spec.MinReplicas >= 2 && hpa.Spec.MaxReplicas >= hpa.Spec.MinReplicas,
                $"{m}: spec.minReplicas must be ≥ 2 and ≤ spec.maxReplicas");
        }
        foreach (var (m, pdb) in pdbs)
        {
            problems.Check(pdb.Spec.MinAvailable?.Value == "1", $"{m}: spec.minAvailable is '{pdb.Spec.MinAvailable?.Value}', expected 1");
            var selected = KubernetesManifests.Workloads().Where(w => KubernetesManifests.Selects(pdb.Spec.Selector?.MatchLabels, w.PodLabels)).ToList();
            problems.Check(selected.Count == 1 && selected[0] == gateway,
                $"{m}: spec.selector.matchLabels {Show(pdb.Spec.Selector?.MatchLabels)} selects [{string.Join(", ", selected)}], expected only {gateway}");
        }
        var grace = gateway!.Template.Spec.TerminationGracePeriodSeconds ?? 30;
        problems.Check(grace >= 30, $"{gateway}: spec.template.spec.terminationGracePeriodSeconds is {grace}; the gateway drains for 20 s, so it must be ≥ 30");
        problems.AssertNone();
    }

    [Fact]
    public void Workloads_ServiceAccountName_Exists()
    {
        var problems = new Problems();
        var accounts = KubernetesManifests.OfType<V1ServiceAccount>().Select(a => a.Manifest.Name).ToHashSet();
        foreach (var w in KubernetesManifests.Workloads())
        {
            var name = w.Template.Spec.ServiceAccountName;
            problems.Check(!string.IsNullOrEmpty(name), $"{w}: spec.template.spec.serviceAccountName is not set");
            problems.Check(string.IsNullOrEmpty(name) || accounts.Contains(name), $"{w}: spec.template.spec.serviceAccountName '{name}' names no ServiceAccount");
        }
        problems.AssertNone();
    }

    [Fact]
    public void Bindings_RoleRefAndSubjects_Exist()
    {
        var problems = new Problems();
        var accounts = KubernetesManifests.OfType<V1ServiceAccount>().Select(a => (a.Manifest.Namespace, a.Manifest.Name)).ToHashSet();
        var roles = KubernetesManifests.OfType<V1Role>().Select(r => (r.Manifest.Namespace, r.Manifest.Name)).ToHashSet();
        var clusterRoles = KubernetesManifests.OfType<V1ClusterRole>().Select(r => r.Manifest.Name).ToHashSet();
        var bindings = KubernetesManifests.OfType<V1RoleBinding>().Select(b => (b.Manifest, b.Object.RoleRef, b.Object.Subjects))
            .Concat(KubernetesManifests.OfType<V1ClusterRoleBinding>().Select(b => (b.Manifest, b.Object.RoleRef, b.Object.Subjects)));
        foreach (var (m, roleRef, subjects) in bindings)
        {
            var exists = roleRef?.Kind switch
            {
                "Role" => m.Object is V1RoleBinding && roles.Contains((m.Namespace, roleRef.Name)),
                "ClusterRole" => clusterRoles.Contains(roleRef.Name),
                _ => false,
            };
            problems.Check(roleRef?.ApiGroup == "rbac.authorization.k8s.io" && exists,
                $"{m}: roleRef {roleRef?.ApiGroup}/{roleRef?.Kind}/{roleRef?.Name} names no Role/ClusterRole in {KubernetesManifests.Directory}");
            problems.Check(subjects is { Count: > 0 }, $"{m}: subjects is empty");
            foreach (var s in subjects ?? [])
            {
                var ns = s.NamespaceProperty ?? m.Namespace;
                problems.Check(s.Kind == "ServiceAccount" && accounts.Contains((ns, s.Name)),
                    $"{m}: subjects entry {s.Kind} {ns}/{s.Name} names no ServiceAccount in {KubernetesManifests.Directory}");
            }
        }
        problems.AssertNone();
    }

    [Fact]
    public void MeshContainers_RedisEnv_PointsAtTheRedisService()
    {
        var problems = new Problems();
        var redis = Component("redis");
        Assert.NotNull(redis);
        var redisServices = KubernetesManifests.OfType<V1Service>()
            .Where(s => KubernetesManifests.Selects(s.Object.Spec?.Selector, redis.PodLabels)).ToList();
        foreach (var component in s_meshComponents)
        {
            var w = Component(component);
            if (w is null)
            {
                problems.Add($"{KubernetesManifests.Directory}: no workload with app.kubernetes.io/component={component}");
                continue;
            }
            foreach (var c in w.Template.Spec.Containers)
            {
                var value = c.Env?.FirstOrDefault(e => e.Name == "Mesh__Redis")?.Value;
                var where = $"{w} container '{c.Name}' env Mesh__Redis";
                if (string.IsNullOrEmpty(value))
                {
                    problems.Add($"{where}: not set (or not a literal value)");
                    continue;
                }
                var (host, port) = SplitEndpoint(value);
                var ok = redisServices.Any(s =>
                    (host == s.Manifest.Name || host.StartsWith($"{s.Manifest.Name}.{s.Manifest.Namespace}", StringComparison.Ordinal))
                    && s.Object.Spec.Ports.Any(p => p.Port == port));
                problems.Check(ok, $"{where}: '{value}' is not <service>:<port> of a Service selecting the Redis pods ({string.Join(", ", redisServices.Select(s => $"{s.Manifest.Name}:{string.Join("/", s.Object.Spec.Ports.Select(p => p.Port))}"))})");
            }
        }
        var silo = Component("silo");
        var advertised = silo?.Template.Spec.Containers.SelectMany(c => c.Env ?? []).FirstOrDefault(e => e.Name == "Mesh__AdvertisedIp");
        problems.Check(advertised?.ValueFrom?.FieldRef?.FieldPath == "status.podIP",
            $"{silo}: env Mesh__AdvertisedIp must come from the downward API fieldRef status.podIP");
        problems.AssertNone();
    }

    internal static Workload? Component(string component) =>
        KubernetesManifests.Workloads().SingleOrDefault(w =>
            w.PodLabels.TryGetValue("app.kubernetes.io/component", out var c) && c == component);

    private static bool IsMesh(Workload w) =>
        w.PodLabels.TryGetValue("app.kubernetes.io/component", out var c) && s_meshComponents.Contains(c);

    /// <summary>host:port of a StackExchange.Redis connection string (first endpoint; options after a comma ignored).</summary>
    internal static (string Host, int Port) SplitEndpoint(string value)
    {
        var endpoint = value.Split(',')[0].Trim();
        var colon = endpoint.LastIndexOf(':');
        return colon < 0
            ? (endpoint, 6379)
            : (endpoint[..colon], int.TryParse(endpoint[(colon + 1)..], out var p) ? p : -1);
    }

    private static string Show(IDictionary<string, string>? labels) =>
        labels is null ? "(none)" : "{" + string.Join(", ", labels.Select(kv => $"{kv.Key}={kv.Value}")) + "}";
}
