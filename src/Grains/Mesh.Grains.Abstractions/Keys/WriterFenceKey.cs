namespace Mesh.Grains.Keys;

/// <summary>Key of the <see cref="IWriterFenceGrain"/> that fenced writes are checked against.</summary>
public static class WriterFenceKey
{
    /// <summary>The fence of the ingest: its elected leader claims epochs here.</summary>
    public const string Ingest = "ingest";
}
