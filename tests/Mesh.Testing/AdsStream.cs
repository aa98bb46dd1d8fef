using System.Threading.Channels;
using Grpc.Core;

namespace Mesh.Testing;

/// <summary>
/// One duplex xDS call seen from the client: requests are written as given, responses are pumped
/// into a channel so tests can await them with a timeout, and the call's final status is kept.
/// </summary>
internal sealed class AdsStream<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class
    where TResponse : class
{
    private readonly AsyncDuplexStreamingCall<TRequest, TResponse> _call;
    private readonly Channel<TResponse> _responses = Channel.CreateUnbounded<TResponse>();
    private readonly Task _pump;
    private readonly string _variant;

    public AdsStream(AsyncDuplexStreamingCall<TRequest, TResponse> call, string variant)
    {
        _call = call;
        _variant = variant;
        _pump = PumpAsync();
    }

    public bool Started { get; set; }

    public async Task SendAsync(TRequest request)
    {
        Started = true;
        await _call.RequestStream.WriteAsync(request).ConfigureAwait(false);
    }

    public async Task<TResponse> ExpectAsync(string phase, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _responses.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new XdsExpectationException($"[{_variant} {phase}] expected a response within {timeout.TotalMilliseconds:0} ms, got none");
        }
        catch (ChannelClosedException ex)
        {
            throw new XdsExpectationException($"[{_variant} {phase}] expected a response, but the stream ended: {ex.InnerException?.Message ?? "completed"}", ex);
        }
    }

    public async Task ExpectNoneAsync(string phase, TimeSpan window, Func<TResponse, string> describe)
    {
        using var cts = new CancellationTokenSource(window);
        try
        {
            var response = await _responses.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            throw new XdsExpectationException($"[{_variant} {phase}] expected no response within {window.TotalMilliseconds:0} ms, got {describe(response)}");
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException ex)
        {
            throw new XdsExpectationException($"[{_variant} {phase}] expected the stream to stay open, but it ended: {ex.InnerException?.Message ?? "completed"}", ex);
        }
    }

    public async Task<RpcException> ExpectErrorAsync(StatusCode code, TimeSpan timeout, Func<TResponse, string> describe)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var response = await _responses.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
                throw new XdsExpectationException($"[{_variant} ExpectError] expected status {code}, got a response first: {describe(response)}");
            }
        }
        catch (OperationCanceledException)
        {
            throw new XdsExpectationException($"[{_variant} ExpectError] expected status {code} within {timeout.TotalMilliseconds:0} ms; the stream is still open");
        }
        catch (ChannelClosedException ex) when (ex.InnerException is RpcException rpc)
        {
            return rpc.StatusCode == code
                ? rpc
                : throw new XdsExpectationException($"[{_variant} ExpectError] expected status {code}, got {rpc.StatusCode}: {rpc.Status.Detail}", rpc);
        }
        catch (ChannelClosedException ex)
        {
            throw new XdsExpectationException($"[{_variant} ExpectError] expected status {code}, the stream completed with OK", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (RpcException)
        {
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                await _responses.Writer.WriteAsync(_call.ResponseStream.Current).ConfigureAwait(false);
            }

            _responses.Writer.TryComplete();
        }
        catch (RpcException ex)
        {
            _responses.Writer.TryComplete(ex);
        }
    }
}
