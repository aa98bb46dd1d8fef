using System.Globalization;
using Mesh.LoadTest;
using Mesh.LoadTest.Ingest;

try
{
    return await Cli.RunAsync(args).ConfigureAwait(false);
}
catch (LoadToolSetupException ex)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
    return 2;
}

/// <summary>Command line: <c>connect</c>, <c>eds-churn</c>, <c>config-churn</c>, <c>reconnect-storm</c>, <c>namespace-create</c>, <c>limit</c> and <c>ingest</c>, each with <c>--help</c>.</summary>
internal static class Cli
{
    private const string Common = """
          --embedded                 run the control plane in this process (default)
          --cluster                  run redis-server, 1 silo, the gateways and the ingest as child processes
          --gateways N               xDS gateways with --cluster; proxies spread over them (default 2)
          --proxies N                simulated Envoy sidecars (default 100)
          --ramp R                   proxies started per second (default 200)
          --max-connecting N         most proxies started and not yet answered; the ramp waits above it, so a
                                     slow mesh holds the ramp back (default 256; a real fleet has no cap)
          --services S               services s0..s(S-1) in namespace lt (default 10)
          --endpoints E              endpoints per service, one EndpointSlice each (default 3)
          --groups G                 client workloads of the dependency graph; proxy i is in group i mod G (default 1)
          --deps D                   services each group sees (group j: s(j*D) .. s(j*D+D-1), wrapping), via a
                                     Sidecar per group; fan-in = G*D/S groups per service (default: all)
          --delta-share F            share of proxies speaking delta xDS, the rest SotW (default 1)
          --proxyless-share F        share of proxies that are proxyless gRPC clients resolving the listener of every
                                     service they see (connect and eds-churn only; default 0)
          --zones Z                  proxies' node localities spread over region-1/zone-0..zone-(Z-1) (proxy i in
                                     zone i mod Z): gateways resolve load assignments per locality (default 0: none)
          --timeout SECONDS          bound of every wait (default 120)
          --results DIR              where the .json, .md and .png reports go (default loadtest/results)
          --no-live                  no live status line (also off when output is redirected)
          --hold SECONDS             after connecting, keep the mesh and the proxies up this long (to inspect
                                     /debug/syncz, /metrics or a gateway's heap at scale)
        """;

    private const string ShapeOptions = """
          --namespaces N             the namespaced mesh instead of the flat one: namespaces ns-0..ns-(N-1), each
                                     with a default Sidecar seeing ./* and shared/*, plus namespace shared
          --services-per-namespace M services s0..s(M-1) per namespace (default 10)
          --workloads-per-namespace W
                                     workloads w-0..w-(W-1) per namespace (label app); service j selects
                                     w-(j mod W), so the workloads get inbound ports (default 10)
          --proxies-per-workload P   proxies per workload (Deployment-style pod names); --proxies is N*W*P and
                                     may be left out (default 2)
          --shared-services K        services of namespace shared, seen by every proxy (default 20)
        """;

    private const string ChurnOptions = """
          --rate R                   changes per second (default 5)
          --changes C                number of changes (default 10)
          --fanout-services K        changes go round-robin over s0..s(K-1) (default all; half with --visible-fraction)
          --visible-fraction F       share of proxies that see the churned services; the others get a Sidecar
                                     (app=client-narrow) limiting them to the other services (default 1)
          --churn shared|namespace   with --namespaces: change shared services (every proxy sees them) or services
                                     of ns-0 (1/N of the proxies see them); --fanout-services K takes the first K
                                     (default shared, all of them)
        """;

    private static readonly Dictionary<string, string> Usages = new(StringComparer.Ordinal)
    {
        ["lazy-learn"] = "Usage: Mesh.LoadTest lazy-learn [--services S] [--endpoints E] [--workloads W] [--proxies-per-workload P]\n"
            + "                             [--rate R] [--events N] [--gateways G | --embedded] [--ramp R] [--idle-seconds T] [--seed-hosts H] [--results DIR]\n\n"
            + "A lazy mesh end to end (defaults 10000 services × 10 endpoints, 500 fenced workloads × 2 sidecars, delta and\n"
            + "SotW, 2 gateways): times each proxy to its fenced config, measures the mesh's idle CPU, sends N learning events\n"
            + "(access-log entries naming a new host, round-robin over the gateways) at R per second (default 1000, 10000 events)\n"
            + "and times each from its send to every proxy of that workload holding the cluster and its EDS, then idle CPU again\n"
            + "with every learned entry alive. Also prints the gateways' own learn → push quantiles (from their histogram), each\n"
            + "proxy's p99 by the second of the phase its event was sent in (a warm-up apart from the steady state), and the\n"
            + "phase's GC pause, collections by generation, JIT seconds and allocated MB per process. --seed-hosts H first teaches each fence H more hosts\n"
            + "through the admin API (W × H entries; H = 1 warms every fence before the timed phase, and with 20 per fence it is the expiry\n"
            + "benchmark: idle CPU with 100,000 learned entries), idle CPU measured again after them.\n"
            + "Exit 1 when an event was not held within 30 s or a proxy failed to start.\n",
        ["lazy-size"] = "Usage: Mesh.LoadTest lazy-size [--services S] [--endpoints E] [--calls C] [--results DIR]\n\n"
            + "Builds, with the grains' pure builders, the config one sidecar is served in full mode and in lazy mode\n"
            + "(a ServiceFence holding the C services it calls, and the lazy egress) in a mesh of S services × E endpoints\n"
            + "(defaults 10000, 10, 5), and prints bytes per xDS type and Envoy's memory estimate (40.6 KB per cluster,\n"
            + "1.4 KB per endpoint) side by side. Exit 1 when lazy is over 1% of full.\n",
        ["connect"] = "Usage: Mesh.LoadTest connect [options]\n\n"
            + "Ramps the proxies and times each from its start to holding its full config: every cluster it sees,\n"
            + "their EDS, listener 0.0.0.0_80 and route 80. Reports p50/p95/p99/max, the time until all are in sync\n"
            + "after the ramp's end, and (with --cluster) gateway memory per connected proxy. With --namespaces also the\n"
            + "silo's scope count and (with --cluster) its live heap per scope.\n\nOptions:\n" + Common + "\n" + ShapeOptions,
        ["eds-churn"] = "Usage: Mesh.LoadTest eds-churn [options]\n\n"
            + "Connects as `connect` does, then moves one endpoint at a time at a fixed rate, round-robin over the\n"
            + "first K services, and times each change from its manifest write to the last affected proxy holding\n"
            + "the exact EDS version the pure builders compute. Counts pushes to proxies that do not see the service.\n\nOptions:\n"
            + Common + "\n" + ShapeOptions + "\n" + ChurnOptions,
        ["config-churn"] = "Usage: Mesh.LoadTest config-churn [options]\n\n"
            + "Connects, then rewrites VirtualServices (a header match carrying the change's marker: route 80 changes)\n"
            + "and DestinationRules (the load balancer flips: the cluster changes) of the first K services, and times\n"
            + "each change from its write to the last proxy that sees the service holding it. Counts pushes to the others.\n\nOptions:\n"
            + Common + "\n" + ShapeOptions + "\n" + ChurnOptions + "\n" + """
          --kind vs|dr|both          what each change rewrites (default both, alternating)
          --rollout-stages 1,10,50,100
                                     a mesh-wide RolloutPolicy (mesh-system) with these stages governs the changes:
                                     each is timed from its write to every proxy holding it (all stages passed);
                                     also prints the rollouts' outcomes and durations and the candidate bytes held
          --rollout-bake SECONDS     the policy's bake per stage (default 0)
          --rollout-nack             every proxy NACKs the first route it is sent after a change: the first stage's
                                     cohort gets the candidate, NACKs, and is rolled back; times first NACK -> each
                                     cohort proxy holding the baseline again, and counts proxies outside the cohort
                                     that were sent the candidate (must be 0)
        """,
        ["reconnect-storm"] = "Usage: Mesh.LoadTest reconnect-storm --cluster [options]\n\n"
            + "Connects, then SIGKILLs one gateway and makes endpoint changes right away; times each proxy that was on\n"
            + "it from the kill until it holds the current config again (via another gateway, or the restarted one),\n"
            + "and counts what was resent: delta proxies resume with initial_resource_versions and should be sent only\n"
            + "what changed.\n\nOptions:\n" + Common + "\n" + ShapeOptions + "\n" + """
          --kill-gateway I           the gateway to kill (default 0)
          --restart                  start it again on its port after the kill
          --changes-during-outage C  endpoint changes right after the kill (default 1)
        """,
        ["namespace-create"] = "Usage: Mesh.LoadTest namespace-create --namespaces N [options]\n\n"
            + "Connects the namespaced mesh, then creates namespace ns-N with S services and its default Sidecar (itself\n"
            + "and shared). No existing proxy sees it: counts the responses they get (must be 0) and, once the ingest\n"
            + "applied it and the mesh is quiet, the scopes the silo rebuilt and its grain calls. Then one probe proxy\n"
            + "of ns-N must hold exactly its services and the shared ones.\n\nOptions:\n" + Common + "\n" + ShapeOptions + "\n" + """
          --new-services S           services of the new namespace (default 100)
        """,
        ["limit"] = "Usage: Mesh.LoadTest limit [options]\n\n"
            + "The transport ceiling: the same swarm and the same resources (built by the pure builders for the same\n"
            + "mesh) served by a minimal Kestrel ADS server that writes pre-serialized responses with no control-plane\n"
            + "logic. Times connect → full config and, for --changes EDS changes to a service every proxy sees, the\n"
            + "fan-out to all proxies; quote Mesh's numbers as a ratio of these.\n\nOptions:\n" + Common + "\n" + """
          --changes C                EDS changes fanned out to every proxy, one at a time (default 10)
        """,
        ["ingest"] = "Usage: Mesh.LoadTest ingest [options]\n\n"
            + "The Kubernetes ingest at scale: a cluster of S Services with E endpoints each (EndpointSlices joined to one\n"
            + "Pod per endpoint, Nodes, Namespaces) in a fake Kubernetes API server speaking the real list/watch protocol,\n"
            + "served by the stand-alone ingest (KubernetesClient) writing to a silo through redis-server. Times the ingest\n"
            + "from its start to every kind listed and to the first full apply, measures its memory after a full GC, then\n"
            + "writes watch events at R/s (endpoint moves and Pod status heartbeats) and reports events/s applied, the lag\n"
            + "after the last event, CPU per event, and API write → a probe proxy holding the moved endpoint.\n\nOptions:\n" + """
          --services S               Kubernetes Services (default 10000)
          --endpoints E              endpoints per Service, one Pod each (default 10)
          --namespaces N             namespaces the Services are spread over (default 100)
          --nodes N                  Nodes the Pods are spread over (default 100)
          --rate R                   watch events per second during the churn (default 1000)
          --churn-seconds T          length of the churn (default 30)
          --heartbeat-share F        share of events that are Pod status heartbeats, which must change nothing (default 0.5)
          --timeout SECONDS          bound of every wait (default 600)
          --results DIR              where the .json, .md and .png reports go (default loadtest/results)
          --no-live                  no live status line (also off when output is redirected)
        """,
    };

    private const string Usage = "Usage: Mesh.LoadTest <connect|eds-churn|config-churn|reconnect-storm|namespace-create|limit|ingest|lazy-size|lazy-learn> [options]   (--help after a command for its options)\n";

    /// <summary>Options that shape only the namespaced mesh, and those that shape only the flat one.</summary>
    private static readonly string[] NamespacedOnly = ["--services-per-namespace", "--workloads-per-namespace", "--proxies-per-workload", "--shared-services", "--churn", "--new-services"];
    private static readonly string[] FlatOnly = ["--services", "--groups", "--deps", "--visible-fraction"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var command = args[0];
        if (!Usages.TryGetValue(command, out var usage))
        {
            Console.Error.WriteLine($"unknown command '{command}'\n{Usage}");
            return 2;
        }
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            Console.WriteLine(usage);
            return 0;
        }
        if (command == "lazy-learn")
        {
            return await RunLazyLearnAsync(args.Skip(1).ToList()).ConfigureAwait(false);
        }
        if (command == "lazy-size")
        {
            return RunLazySize(args.Skip(1).ToList());
        }
        if (command == "ingest")
        {
            return await RunIngestAsync(args.Skip(1).ToList(), usage).ConfigureAwait(false);
        }
        if (!TryParse(() => Parse(args.Skip(1).ToList(), command), o => o.Problem(), usage, out var options))
        {
            return 2;
        }
        if (options.ProxylessShare > 0 && command is not ("connect" or "eds-churn"))
        {
            Console.Error.WriteLine($"--proxyless-share works with connect and eds-churn: {command} checks the sidecars' route 80, which proxyless clients do not hold");
            return 2;
        }
        if (command == "reconnect-storm" && !options.Cluster)
        {
            Console.Error.WriteLine("reconnect-storm kills a gateway process: add --cluster");
            return 2;
        }
        using var cts = CancelOnCtrlC();
        return command switch
        {
            "connect" => Print(await Scenarios.RunConnectAsync(options, cts.Token).ConfigureAwait(false)),
            "eds-churn" => Print(await Scenarios.RunEdsChurnAsync(options, cts.Token).ConfigureAwait(false)),
            "config-churn" when options.RolloutNack => Print(await Scenarios.RunRolloutRollbackAsync(options, cts.Token).ConfigureAwait(false)),
            "config-churn" => Print(await Scenarios.RunConfigChurnAsync(options, cts.Token).ConfigureAwait(false)),
            "reconnect-storm" => Print(await Scenarios.RunReconnectStormAsync(options, cts.Token).ConfigureAwait(false)),
            "namespace-create" => Print(await NamespaceCreateScenario.RunAsync(options, cts.Token).ConfigureAwait(false)),
            _ => Print(await LimitScenario.RunAsync(options, cts.Token).ConfigureAwait(false)),
        };
    }

    private static async Task<int> RunLazyLearnAsync(List<string> args)
    {
        var o = new LazyLearnScenario.Options();
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            var n = int.TryParse(value, out var parsed) ? parsed : 0;
            var d = double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var real) ? real : 0;
            o = args[i] switch
            {
                "--services" when n is > 0 and <= 60_000 => o with { Services = n },
                "--endpoints" when n is > 0 and <= 250 => o with { Endpoints = n },
                "--workloads" when n is > 0 and <= 60_000 => o with { Workloads = n },
                "--proxies-per-workload" when n > 0 => o with { ProxiesPerWorkload = n },
                "--rate" when d > 0 => o with { Rate = d },
                "--events" when n > 0 => o with { Events = n },
                "--gateways" when n > 0 => o with { Gateways = n, Cluster = true },
                "--ramp" when d > 0 => o with { Ramp = d },
                "--idle-seconds" when n > 0 => o with { IdleSeconds = n },
                "--seed-hosts" when n >= 0 => o with { SeedHosts = n },
                "--results" when value is not null => o with { ResultsDir = value },
                "--embedded" => o with { Cluster = false },
                _ => null!,
            };
            if (o is null)
            {
                Console.Error.WriteLine($"lazy-learn: bad option '{args[i]}' (value '{value}')\n{Usages["lazy-learn"]}");
                return 2;
            }
            if (args[i] != "--embedded")
            {
                i++;
            }
        }
        using var cts = CancelOnCtrlC();
        return await LazyLearnScenario.RunAsync(o, cts.Token).ConfigureAwait(false);
    }

    private static int RunLazySize(List<string> args)
    {
        int services = 10_000, endpoints = 10, calls = 5;
        var results = Path.Combine("loadtest", "results");
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--services" when int.TryParse(value, out var s) && s is > 0 and <= MeshGenerator.MaxServices:
                    services = s;
                    break;
                case "--endpoints" when int.TryParse(value, out var e) && e is > 0 and <= 250:
                    endpoints = e;
                    break;
                case "--calls" when int.TryParse(value, out var c) && c > 0:
                    calls = c;
                    break;
                case "--results" when value is not null:
                    results = value;
                    break;
                default:
                    Console.Error.WriteLine($"lazy-size: bad option '{args[i]}' (value '{value}')\n{Usages["lazy-size"]}");
                    return 2;
            }
            i++;
        }
        return LazySize.Run(services, endpoints, Math.Min(calls, services - 1), results);
    }

    private static int Print(ConnectResult r)
    {
        Console.WriteLine($"connect: {r.FullConfig}/{r.Options.Proxies} full config, {r.InSync} in sync; start → full config {r.TimeToFullConfig}; "
            + $"all in sync {r.AllFullConfigAfterRampSeconds} s after the ramp ({r.RampSeconds} s); CPU {r.Cost.CpuSeconds} s, peak RSS {r.Cost.PeakRssMb} MB"
            + (r.Memory is { } m ? $"; gateway memory per proxy {m.RssKbPerProxy} KB RSS, {m.HeapKbPerProxy} KB live heap" : "")
            + $"; stream resets: {r.Resets}");
        PrintShape(r);
        Paths(r);
        return r.AllFullConfig ? 0 : 1;
    }

    private static void PrintShape(ConnectResult r)
    {
        if (r.Shape is { } s)
        {
            Console.WriteLine($"mesh: {s.Namespaces} namespaces, {s.Workloads} workloads × {s.ProxiesPerWorkload} proxies; scopes {SiloMetrics.Show(s.Scopes)}; "
                + $"silo live heap {SiloMetrics.Show(s.SiloLiveHeapMb, " MB")}, {SiloMetrics.Show(s.SiloKbPerScope, " KB")} per scope "
                + $"({SiloMetrics.Show(s.SiloGrowthKbPerScope, " KB")} per scope grown since before connect)");
        }
    }

    private static int Print(NamespaceCreateResult r)
    {
        Console.WriteLine($"connect: {r.Connect.FullConfig}/{r.Connect.Options.Proxies} full config; start → full config {r.Connect.TimeToFullConfig}; stream resets: {r.Connect.Resets}");
        PrintShape(r.Connect);
        Console.WriteLine($"namespace-create: {r.Namespace} with {r.Services} services; write → applied {SiloMetrics.Show(r.WriteToAppliedMs, " ms")}; "
            + $"scopes rebuilt {SiloMetrics.Show(r.ScopeBuilds)}, grain calls {SiloMetrics.Show(r.GrainCalls)}; responses to the {r.ExistingProxies} existing proxies {r.ResponsesToExistingWithProbe}; "
            + $"probe holds exactly its {r.ProbeClusters} clusters: {r.ProbeInSync} ({SiloMetrics.Show(r.ProbeFullConfigMs, " ms")})");
        Paths(r);
        return r.Ok ? 0 : 1;
    }

    private static int Print(ChurnResult c)
    {
        Console.WriteLine($"connect: {c.Connect.FullConfig}/{c.Connect.Options.Proxies} full config; start → full config {c.Connect.TimeToFullConfig}; stream resets: {c.Connect.Resets}");
        PrintShape(c.Connect);
        Console.WriteLine($"{c.Scenario}: {c.ChangesConverged}/{c.ChangesApplied} changes converged at all {c.AffectedProxies} affected proxies; write → last proxy {c.Convergence}; apply → last proxy {c.ConvergenceFromApply}; apply → each proxy {(c.ProxyConvergenceFromApply?.ToString() ?? "n/a")}; "
            + $"fan-out p50 {c.FanoutPerSecondP50} proxies/s; EDS to unsubscribed proxies {c.UnsubscribedEdsUpdates}, responses to {c.UnaffectedProxies} unaffected proxies {c.ResponsesToUnaffected}; "
            + $"CPU {c.Cost.CpuSeconds} s, peak RSS {c.Cost.PeakRssMb} MB"
            + (c.Connect.Options.Cluster ? $"; silo+gateway CPU per change {c.MeshCpuMsPerChange} ms, ingest {c.IngestCpuMsPerChange} ms" : "")
            + $"; scope builds per change {SiloMetrics.Show(c.ScopeBuildsPerChange)}, grain calls per change {SiloMetrics.Show(c.GrainCallsPerChange)}");
        if (c.Rollouts is not null)
        {
            Console.WriteLine(c.Rollouts.Trim());
        }
        Paths(c);
        return c.Connect.AllFullConfig && c.ChangesConverged == c.ChangesApplied && c.UnsubscribedEdsUpdates == 0 && c.ResponsesToUnaffected == 0 ? 0 : 1;
    }

    private static int Print(StormResult s)
    {
        Console.WriteLine($"connect: {s.Connect.FullConfig}/{s.Connect.Options.Proxies} full config; start → full config {s.Connect.TimeToFullConfig}; stream resets: {s.Connect.Resets}");
        PrintShape(s.Connect);
        Console.WriteLine($"reconnect-storm: {s.BackInSync}/{s.ProxiesOnKilledGateway} proxies of gateway{s.KilledGateway} back in sync; kill → in sync {s.KillToInSync}; "
            + $"resent to moved delta proxies {s.MovedDeltaPushes.Values.Sum(t => t.Resent)}, to moved SotW proxies {s.MovedSotwPushes.Values.Sum(t => t.Resent)}; safety violations {s.SafetyViolations}");
        Paths(s);
        return s.Connect.AllFullConfig && s.BackInSync == s.ProxiesOnKilledGateway && s.FinalInSync == s.Connect.Options.Proxies ? 0 : 1;
    }

    private static int Print(LimitResult l)
    {
        Console.WriteLine($"limit: {l.FullConfig}/{l.Options.Proxies} full config; start → full config {l.TimeToFullConfig}; fan-out of {l.Changes} EDS changes to all: {l.Fanout}; "
            + $"fan-out p50 {l.FanoutPerSecondP50} proxies/s; {l.ResponsesWritten} responses, {l.BytesWritten} bytes written");
        Paths(l);
        return l.FullConfig == l.Options.Proxies && l.FanoutConverged == l.Changes ? 0 : 1;
    }

    private static async Task<int> RunIngestAsync(List<string> args, string usage)
    {
        if (!TryParse(() => ParseIngest(args), o => o.Problem(), usage, out var options))
        {
            return 2;
        }
        using var cts = CancelOnCtrlC();
        var r = await IngestScenario.RunAsync(options, cts.Token).ConfigureAwait(false);
        Console.WriteLine($"ingest: {r.ObjectsListed} objects listed; start → all listed {r.ListedSeconds} s, → synced {r.SyncedSeconds} s ({r.SyncCpuSeconds} CPU s); "
            + $"ingest {r.IngestRssMb} MB RSS, {r.IngestLiveHeapMb} MB live heap; silo {r.SiloRssMb} MB RSS, {r.SiloLiveHeapMb} MB live heap");
        Console.WriteLine($"churn: {r.EndpointMoves} endpoint moves + {r.Heartbeats} heartbeats written at {r.EventsPerSecondWritten}/s, applied at {r.EventsPerSecondApplied}/s, "
            + $"last write → applied {r.LagAfterLastWriteMs} ms; heartbeat changes {r.PodChanges}; ingest CPU {r.IngestCpuMicrosPerEvent} µs/event; "
            + $"write → probe {r.WriteToProbe}; probe missing {r.ProbeMissing}");
        Paths(r);
        return r.Ok ? 0 : 1;
    }

    private static IngestOptions ParseIngest(List<string> args)
    {
        var o = new IngestOptions { Live = !Console.IsOutputRedirected, Log = Console.Error.WriteLine };
        var a = new ArgReader(args);
        while (a.Next())
        {
            o = a.Name switch
            {
                "--services" => o with { Services = a.Int() },
                "--endpoints" => o with { Endpoints = a.Int() },
                "--namespaces" => o with { Namespaces = a.Int() },
                "--nodes" => o with { Nodes = a.Int() },
                "--rate" => o with { Rate = a.Num() },
                "--churn-seconds" => o with { ChurnDuration = TimeSpan.FromSeconds(a.Num()) },
                "--heartbeat-share" => o with { HeartbeatShare = a.Num() },
                "--timeout" => o with { Timeout = TimeSpan.FromSeconds(a.Num()) },
                "--results" => o with { ResultsDir = a.Value() },
                "--no-live" => o with { Live = false },
                _ => throw new FormatException($"unknown option '{a.Name}' for ingest"),
            };
        }
        return o;
    }

    /// <summary>Parses and checks options; on a problem, says it (with the usage for a malformed command line) and returns false.</summary>
    private static bool TryParse<T>(Func<T> parse, Func<T, string?> problem, string usage, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? options)
    {
        try
        {
            options = parse();
        }
        catch (FormatException ex)
        {
            Console.Error.WriteLine($"{ex.Message}\n\n{usage}");
            options = default;
            return false;
        }
        if (problem(options) is { } why)
        {
            Console.Error.WriteLine(why);
            options = default;
            return false;
        }
        return options is not null;
    }

    /// <summary>A token that Ctrl+C cancels (the run then stops its processes and writes nothing more).</summary>
    private static CancellationTokenSource CancelOnCtrlC()
    {
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        return cts;
    }

    /// <summary>Walks a command line option by option, with typed readers for an option's value.</summary>
    private sealed class ArgReader(List<string> args)
    {
        private int _next;

        public string Name { get; private set; } = "";

        public bool Next()
        {
            if (_next >= args.Count)
            {
                return false;
            }
            Name = args[_next++];
            return true;
        }

        public string Value() => _next < args.Count ? args[_next++] : throw new FormatException($"{Name} needs a value");

        public int Int() => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"{Name} needs an integer");

        public double Num() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"{Name} needs a number");
    }

    private static void Paths(RunResult r) => Console.WriteLine($"report: {r.JsonPath}, {r.MarkdownPath}, {r.ChartPath}");

    private static LoadOptions Parse(List<string> args, string command)
    {
        var churn = command is "eds-churn" or "config-churn";
        var shaped = command != "limit";
        var o = new LoadOptions { Live = !Console.IsOutputRedirected, Log = Console.Error.WriteLine };
        var a = new ArgReader(args);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (a.Next())
        {
            seen.Add(a.Name);
            o = a.Name switch
            {
                "--embedded" => o with { Cluster = false },
                "--cluster" => o with { Cluster = true },
                "--gateways" => o with { GatewayCount = a.Int() },
                "--proxies" => o with { Proxies = a.Int() },
                "--ramp" => o with { Ramp = a.Num() },
                "--max-connecting" => o with { MaxConcurrentConnects = a.Int() },
                "--services" => o with { Services = a.Int() },
                "--endpoints" => o with { Endpoints = a.Int() },
                "--groups" => o with { Groups = a.Int() },
                "--deps" => o with { Deps = a.Int() },
                "--delta-share" => o with { DeltaShare = a.Num() },
                "--zones" => o with { Zones = a.Int() },
                "--proxyless-share" => o with { ProxylessShare = a.Num() },
                "--timeout" => o with { Timeout = TimeSpan.FromSeconds(a.Num()) },
                "--results" => o with { ResultsDir = a.Value() },
                "--no-live" => o with { Live = false },
                "--hold" => o with { Hold = TimeSpan.FromSeconds(a.Num()) },
                "--rate" when churn => o with { Rate = a.Num() },
                "--changes" when churn || command == "limit" => o with { Changes = a.Int() },
                "--fanout-services" when churn => o with { FanoutServices = a.Int() },
                "--visible-fraction" when churn => o with { VisibleFraction = a.Num() },
                "--kind" when command == "config-churn" => o with { ConfigKind = a.Value() },
                "--rollout-stages" when command == "config-churn" => o with { RolloutStages = a.Value() },
                "--rollout-bake" when command == "config-churn" => o with { RolloutBake = TimeSpan.FromSeconds(a.Num()) },
                "--rollout-nack" when command == "config-churn" => o with { RolloutNack = true },
                "--kill-gateway" when command == "reconnect-storm" => o with { KillGateway = a.Int() },
                "--restart" when command == "reconnect-storm" => o with { Restart = true },
                "--changes-during-outage" when command == "reconnect-storm" => o with { ChangesDuringOutage = a.Int() },
                "--namespaces" when shaped => o with { Namespaces = a.Int() },
                "--services-per-namespace" when shaped => o with { ServicesPerNamespace = a.Int() },
                "--workloads-per-namespace" when shaped => o with { WorkloadsPerNamespace = a.Int() },
                "--proxies-per-workload" when shaped => o with { ProxiesPerWorkload = a.Int() },
                "--shared-services" when shaped => o with { SharedServices = a.Int() },
                "--churn" when churn => o with { Churn = a.Value() },
                "--new-services" when command == "namespace-create" => o with { NewNamespaceServices = a.Int() },
                _ => throw new FormatException($"unknown option '{a.Name}' for {command}"),
            };
        }
        if (!o.Namespaced)
        {
            return command == "namespace-create" ? throw new FormatException("namespace-create adds a namespace to the namespaced mesh: add --namespaces N")
                : NamespacedOnly.FirstOrDefault(seen.Contains) is { } n ? throw new FormatException($"{n} shapes the namespaced mesh: add --namespaces N")
                : o;
        }
        if (FlatOnly.FirstOrDefault(seen.Contains) is { } f)
        {
            throw new FormatException($"{f} shapes the flat mesh; with --namespaces use --services-per-namespace, --workloads-per-namespace, --proxies-per-workload and --shared-services");
        }
        // --proxies follows from the shape; given, it must agree (LoadOptions.Problem says so if not).
        return seen.Contains("--proxies") ? o : o with { Proxies = (int)Math.Min(o.NamespacedProxies, int.MaxValue) };
    }
}
