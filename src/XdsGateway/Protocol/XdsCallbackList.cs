using Grpc.Core;

namespace Mesh.XdsGateway.Protocol;

/// <summary>Fans one callback out to every registered <see cref="IXdsCallbacks"/>.</summary>
internal sealed class XdsCallbackList(IEnumerable<IXdsCallbacks> callbacks) : IXdsCallbacks
{
    private readonly IXdsCallbacks[] _callbacks = [.. callbacks];

    public void OnStreamOpened(ProxyNode node, bool delta)
    {
        foreach (var c in _callbacks)
        {
            c.OnStreamOpened(node, delta);
        }
    }

    public void OnStreamClosed(ProxyNode node, bool delta)
    {
        foreach (var c in _callbacks)
        {
            c.OnStreamClosed(node, delta);
        }
    }

    public void OnStreamError(StatusCode code)
    {
        foreach (var c in _callbacks)
        {
            c.OnStreamError(code);
        }
    }

    public void OnStreamClosedByServer(string reason)
    {
        foreach (var c in _callbacks)
        {
            c.OnStreamClosedByServer(reason);
        }
    }

    public void OnResponseSent(ProxyNode node, string typeUrl, int resourceCount, long bytes)
    {
        foreach (var c in _callbacks)
        {
            c.OnResponseSent(node, typeUrl, resourceCount, bytes);
        }
    }

    public void OnAck(ProxyNode node, string typeUrl, string version)
    {
        foreach (var c in _callbacks)
        {
            c.OnAck(node, typeUrl, version);
        }
    }

    public void OnNack(ProxyNode node, string typeUrl, string version, string errorDetail)
    {
        foreach (var c in _callbacks)
        {
            c.OnNack(node, typeUrl, version, errorDetail);
        }
    }

    public void OnExpiredNonce(ProxyNode node, string typeUrl)
    {
        foreach (var c in _callbacks)
        {
            c.OnExpiredNonce(node, typeUrl);
        }
    }

    public void OnRequestRefused(ProxyNode node, string typeUrl, string limit)
    {
        foreach (var c in _callbacks)
        {
            c.OnRequestRefused(node, typeUrl, limit);
        }
    }
}
