using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>
/// A gateway's copy of one service's resources, shared by every local stream that needs any of
/// them. <see cref="Resources"/> is swapped atomically, so streams read it without locks.
/// </summary>
internal sealed class ServiceEntry(string host)
{
    public string Host { get; } = host;

    public volatile ImmutableDictionary<ResourceId, XdsResource>? Resources;

    public readonly HashSet<GrainProxyWatch> Watches = [];

    public bool Loaded => Resources is not null;

    public XdsResource? Get(string typeUrl, string name) =>
        Resources is { } r && r.TryGetValue(new ResourceId(typeUrl, name), out var res) ? res : null;
}
