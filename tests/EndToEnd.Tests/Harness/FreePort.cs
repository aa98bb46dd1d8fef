using System.Net;
using System.Net.Sockets;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// Hands out TCP ports on 127.0.0.1 that were free a moment ago, never the same one twice in a
/// test run. The kernel picks the port (bind to 0), so parallel runs rarely collide; callers that
/// bind later still retry on a bind failure because the port can be taken in between.
/// </summary>
internal static class FreePort
{
    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();

    public static int Next()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Gate)
            {
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("Could not find a free TCP port on 127.0.0.1 after 50 attempts.");
    }
}
