using System.Collections.Immutable;
using Mesh.Model.Translation;

namespace Mesh.XdsGateway.Observers;

/// <summary>One type's sync state of a local stream: versions sent/ACKed/NACKed and what was last sent.</summary>
public sealed record ProxySyncState(
    string TypeUrl,
    string? Sent,
    string? Acked,
    string? Nacked,
    string? LastError,
    ImmutableSortedDictionary<string, XdsResource> LastSentResources)
{
    /// <summary>istioctl proxy-status wording: SYNCED, NOT SENT, or STALE (sent but not ACKed, or NACKed).</summary>
    public string State => Sent is null ? "NOT SENT" : Sent == Acked ? "SYNCED" : "STALE";
}
