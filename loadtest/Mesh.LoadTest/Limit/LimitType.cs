using Mesh.Model.Translation;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// The resources of one type URL, the responses of its current version, and what was written of
/// it. <see cref="Next"/> is called by one replacement at a time; <see cref="Current"/> is read and
/// published under the hub's gate.
/// </summary>
internal sealed class LimitType
{
    private readonly SortedDictionary<string, XdsResource> _resources = new(StringComparer.Ordinal);
    private long _generation;
    private long _responses;
    private long _bytes;

    public LimitType(string typeUrl, IEnumerable<XdsResource> initial)
    {
        TypeUrl = typeUrl;
        Current = Next([.. initial]);
    }

    public string TypeUrl { get; }

    public LimitResponses Current { get; set; }

    public int Count => _resources.Count;

    public long Responses => Interlocked.Read(ref _responses);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Adds or replaces <paramref name="replaced"/> and serializes the next version's responses (not yet published).</summary>
    public LimitResponses Next(IReadOnlyCollection<XdsResource> replaced)
    {
        foreach (var resource in replaced)
        {
            _resources[resource.Name] = resource;
        }
        return LimitResponses.Build(TypeUrl, ++_generation, [.. _resources.Values], replaced);
    }

    public void CountWrite(int bytes)
    {
        Interlocked.Increment(ref _responses);
        Interlocked.Add(ref _bytes, bytes);
    }
}
