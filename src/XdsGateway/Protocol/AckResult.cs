namespace Mesh.XdsGateway.Protocol;

/// <summary>The outcome of <see cref="AckDecision.Evaluate"/>: the case, whether to respond, and the next state.</summary>
public sealed record AckResult(AckKind Kind, bool Respond, WatchedResource Next);
