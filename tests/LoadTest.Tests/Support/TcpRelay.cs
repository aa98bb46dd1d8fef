using System.Net;
using System.Net.Sockets;

namespace Mesh.LoadTest.Tests.Support;

/// <summary>
/// A loopback TCP relay in front of the mesh's xDS port, so a test can cut every ADS connection
/// (and refuse new ones for a while) without stopping the control plane.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accept;
    private bool _refusing;

    public TcpRelay(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Resets every relayed connection; until <see cref="Accept"/>, new ones are reset at once.</summary>
    public void CutAndRefuse()
    {
        lock (_gate)
        {
            _refusing = true;
            foreach (var s in _sockets)
            {
                Reset(s);
            }
            _sockets.Clear();
        }
    }

    public void Accept()
    {
        lock (_gate)
        {
            _refusing = false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAndRefuse();
        try
        {
            await _accept;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            lock (_gate)
            {
                if (_refusing)
                {
                    Reset(client);
                    upstream.Dispose();
                    continue;
                }
                _sockets.Add(client);
                _sockets.Add(upstream);
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, _targetPort);
                    await Task.WhenAny(PumpAsync(client, upstream), PumpAsync(upstream, client));
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
                {
                }
                Reset(client);
                Reset(upstream);
            });
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16384];
        try
        {
            int n;
            while ((n = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private static void Reset(Socket s)
    {
        try
        {
            s.LingerState = new LingerOption(true, 0);
            s.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
