using Mesh.Ingest.Kubernetes;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Ingest.Tests.Kubernetes;

/// <summary>Per-namespace debounce with Istio's defaults (100 ms quiet, 10 s at most), on a fake clock.</summary>
public sealed class NamespaceDebouncerTests
{
    private static readonly TimeSpan After = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task QuietNamespace_IsDueAfterTheQuietTime_NotBefore()
    {
        var time = new FakeTimeProvider();
        using var debouncer = new NamespaceDebouncer(After, Max, time);
        debouncer.Touch("a");

        var next = debouncer.NextAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(next.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(["a"], await next.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, debouncer.Pending);
    }

    [Fact]
    public async Task NoisyNamespace_DoesNotHoldBackAQuietOne_AndIsAppliedAtTheMaximum()
    {
        var time = new FakeTimeProvider();
        using var debouncer = new NamespaceDebouncer(After, Max, time);

        // "noisy" changes every 50 ms for 12 s; "quiet" changes once, 1 s in.
        var dueAt = new List<(TimeSpan At, string Ns)>();
        var start = time.GetUtcNow();
        var consumer = Task.Run(async () =>
        {
            while (true)
            {
                foreach (var ns in await debouncer.NextAsync(CancellationToken.None))
                {
                    lock (dueAt)
                    {
                        dueAt.Add((time.GetUtcNow() - start, ns));
                    }
                }
            }
        });
        for (var t = 0; t < 12_000; t += 50)
        {
            debouncer.Touch("noisy");
            if (t == 1000)
            {
                debouncer.Touch("quiet");
            }
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Yield();
            await Task.Delay(1);
        }

        List<(TimeSpan At, string Ns)> seen;
        lock (dueAt)
        {
            seen = [.. dueAt];
        }
        var quiet = Assert.Single(seen, d => d.Ns == "quiet");
        Assert.InRange(quiet.At, TimeSpan.FromMilliseconds(1100), TimeSpan.FromMilliseconds(1200));
        var noisy = seen.Where(d => d.Ns == "noisy").Select(d => d.At).ToList();
        Assert.NotEmpty(noisy);
        Assert.InRange(noisy[0], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.1));
        Assert.False(consumer.IsFaulted);
    }

    [Fact]
    public void TakeAll_TakesPendingNamespacesWhetherDueOrNot()
    {
        using var debouncer = new NamespaceDebouncer(After, Max, new FakeTimeProvider());
        debouncer.Touch("a");
        debouncer.Touch("b");
        debouncer.Touch("a");

        Assert.Equal(["a", "b"], debouncer.TakeAll().Order(StringComparer.Ordinal));
        Assert.Equal(0, debouncer.Pending);
    }
}
