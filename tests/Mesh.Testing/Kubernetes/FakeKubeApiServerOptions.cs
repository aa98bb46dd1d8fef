namespace Mesh.Testing.Kubernetes;

/// <summary>Knobs of <see cref="FakeKubeApiServer"/>; the defaults serve the mesh's kinds with no automatic bookmarks.</summary>
public sealed class FakeKubeApiServerOptions
{
    /// <summary>The kinds served (default <see cref="KubeResourceType.MeshDefaults"/>).</summary>
    public IReadOnlyList<KubeResourceType> ResourceTypes { get; init; } = KubeResourceType.MeshDefaults;

    /// <summary>
    /// The last page of a built-in kind's list carries <c>"continue": ""</c> too. Off, lists are as the real
    /// server writes them: custom resource lists carry it, built-in lists leave it out; any server may write it.
    /// </summary>
    public bool EmptyContinueOnBuiltInLists { get; init; }

    /// <summary>When set, a BOOKMARK goes to every bookmark-enabled watch this often (the real server sends one about every minute).</summary>
    public TimeSpan? BookmarkInterval { get; init; }

    /// <summary>Drives creation timestamps, watch <c>timeoutSeconds</c> and <see cref="BookmarkInterval"/>; a fake clock lets tests step them.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
