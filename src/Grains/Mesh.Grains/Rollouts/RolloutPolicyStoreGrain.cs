using System.Collections.Immutable;
using Mesh.Grains.Dtos;
using Mesh.Model.Config;
using Mesh.Model.Rollouts;
using Microsoft.Extensions.Logging;

namespace Mesh.Grains.Rollouts;

/// <summary>The admin API's RolloutPolicies (key <c>default</c>), persisted; the sources' own policies live in the ingest.</summary>
[GrainType("rolloutpolicies")]
internal sealed partial class RolloutPolicyStoreGrain(
    [PersistentState("rolloutpolicies", GrainStorage.Name)] IPersistentState<RolloutPolicyStoreState> state,
    ILogger<RolloutPolicyStoreGrain> logger) : MeshGrainBase("rolloutpolicies"), IRolloutPolicyStoreGrain
{
    public async Task PutAsync(RolloutPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        state.State.Policies = state.State.Policies.SetItem($"{policy.Meta.Namespace}/{policy.Meta.Name}", policy);
        await state.WriteStateAsync();
        LogPut(logger, policy.Meta.Namespace, policy.Meta.Name);
    }

    public async Task<bool> DeleteAsync(string ns, string name)
    {
        var key = $"{ns}/{name}";
        if (!state.State.Policies.ContainsKey(key))
        {
            return false;
        }
        state.State.Policies = state.State.Policies.Remove(key);
        await state.WriteStateAsync();
        LogDeleted(logger, ns, name);
        return true;
    }

    public Task<ImmutableArray<RolloutPolicy>> GetAllAsync() => Task.FromResult<ImmutableArray<RolloutPolicy>>([.. state.State.Policies.Values]);

    public Task<RolloutPolicy?> GoverningAsync(ServiceRouting routing)
    {
        ArgumentNullException.ThrowIfNull(routing);
        return Task.FromResult(RolloutGovernance.PolicyForAny(routing.Objects(), [.. state.State.Policies.Values]));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "RolloutPolicy {Namespace}/{Name} stored through the admin API")]
    private static partial void LogPut(ILogger logger, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "RolloutPolicy {Namespace}/{Name} deleted through the admin API")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string name);
}

/// <summary>Persisted state of the <see cref="RolloutPolicyStoreGrain"/>: policies by <c>NAMESPACE/NAME</c>.</summary>
[GenerateSerializer, Alias("mesh.RolloutPolicyStoreState")]
public sealed class RolloutPolicyStoreState
{
    [Id(0)] public ImmutableSortedDictionary<string, RolloutPolicy> Policies { get; set; } = ImmutableSortedDictionary<string, RolloutPolicy>.Empty.WithComparers(StringComparer.Ordinal);
}
