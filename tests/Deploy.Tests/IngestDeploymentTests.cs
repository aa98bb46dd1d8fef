using k8s.Models;

namespace Mesh.Deploy.Tests;

/// <summary>The deployed ingest serves its own cluster, and runs more than one replica only with a per-pod Lease identity.</summary>
public sealed class IngestDeploymentTests
{
    [Fact]
    public void Ingest_ServesTheClusterInCluster_AsLeaderElectedReplicasNamedByTheirPod()
    {
        var problems = new Problems();
        var ingest = KubernetesManifestsTests.Component("ingest");
        Assert.True(ingest is { Manifest.Object: V1Deployment }, $"{KubernetesManifests.Directory}: the ingest (app.kubernetes.io/component=ingest) must be a Deployment");
        var replicas = ((V1Deployment)ingest!.Manifest.Object).Spec.Replicas ?? 1;
        var env = ingest.Template.Spec.Containers.SelectMany(c => c.Env ?? []).ToDictionary(e => e.Name);

        problems.Check(env.GetValueOrDefault("Mesh__Kubeconfig")?.Value == "in-cluster",
            $"{ingest}: env Mesh__Kubeconfig must be 'in-cluster' (the Kubernetes source through the pod's ServiceAccount)");
        problems.Check(!env.ContainsKey("Mesh__Manifests"), $"{ingest}: env Mesh__Manifests is set, but the ingest serves the cluster");
        problems.Check(replicas >= 2, $"{ingest}: spec.replicas is {replicas}; run 2 so a follower can take over the Lease");
        problems.Check(env.GetValueOrDefault("Kubernetes__LeaderElection__Identity")?.ValueFrom?.FieldRef?.FieldPath == "metadata.name",
            $"{ingest}: env Kubernetes__LeaderElection__Identity must come from the downward API fieldRef metadata.name (one Lease identity per pod)");
        problems.AssertNone();
    }
}
