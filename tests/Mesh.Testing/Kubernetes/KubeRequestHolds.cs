namespace Mesh.Testing.Kubernetes;

/// <summary>The holds in force on <see cref="FakeKubeApiServer"/>; a request waits for every one that matches it when it arrives.</summary>
internal sealed class KubeRequestHolds(Action onChange)
{
    private readonly Lock _gate = new();
    private readonly List<KubeRequestHold> _holds = [];

    public KubeRequestHold Add(string pathPrefix, KubeApiVerb? verb)
    {
        var hold = new KubeRequestHold(pathPrefix, verb, Remove, onChange);
        lock (_gate)
        {
            _holds.Add(hold);
        }

        return hold;
    }

    /// <summary>Completes when every hold matching the request is released; cancelled with <paramref name="cancellationToken"/>.</summary>
    public Task WaitAsync(string path, KubeApiVerb verb, CancellationToken cancellationToken)
    {
        List<KubeRequestHold> matching;
        lock (_gate)
        {
            matching = _holds.FindAll(h => h.Matches(path, verb));
        }

        return matching.Count switch
        {
            0 => Task.CompletedTask,
            1 => matching[0].WaitAsync(cancellationToken),
            _ => Task.WhenAll(matching.Select(h => h.WaitAsync(cancellationToken))),
        };
    }

    private void Remove(KubeRequestHold hold)
    {
        lock (_gate)
        {
            _holds.Remove(hold);
        }

        onChange();
    }
}
