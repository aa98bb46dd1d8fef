using Mesh.LoadTest.Proxies;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// Hands out TCP ports on 127.0.0.1 that were free a moment ago, never the same one twice in a
/// test run, below the kernel's ephemeral range (<see cref="LoopbackPort"/>) so no outgoing
/// connection of the tests takes one before it is bound. Callers that bind later still retry on a
/// bind failure, because another process can take the port in between.
/// </summary>
internal static class FreePort
{
    public static int Next() => LoopbackPort.Next();
}
