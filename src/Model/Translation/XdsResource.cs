namespace Mesh.Model.Translation;

/// <summary>
/// A built, serialized xDS resource: the unit that crosses grain boundaries and is shared by every
/// proxy that sees it. <see cref="Version"/> is a content hash of <see cref="Body"/>.
/// </summary>
public sealed record XdsResource(string TypeUrl, string Name, string Version, ReadOnlyMemory<byte> Body)
{
    /// <summary>Wraps a message: serializes once and names the version by content hash.</summary>
    public static XdsResource From(string typeUrl, string name, Google.Protobuf.IMessage message)
    {
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(message);
        return new(typeUrl, name, ContentHash.Of(bytes), bytes);
    }

    public bool Equals(XdsResource? other) =>
        other is not null && TypeUrl == other.TypeUrl && Name == other.Name && Version == other.Version;

    public override int GetHashCode() => HashCode.Combine(TypeUrl, Name, Version);
}
