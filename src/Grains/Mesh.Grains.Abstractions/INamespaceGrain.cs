using Mesh.Grains.Dtos;

namespace Mesh.Grains;

/// <summary>
/// One namespace's config (services defined there, Sidecars, Gateways, gateway-bound
/// VirtualServices). Key: the namespace name. Tells dependent scopes when it changes.
/// </summary>
[Alias("mesh.INamespaceGrain")]
public interface INamespaceGrain : IGrainWithStringKey
{
    /// <summary>Replaces the config; <paramref name="writerEpoch"/> is checked against the writer fence (0: unfenced).</summary>
    [Alias("Update")]
    Task UpdateAsync(NamespaceConfig config, long writerEpoch = 0);

    /// <summary>Returns the config and records the scope as a dependent.</summary>
    [Alias("Get")]
    Task<NamespaceConfig> GetAsync(string dependentScope);

    [Alias("RemoveDependent")]
    Task RemoveDependentAsync(string dependentScope);
}
