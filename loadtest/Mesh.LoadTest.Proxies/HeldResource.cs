namespace Mesh.LoadTest.Proxies;

/// <summary>
/// One resource a simulated proxy holds: the version it was sent (delta: the resource version;
/// SotW: <see cref="Mesh.Model.Translation.ContentHash"/> of its bytes, which is what Mesh uses as
/// the delta version), a 64-bit hash of its bytes (<see cref="BytesHash"/>), and when it arrived (UTC).
/// </summary>
public readonly record struct HeldResource(string Version, ulong Hash, DateTime ReceivedAt);

/// <summary>
/// A resource update as it is applied, for latency measurement (<see cref="SimulatedProxyOptions.OnUpdate"/>).
/// <paramref name="Body"/> is the resource's serialized bytes (empty for a removal); valid during the callback only unless copied.
/// </summary>
public readonly record struct ResourceUpdate(string ProxyId, string TypeUrl, string Name, string Version, DateTime ReceivedAt, bool Removed, ReadOnlyMemory<byte> Body = default);
