namespace Mesh.XdsGateway.Protocol;

/// <summary>What every stream's per-type state says about its last evaluation.</summary>
internal interface IHeldTypeState
{
    /// <summary>The set last evaluated was still loading (a service being fetched).</summary>
    bool Incomplete { get; }
}
