using System.Globalization;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Model.Translation;

namespace Mesh.LoadTest.Limit;

/// <summary>
/// One type's responses at one version, serialized once and written as the same arrays to every
/// stream: SotW and delta, each as the full set (a stream's first response) and as what changed in
/// this version (what subscribed streams are pushed). Version and nonce are the type's generation.
/// </summary>
internal sealed class LimitResponses
{
    private readonly byte[] _sotw;
    private readonly byte[] _sotwChange;
    private readonly byte[] _delta;
    private readonly byte[] _deltaChange;

    private LimitResponses(string version, byte[] sotw, byte[] sotwChange, byte[] delta, byte[] deltaChange)
    {
        Version = version;
        _sotw = sotw;
        _sotwChange = sotwChange;
        _delta = delta;
        _deltaChange = deltaChange;
    }

    public string Version { get; }

    /// <summary>The serialized <c>DiscoveryResponse</c> or <c>DeltaDiscoveryResponse</c>: everything, or what changed.</summary>
    public byte[] For(bool delta, bool full) => delta ? (full ? _delta : _deltaChange) : (full ? _sotw : _sotwChange);

    /// <param name="typeUrl">The type of every resource.</param>
    /// <param name="generation">The type's version number, used as version and nonce.</param>
    /// <param name="all">Every resource of the type, in name order.</param>
    /// <param name="changed">The resources this version added or replaced.</param>
    public static LimitResponses Build(string typeUrl, long generation, IReadOnlyCollection<XdsResource> all, IReadOnlyCollection<XdsResource> changed)
    {
        var version = generation.ToString(CultureInfo.InvariantCulture);
        var anys = all.ToDictionary(r => r.Name, r => new Any { TypeUrl = typeUrl, Value = UnsafeByteOperations.UnsafeWrap(r.Body) }, StringComparer.Ordinal);

        byte[] Sotw(IEnumerable<XdsResource> resources) => new DiscoveryResponse
        {
            VersionInfo = version,
            TypeUrl = typeUrl,
            Nonce = version,
            Resources = { resources.Select(r => anys[r.Name]) },
        }.ToByteArray();

        byte[] Delta(IEnumerable<XdsResource> resources) => new DeltaDiscoveryResponse
        {
            SystemVersionInfo = version,
            TypeUrl = typeUrl,
            Nonce = version,
            Resources = { resources.Select(r => new Resource { Name = r.Name, Version = r.Version, Resource_ = anys[r.Name] }) },
        }.ToByteArray();

        var sotw = Sotw(all);
        // a SotW LDS or CDS response is the complete set (a missing name is a deletion); EDS and
        // RDS responses may carry only what changed, as Mesh's own gateway sends them.
        var sotwChange = TypeUrls.SupportsWildcard(typeUrl) ? sotw : Sotw(changed);
        return new LimitResponses(version, sotw, sotwChange, Delta(all), Delta(changed));
    }
}
