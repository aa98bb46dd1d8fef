using System.Globalization;
using System.Text.Json;
using Mesh.EndToEnd.Tests.Harness;
using Xunit.Abstractions;

namespace Mesh.EndToEnd.Tests;

/// <summary>
/// Bad manifests next to good ones: each bad object is reported precisely (object, field,
/// reason) on /debug/ingestz and counted in /metrics, and the good ones are still served.
/// </summary>
[Trait("Category", "Functional")]
public sealed class IngestErrorReportingTests(ITestOutputHelper log)
{
    private const string V1A = "v1-a";
    private const string V2B = "v2-b";

    [Fact(Timeout = 300_000)]
    public async Task BadManifests_AreReportedPrecisely_AndValidObjectsStillServed()
    {
        await using var processes = new TestProcesses(log);
        using var manifests = new TempManifestDir();
        var backends = processes.Add(await BackendProcess.StartAsync(V1A, V2B));
        EchoMesh.WriteTo(manifests, backends.Port(V1A), backends.Port(V2B), EchoMesh.VirtualService(v1Weight: 80, v2Weight: 20));
        manifests.Write("broken.yaml", """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata:
              name: broken
              namespace: e2e
            spec: [this flow sequence is never closed

            """);
        manifests.Write("unknown-kind.yaml", """
            apiVersion: mesh.example.com/v1
            kind: Frobnicator
            metadata:
              name: frob
              namespace: e2e
            spec: {}

            """);
        manifests.Write("bad-regex.yaml", EchoMesh.VirtualServiceWithBadRegex("bad-regex"));
        manifests.Write("bad-weights.yaml", EchoMesh.VirtualService(v1Weight: 60, v2Weight: -30, name: "bad-weights"));
        var silo = processes.Add(await SiloProcess.StartAsync(manifests.Path));

        var expected = new (string What, Func<IngestError, bool> Matches)[]
        {
            ("broken.yaml: source naming the file, reason mentioning YAML",
                e => e.Source.StartsWith("broken.yaml", StringComparison.Ordinal) && e.ReasonHas("YAML")),
            ("Frobnicator e2e/frob: reason \"unknown kind\"",
                e => e is { Kind: "Frobnicator", Namespace: "e2e", Name: "frob" } && e.ReasonHas("unknown kind")),
            ("VirtualService e2e/bad-regex: field spec.http[0].match[0].uri.regex, reason mentioning regex",
                e => e is { Kind: "VirtualService", Namespace: "e2e", Name: "bad-regex", Field: "spec.http[0].match[0].uri.regex" }
                    && e.ReasonHas("regex")),
            ("VirtualService e2e/bad-weights: field spec.http[0].route[1].weight, reason naming -30 as negative",
                e => e is { Kind: "VirtualService", Namespace: "e2e", Name: "bad-weights", Field: "spec.http[0].route[1].weight" }
                    && e.ReasonHas("-30") && e.ReasonHas("non-negative")),
        };
        var ingest = await Eventually.UntilAsync(
            "/debug/ingestz to list all four bad manifests",
            TimeSpan.FromSeconds(30),
            () => silo.GetJsonAsync("/debug/ingestz"),
            json => expected.All(x => IngestError.All(json).Any(x.Matches)),
            json => $"missing: [{string.Join("; ", expected.Where(x => !IngestError.All(json).Any(x.Matches)).Select(x => x.What))}] in {json}");

        var errors = IngestError.All(ingest);
        Assert.DoesNotContain(errors, e => e.Name == "echo");
        Assert.True(
            ingest.TryGetProperty("objects", out var objects) && objects.GetInt32() >= 3,
            $"Expected /debug/ingestz \"objects\" >= 3 (the valid ServiceEntry, DestinationRule and VirtualService); got {ingest}");

        var client = processes.Add(await XdsClientProcess.StartAsync(silo.XdsPort, EchoMesh.Target));
        var answers = await Eventually.UntilAsync(
            $"200 RPCs to {EchoMesh.Target} to succeed despite the bad manifests",
            TimeSpan.FromSeconds(60),
            () => client.CountAsync(200, TimeSpan.FromSeconds(10)),
            c => c.Answered == 200 && c.Failed == 0);
        Assert.True(answers.Counts.Keys.All(name => name is V1A or V2B), $"Expected answers only from {V1A} and {V2B}; got {answers}");

        // Rejections happen at start-up, before anyone scrapes: the counter must still show them.
        var (_, metrics) = await silo.GetAsync("/metrics");
        var rejected = CounterSum(metrics, "mesh_config_rejected_total");
        Assert.True(rejected > 0, $"Expected mesh_config_rejected_total > 0 on /metrics after 4 rejected manifests; got {rejected}. " +
            $"Metric families present: [{string.Join(", ", metrics.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l[7..]))}]");
    }

    /// <summary>Sums every sample of a Prometheus counter: <c>name{labels} value [timestamp]</c> or <c>name value</c>.</summary>
    private static double CounterSum(string prometheusText, string name)
    {
        var sum = 0.0;
        foreach (var line in prometheusText.Split('\n'))
        {
            string rest;
            if (line.StartsWith(name + "{", StringComparison.Ordinal))
            {
                rest = line[(line.LastIndexOf('}') + 1)..];
            }
            else if (line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                rest = line[name.Length..];
            }
            else
            {
                continue;
            }

            sum += double.Parse(rest.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }

    /// <summary>One entry of /debug/ingestz "errors".</summary>
    private sealed record IngestError(string Source, string Kind, string Namespace, string Name, string Field, string Reason)
    {
        public bool ReasonHas(string text) => Reason.Contains(text, StringComparison.OrdinalIgnoreCase);

        public static List<IngestError> All(JsonElement ingestz) =>
            ingestz.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                ? errors.EnumerateArray().Select(From).ToList()
                : [];

        private static IngestError From(JsonElement e) =>
            new(Text(e, "source"), Text(e, "kind"), Text(e, "namespace"), Text(e, "name"), Text(e, "field"), Text(e, "reason"));

        private static string Text(JsonElement e, string property) =>
            e.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
    }
}
