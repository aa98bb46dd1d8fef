using System.Globalization;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Kubernetes.Leadership;

/// <summary>Validates <see cref="IngestLeaderElectionOptions"/> at start, collecting every failure with how to fix it.</summary>
public sealed class IngestLeaderElectionOptionsValidator : IValidateOptions<IngestLeaderElectionOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestLeaderElectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string knob, object value, string fix) =>
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{IngestLeaderElectionOptions.Section}:{knob} is '{value}'; {fix}"));

        if (string.IsNullOrWhiteSpace(options.LeaseNamespace))
        {
            Fail(nameof(options.LeaseNamespace), options.LeaseNamespace, "set the namespace of the Lease (default mesh-system).");
        }
        if (string.IsNullOrWhiteSpace(options.LeaseName))
        {
            Fail(nameof(options.LeaseName), options.LeaseName, "set the name of the Lease (default mesh-ingest).");
        }
        if (string.IsNullOrWhiteSpace(options.Identity))
        {
            Fail(nameof(options.Identity), options.Identity, "set a per-process identity, e.g. the pod name (default host name and process id).");
        }
        // The Lease stores whole seconds (leaseDurationSeconds).
        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            Fail(nameof(options.LeaseDuration), options.LeaseDuration, "set it to 1 s or more (default 15 s).");
        }
        if (options.RenewDeadline <= TimeSpan.Zero || options.RenewDeadline >= options.LeaseDuration)
        {
            Fail(nameof(options.RenewDeadline), options.RenewDeadline,
                $"set it above 0 and below LeaseDuration ({options.LeaseDuration}), so a leader that cannot renew steps down before another may take over (default 10 s).");
        }
        if (options.RetryPeriod <= TimeSpan.Zero || options.RetryPeriod >= options.RenewDeadline)
        {
            Fail(nameof(options.RetryPeriod), options.RetryPeriod, $"set it above 0 and below RenewDeadline ({options.RenewDeadline}) (default 2 s).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
