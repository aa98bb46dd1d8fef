namespace Mesh.Testing.Kubernetes;

/// <summary>
/// Queued failures: the next N requests under a path prefix (optionally of one verb) get an error status;
/// and kinds whose list paging is broken until told otherwise.
/// </summary>
internal sealed class KubeFaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<Rule> _rules = [];
    private readonly Dictionary<KubeResourceType, KubePagingFault> _paging = [];

    public void Add(string pathPrefix, int statusCode, int count, KubeApiVerb? verb)
    {
        lock (_gate)
        {
            _rules.Add(new(pathPrefix, statusCode, verb) { Remaining = count });
        }
    }

    /// <summary>The code to fail this request with, consuming one use of the first matching rule.</summary>
    public int? TakeFailure(string path, KubeApiVerb verb)
    {
        lock (_gate)
        {
            var rule = _rules.Find(r => r.Remaining > 0 && path.StartsWith(r.PathPrefix, StringComparison.Ordinal) && (r.Verb is null || r.Verb == verb));
            if (rule is null)
            {
                return null;
            }

            rule.Remaining--;
            _rules.RemoveAll(r => r.Remaining <= 0);
            return rule.StatusCode;
        }
    }

    public void SetPagingFault(KubeResourceType type, KubePagingFault fault)
    {
        lock (_gate)
        {
            if (fault == KubePagingFault.None)
            {
                _paging.Remove(type);
            }
            else
            {
                _paging[type] = fault;
            }
        }
    }

    public KubePagingFault PagingFault(KubeResourceType type)
    {
        lock (_gate)
        {
            return _paging.GetValueOrDefault(type);
        }
    }

    private sealed record Rule(string PathPrefix, int StatusCode, KubeApiVerb? Verb)
    {
        public int Remaining { get; set; }
    }
}
