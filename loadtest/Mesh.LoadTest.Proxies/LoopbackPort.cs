using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mesh.LoadTest.Proxies;

/// <summary>
/// Free listening ports on 127.0.0.1 below the kernel's ephemeral range. A port the kernel hands
/// out for port 0 lies in that range, where any outgoing connection (20,000 proxies make that
/// many) can take it before the process that was given it binds it: a run once failed so with
/// "address already in use".
/// </summary>
public static class LoopbackPort
{
    private const int Low = 15_000;
    private static readonly HashSet<int> Handed = [];
    private static readonly Lock Gate = new();

    /// <summary>A port nothing listened on a moment ago, never the same one twice in this process.</summary>
    public static int Next()
    {
        var high = EphemeralRangeStart();
        for (var attempt = 0; attempt < 200 && high > Low + 1_000; attempt++)
        {
            var port = Random.Shared.Next(Low, high);
            lock (Gate)
            {
                if (Handed.Contains(port))
                {
                    continue;
                }
            }
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
            }
            catch (SocketException)
            {
                continue; // in use: try another
            }
            lock (Gate)
            {
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
        using var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        return ((IPEndPoint)any.LocalEndpoint).Port;
    }

    /// <summary>Whether <paramref name="ex"/> (or an exception inside it) is a bind to a port already in use.</summary>
    public static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Runs <paramref name="start"/> (which picks its ports with <see cref="Next"/> and cleans up
    /// after itself when it throws) again with fresh ports when a bind found its port taken, up to
    /// <paramref name="attempts"/> times in all.
    /// </summary>
    public static async Task<T> StartWithRetryAsync<T>(Func<Task<T>> start, int attempts = 3)
    {
        ArgumentNullException.ThrowIfNull(start);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < attempts && IsAddressInUse(ex))
            {
                // Another process took a port between Next and the bind: try fresh ones.
            }
        }
    }

    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768; // Linux's default
        }
    }
}
