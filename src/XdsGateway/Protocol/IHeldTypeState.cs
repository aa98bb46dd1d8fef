namespace Mesh.XdsGateway.Protocol;

/// <summary>What every stream's per-type state says about its last evaluation.</summary>
internal interface IHeldTypeState
{
    /// <summary>The set last evaluated was still loading (a service being fetched).</summary>
    bool Incomplete { get; }

    /// <summary>
    /// Answered at least once, the last answer acknowledged (ACK or NACK), and nothing due: the
    /// client holds what the gateway has for this type (what <see cref="ConnectGate"/> waits for).
    /// </summary>
    bool Settled { get; }
}
