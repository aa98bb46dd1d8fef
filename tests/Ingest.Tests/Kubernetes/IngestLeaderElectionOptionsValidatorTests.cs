using Mesh.Ingest.Kubernetes.Leadership;

namespace Mesh.Ingest.Tests.Kubernetes;

public sealed class IngestLeaderElectionOptionsValidatorTests
{
    private static readonly IngestLeaderElectionOptionsValidator Validator = new();

    [Fact]
    public void Defaults_AreValid_AndFollowClientGo()
    {
        var options = new IngestLeaderElectionOptions();

        Assert.True(Validator.Validate(null, options).Succeeded);
        Assert.Equal(("mesh-system", "mesh-ingest"), (options.LeaseNamespace, options.LeaseName));
        Assert.Equal([15.0, 10.0, 2.0], [options.LeaseDuration.TotalSeconds, options.RenewDeadline.TotalSeconds, options.RetryPeriod.TotalSeconds]);
        Assert.Equal($"{Environment.MachineName}_{Environment.ProcessId}", options.Identity);
    }

    [Fact]
    public void Rejects_EveryBadKnob_SayingHowToFixIt()
    {
        var options = new IngestLeaderElectionOptions
        {
            LeaseName = "",
            Identity = " ",
            LeaseDuration = TimeSpan.FromSeconds(5),
            RenewDeadline = TimeSpan.FromSeconds(5), // not below LeaseDuration
            RetryPeriod = TimeSpan.FromSeconds(6), // not below RenewDeadline
        };

        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            ["Kubernetes:LeaderElection:LeaseName", "Kubernetes:LeaderElection:Identity", "Kubernetes:LeaderElection:RenewDeadline", "Kubernetes:LeaderElection:RetryPeriod"],
            result.Failures!.Select(f => f[..f.IndexOf(" is ", StringComparison.Ordinal)]));
        Assert.Contains(result.Failures!, f => f.Contains("below LeaseDuration", StringComparison.Ordinal));
    }
}
