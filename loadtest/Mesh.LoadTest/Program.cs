using System.Globalization;
using Mesh.LoadTest;

return await Cli.RunAsync(args).ConfigureAwait(false);

/// <summary>Command line: <c>connect</c> and <c>eds-churn</c>, each with <c>--help</c>.</summary>
internal static class Cli
{
    private const string Common = """
          --embedded                 run the control plane in this process (default)
          --cluster                  run redis-server, 1 silo, the gateways and the ingest as child processes
          --gateways N               xDS gateways with --cluster; proxies spread over them (default 2)
          --proxies N                simulated Envoy sidecars (default 100)
          --ramp R                   proxies started per second (default 200)
          --services S               services s0..s(S-1) in namespace lt (default 10)
          --endpoints E              endpoints per service, one EndpointSlice each (default 3)
          --delta-share F            share of proxies speaking delta xDS, the rest SotW (default 1)
          --timeout SECONDS          bound of every wait (default 120)
          --results DIR              where the .json and .md reports go (default loadtest/results)
          --no-live                  no live status line (also off when output is redirected)
        """;

    private const string ConnectUsage = "Usage: Mesh.LoadTest connect [options]\n\n"
        + "Ramps the proxies (all see all services) and times each from its start to holding its full config:\n"
        + "every cluster, its EDS, listener 0.0.0.0_80 and route 80. Reports p50/p95/p99/max and the time until\n"
        + "all are in sync after the ramp's end.\n\nOptions:\n" + Common;

    private const string ChurnUsage = "Usage: Mesh.LoadTest eds-churn [options]\n\n"
        + "Connects as `connect` does, then moves one endpoint at a time at a fixed rate, round-robin over the\n"
        + "first K services, and times each change from its manifest write to the last affected proxy holding\n"
        + "the exact EDS version the pure builders compute. Counts pushes to proxies that do not see the service.\n\nOptions:\n" + Common + "\n"
        + """
          --rate R                   endpoint changes per second (default 5)
          --changes C                number of changes (default 10)
          --fanout-services K        changes go round-robin over s0..s(K-1) (default all; half with --visible-fraction)
          --visible-fraction F       share of proxies that see the churned services; the others get a Sidecar
                                     (app=client-narrow) limiting them to the other services (default 1)
        """;

    private const string Usage = "Usage: Mesh.LoadTest <connect|eds-churn> [options]   (--help after a command for its options)\n";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var command = args[0];
        if (command is not ("connect" or "eds-churn"))
        {
            Console.Error.WriteLine($"unknown command '{command}'\n{Usage}");
            return 2;
        }
        var usage = command == "connect" ? ConnectUsage : ChurnUsage;
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(usage);
            return 0;
        }
        LoadOptions options;
        try
        {
            options = Parse(args.Skip(1).ToList(), command == "eds-churn");
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"{ex.Message}\n\n{usage}");
            return 2;
        }
        if (options.Problem() is { } problem)
        {
            Console.Error.WriteLine(problem);
            return 2;
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        if (command == "connect")
        {
            var r = await Scenarios.RunConnectAsync(options, cts.Token).ConfigureAwait(false);
            Console.WriteLine($"connect: {r.FullConfig}/{options.Proxies} full config, {r.InSync} in sync; start → full config {r.TimeToFullConfig}; "
                + $"all in sync {r.AllFullConfigAfterRampSeconds} s after the ramp ({r.RampSeconds} s); CPU {r.Cost.CpuSeconds} s, peak RSS {r.Cost.PeakRssMb} MB");
            Console.WriteLine($"report: {r.JsonPath}, {r.MarkdownPath}");
            return r.AllFullConfig ? 0 : 1;
        }
        var c = await Scenarios.RunEdsChurnAsync(options, cts.Token).ConfigureAwait(false);
        Console.WriteLine($"connect: {c.Connect.FullConfig}/{options.Proxies} full config; start → full config {c.Connect.TimeToFullConfig}");
        Console.WriteLine($"eds-churn: {c.ChangesConverged}/{c.ChangesApplied} changes converged at all {c.AffectedProxies} affected proxies; write → last proxy {c.Convergence}; "
            + $"EDS to unsubscribed proxies {c.UnsubscribedEdsUpdates}, responses to {c.UnaffectedProxies} unaffected proxies {c.ResponsesToUnaffected}; CPU {c.Cost.CpuSeconds} s, peak RSS {c.Cost.PeakRssMb} MB");
        Console.WriteLine($"report: {c.JsonPath}, {c.MarkdownPath}");
        return c.Connect.AllFullConfig && c.ChangesConverged == c.ChangesApplied && c.UnsubscribedEdsUpdates == 0 ? 0 : 1;
    }

    private static LoadOptions Parse(List<string> args, bool churn)
    {
        var o = new LoadOptions { Live = !Console.IsOutputRedirected, Log = Console.Error.WriteLine };
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value");
            int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"{name} needs an integer");
            double Num() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"{name} needs a number");
            o = name switch
            {
                "--embedded" => o with { Cluster = false },
                "--cluster" => o with { Cluster = true },
                "--gateways" => o with { GatewayCount = Int() },
                "--proxies" => o with { Proxies = Int() },
                "--ramp" => o with { Ramp = Num() },
                "--services" => o with { Services = Int() },
                "--endpoints" => o with { Endpoints = Int() },
                "--delta-share" => o with { DeltaShare = Num() },
                "--timeout" => o with { Timeout = TimeSpan.FromSeconds(Num()) },
                "--results" => o with { ResultsDir = Value() },
                "--no-live" => o with { Live = false },
                "--rate" when churn => o with { Rate = Num() },
                "--changes" when churn => o with { Changes = Int() },
                "--fanout-services" when churn => o with { FanoutServices = Int() },
                "--visible-fraction" when churn => o with { VisibleFraction = Num() },
                _ => throw new FormatException($"unknown option '{name}'"),
            };
        }
        return o;
    }
}
