using System.Globalization;
using Microsoft.Extensions.Options;

namespace Mesh.XdsGateway;

/// <summary>Validates <see cref="XdsGatewayOptions"/> at start, collecting every failure with how to fix it.</summary>
public sealed class XdsGatewayOptionsValidator : IValidateOptions<XdsGatewayOptions>
{
    /// <summary>Kestrel's floor for the HTTP/2 windows: the protocol's initial window.</summary>
    private const int MinWindow = 65_535;

    public ValidateOptionsResult Validate(string? name, XdsGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Fail(string knob, object value, string fix) =>
            failures.Add(string.Create(CultureInfo.InvariantCulture, $"{XdsGatewayOptions.SectionName}:{knob} is {value}; {fix}"));

        if (options.RequestQueueCapacity < 1)
        {
            Fail(nameof(options.RequestQueueCapacity), options.RequestQueueCapacity, "set it to 1 or more (default 16).");
        }

        if (options.MaxResourceNamesPerRequest < 1)
        {
            Fail(nameof(options.MaxResourceNamesPerRequest), options.MaxResourceNamesPerRequest, "set it to 1 or more (default 100000).");
        }

        if (options.MaxSubscribedNamesPerType < 1)
        {
            Fail(nameof(options.MaxSubscribedNamesPerType), options.MaxSubscribedNamesPerType, "set it to 1 or more (default 100000).");
        }

        if (options.MaxSubscribedNamesPerStream < options.MaxSubscribedNamesPerType)
        {
            Fail(nameof(options.MaxSubscribedNamesPerStream), options.MaxSubscribedNamesPerStream,
                $"set it to at least {nameof(options.MaxSubscribedNamesPerType)} ({options.MaxSubscribedNamesPerType}) (default 200000).");
        }

        if (options.MaxConnectionAge != Timeout.InfiniteTimeSpan && options.MaxConnectionAge != TimeSpan.Zero
            && options.MaxConnectionAge < TimeSpan.FromSeconds(1))
        {
            Fail(nameof(options.MaxConnectionAge), options.MaxConnectionAge, "set it to 1 s or more, or 0 to disable (default 00:30:00).");
        }

        if (double.IsNaN(options.MaxConnectionAgeJitter) || options.MaxConnectionAgeJitter is < 0 or > 0.5)
        {
            Fail(nameof(options.MaxConnectionAgeJitter), options.MaxConnectionAgeJitter, "set a fraction from 0 to 0.5 (default 0.1, ±10 %).");
        }

        if (options.MaxStreamsPerConnection < 1)
        {
            Fail(nameof(options.MaxStreamsPerConnection), options.MaxStreamsPerConnection, "set it to 1 or more (default 1000).");
        }

        if (options.MaxConnections is < 1)
        {
            Fail(nameof(options.MaxConnections), options.MaxConnections, "set it to 1 or more, or leave it empty for no limit (default).");
        }

        if (options.InitialStreamWindowSize < MinWindow)
        {
            Fail(nameof(options.InitialStreamWindowSize), options.InitialStreamWindowSize, "set it to 65535 or more (default 65535).");
        }

        if (options.InitialConnectionWindowSize < MinWindow)
        {
            Fail(nameof(options.InitialConnectionWindowSize), options.InitialConnectionWindowSize, "set it to 65535 or more (default 131072).");
        }

        if (options.MaxConcurrentWrites < 0)
        {
            Fail(nameof(options.MaxConcurrentWrites), options.MaxConcurrentWrites, "set it to 1 or more, or 0 to write without a limit (default 64).");
        }

        if (options.WriteSlotHold <= TimeSpan.Zero || options.WriteSlotHold > TimeSpan.FromSeconds(10))
        {
            Fail(nameof(options.WriteSlotHold), options.WriteSlotHold, "set it from 00:00:00.001 to 00:00:10 (default 00:00:00.050).");
        }

        if (options.MaxConcurrentConnects < 0)
        {
            Fail(nameof(options.MaxConcurrentConnects), options.MaxConcurrentConnects, "set it to 1 or more, or 0 to admit new streams without a limit (default 64).");
        }

        if (options.ConnectSlotHold <= TimeSpan.Zero || options.ConnectSlotHold > TimeSpan.FromMinutes(1))
        {
            Fail(nameof(options.ConnectSlotHold), options.ConnectSlotHold, "set it from 00:00:00.001 to 00:01:00 (default 00:00:02).");
        }

        CheckPingTime(nameof(options.KeepAlivePingDelay), options.KeepAlivePingDelay, "00:00:30");
        CheckPingTime(nameof(options.KeepAlivePingTimeout), options.KeepAlivePingTimeout, "00:00:20");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        // Kestrel's keep-alive clock ticks once a second.
        void CheckPingTime(string knob, TimeSpan value, string defaultValue)
        {
            if (value != Timeout.InfiniteTimeSpan && value < TimeSpan.FromSeconds(1))
            {
                Fail(knob, value, $"set it to 1 s or more, or -00:00:00.001 (infinite) to disable (default {defaultValue}).");
            }
        }
    }
}
