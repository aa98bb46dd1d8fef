namespace Mesh.Testing.Kubernetes;

/// <summary>Knobs of <see cref="FakeKubeApiServer"/>; the defaults serve the mesh's kinds with no automatic bookmarks.</summary>
public sealed class FakeKubeApiServerOptions
{
    /// <summary>The kinds served (default <see cref="KubeResourceType.MeshDefaults"/>).</summary>
    public IReadOnlyList<KubeResourceType> ResourceTypes { get; init; } = KubeResourceType.MeshDefaults;

    /// <summary>When set, a BOOKMARK goes to every bookmark-enabled watch this often (the real server sends one about every minute).</summary>
    public TimeSpan? BookmarkInterval { get; init; }

    /// <summary>Drives creation timestamps, watch <c>timeoutSeconds</c> and <see cref="BookmarkInterval"/>; a fake clock lets tests step them.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
