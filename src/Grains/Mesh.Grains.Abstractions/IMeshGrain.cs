using System.Collections.Immutable;

namespace Mesh.Grains;

/// <summary>
/// The mesh root. Key: <see cref="Keys.MeshKey.Default"/>. Holds only the namespace list and the
/// readiness gate (X-25: no stream is served before the first full load); it is read when a scope
/// is (re)built, never on the push path.
/// </summary>
[Alias("mesh.IMeshGrain")]
public interface IMeshGrain : IGrainWithStringKey
{
    [Alias("SetNamespaces")]
    Task SetNamespacesAsync(ImmutableArray<string> namespaces);

    [Alias("GetNamespaces")]
    Task<ImmutableArray<string>> GetNamespacesAsync(string dependentScope);

    [Alias("RemoveDependent")]
    Task RemoveDependentAsync(string dependentScope);

    /// <summary>Marks the initial load of the source of truth complete.</summary>
    [Alias("SetReady")]
    Task SetReadyAsync();

    [Alias("IsReady")]
    Task<bool> IsReadyAsync();
}
