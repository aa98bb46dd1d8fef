using k8s.Models;

namespace Mesh.Deploy.Tests;

/// <summary>The ingest gets exactly the access it needs: cluster-wide reads of its inputs, a patch of ServiceFence status, and a Lease.</summary>
public sealed class RbacTests
{
    private static readonly string[] s_readVerbs = ["get", "list", "watch"];

    /// <summary>(apiGroup, resource) pairs the ingest reads: Namespaces, Nodes (locality), Services, Pods, EndpointSlices, the Istio CRDs, Slime's ServiceFence (both groups) and Mesh's RolloutPolicy.</summary>
    private static readonly HashSet<string> s_ingestReads =
    [
        "/namespaces", "/nodes", "/services", "/pods",
        "discovery.k8s.io/endpointslices",
        "networking.istio.io/virtualservices", "networking.istio.io/destinationrules",
        "networking.istio.io/gateways", "networking.istio.io/sidecars",
        "networking.istio.io/serviceentries", "networking.istio.io/workloadentries",
        "microservice.slime.io/servicefences", "microservice.netease.com/servicefences",
        "mesh.dev/rolloutpolicies",
    ];

    /// <summary>The one write outside its Lease: each ServiceFence's status.domains, in both of Slime's groups.</summary>
    private static readonly HashSet<string> s_ingestStatusPatches = ["microservice.slime.io/servicefences/status", "microservice.netease.com/servicefences/status"];

    [Fact]
    public void ClusterRole_Rules_GrantExactlyTheIngestReads_AndTheFenceStatusPatch()
    {
        var problems = new Problems();
        var (m, role) = Assert.Single(KubernetesManifests.OfType<V1ClusterRole>());
        var granted = new HashSet<string>();
        var patched = new HashSet<string>();
        for (var i = 0; i < role.Rules.Count; i++)
        {
            var rule = role.Rules[i];
            var where = $"{m}: rules[{i}]";
            var status = rule.Resources?.All(r => r.EndsWith("/status", StringComparison.Ordinal)) == true;
            problems.Check(status ? rule.Verbs.SequenceEqual(["patch"]) : rule.Verbs.Order().SequenceEqual(s_readVerbs.Order()),
                $"{where}.verbs [{string.Join(", ", rule.Verbs)}], expected exactly {(status ? "[patch] on a status subresource" : "[get, list, watch]")}");
            problems.Check(rule.ResourceNames is null or { Count: 0 } && rule.NonResourceURLs is null or { Count: 0 },
                $"{where}: resourceNames/nonResourceURLs are not expected");
            foreach (var group in rule.ApiGroups ?? [])
            {
                foreach (var resource in rule.Resources ?? [])
                {
                    problems.Check(group != "*" && resource != "*" && (status || !resource.Contains('/', StringComparison.Ordinal)),
                        $"{where}: '{group}/{resource}' is a wildcard or subresource");
                    (status ? patched : granted).Add($"{group}/{resource}");
                }
            }
        }
        problems.Check(patched.SetEquals(s_ingestStatusPatches), $"{m}: status patches granted [{string.Join(", ", patched.Order())}], expected exactly [{string.Join(", ", s_ingestStatusPatches.Order())}]");
        var extra = granted.Except(s_ingestReads).Order().ToList();
        var missing = s_ingestReads.Except(granted).Order().ToList();
        problems.Check(extra.Count == 0, $"{m}: rules grant more than the ingest needs: {string.Join(", ", extra)}");
        problems.Check(missing.Count == 0, $"{m}: rules lack what the ingest reads: {string.Join(", ", missing)}");
        problems.AssertNone();
    }

    [Fact]
    public void Role_Rules_GrantOnlyLeaderElectionLeases()
    {
        var problems = new Problems();
        var (m, role) = Assert.Single(KubernetesManifests.OfType<V1Role>());
        problems.Check(m.Namespace == KubernetesManifests.MeshNamespace, $"{m}: metadata.namespace is '{m.Namespace}', expected {KubernetesManifests.MeshNamespace}");
        var rule = Assert.Single(role.Rules);
        problems.Check(rule.ApiGroups.SequenceEqual(["coordination.k8s.io"]), $"{m}: rules[0].apiGroups [{string.Join(", ", rule.ApiGroups)}], expected [coordination.k8s.io]");
        problems.Check(rule.Resources.SequenceEqual(["leases"]), $"{m}: rules[0].resources [{string.Join(", ", rule.Resources)}], expected [leases]");
        problems.Check(rule.Verbs.Order().SequenceEqual(new[] { "create", "get", "update" }),
            $"{m}: rules[0].verbs [{string.Join(", ", rule.Verbs)}], expected exactly [get, create, update]");
        problems.AssertNone();
    }

    [Fact]
    public void Bindings_Subjects_AreOnlyTheIngestServiceAccount()
    {
        var problems = new Problems();
        var ingest = KubernetesManifestsTests.Component("ingest");
        Assert.NotNull(ingest);
        var account = ingest.Template.Spec.ServiceAccountName;
        var bindings = KubernetesManifests.OfType<V1RoleBinding>().Select(b => (b.Manifest, b.Object.Subjects))
            .Concat(KubernetesManifests.OfType<V1ClusterRoleBinding>().Select(b => (b.Manifest, b.Object.Subjects)));
        foreach (var (m, subjects) in bindings)
        {
            foreach (var s in subjects ?? [])
            {
                problems.Check(s.Kind == "ServiceAccount" && s.Name == account && (s.NamespaceProperty ?? m.Namespace) == KubernetesManifests.MeshNamespace,
                    $"{m}: subjects entry {s.Kind} {s.NamespaceProperty}/{s.Name}; only the ingest's ServiceAccount {KubernetesManifests.MeshNamespace}/{account} is bound");
            }
        }
        foreach (var w in KubernetesManifests.Workloads().Where(w => w != ingest))
        {
            var name = w.Template.Spec.ServiceAccountName;
            var sa = KubernetesManifests.OfType<V1ServiceAccount>().FirstOrDefault(a => a.Manifest.Name == name).Object;
            problems.Check(sa?.AutomountServiceAccountToken == false,
                $"{w}: ServiceAccount '{name}' must set automountServiceAccountToken: false (only the ingest talks to the API server)");
        }
        problems.AssertNone();
    }
}
