namespace Mesh.LoadTest.Proxies;

/// <summary>
/// What a simulated proxy was just sent, as seen by its NACK predicate: the type, the response
/// version (SotW <c>version_info</c>, delta <c>system_version_info</c>), the nonce, the names of
/// the resources in it and, for delta, the names it removes.
/// </summary>
public sealed record XdsResponseInfo(
    string TypeUrl,
    string Version,
    string Nonce,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> RemovedNames);
