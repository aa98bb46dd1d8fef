using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Model.Translation;
using Metric = Mesh.LoadTest.Proxies.ProxyCounters.Metric;

namespace Mesh.LoadTest.Proxies;

/// <summary>The state-of-the-world ADS side of <see cref="SimulatedProxy"/>.</summary>
public sealed partial class SimulatedProxy
{
    private async Task RunSotwAsync(CallInvoker invoker, CancellationToken cancellationToken)
    {
        using var call = invoker.AsyncDuplexStreamingCall(AdsWire.Sotw, host: null, new CallOptions(cancellationToken: cancellationToken));
        List<DiscoveryRequest> requests;
        lock (_gate)
        {
            requests = SotwInitialLocked();
        }
        foreach (var request in requests)
        {
            await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        await foreach (var response in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            // The response's buffer goes back to the pool before the answers are written (a write can wait on flow control).
            using (response)
            {
                lock (_gate)
                {
                    requests = OnSotwLocked(response);
                }
            }
            foreach (var request in requests)
            {
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The first request per type on a stream: its names again, with the last version it accepted (empty on the first stream).</summary>
    private List<DiscoveryRequest> SotwInitialLocked()
    {
        var requests = new List<DiscoveryRequest>();
        foreach (var type in RequestOrder)
        {
            var state = _types[type];
            if (!state.Wildcard && state.Names.Count == 0)
            {
                continue;
            }
            requests.Add(new DiscoveryRequest
            {
                TypeUrl = TypeUrls.PushOrder[type],
                VersionInfo = state.SotwVersion,
                ResourceNames = { SubscriptionLocked(type) },
            });
        }
        requests[0].Node = _options.Node;
        return requests;
    }

    private List<DiscoveryRequest> OnSotwLocked(WireResponse response)
    {
        OnResponseLocked();
        var type = ProxyCounters.IndexOf(response.TypeUrl);
        if (type < 0)
        {
            return [new DiscoveryRequest { TypeUrl = response.TypeUrl, VersionInfo = response.Version, ResponseNonce = response.Nonce }];
        }
        _counters.Add(Metric.Responses, type);
        var state = _types[type];
        state.Nonce = response.Nonce;
        // SotW resources carry no name or version: the name is the resource's field 1, the version Mesh's content hash of the bytes.
        var items = response.Resources;
        if (NackLocked(type, response.TypeUrl, response.Version, response.Nonce, () => [.. items.Select(i => i.Name)], []))
        {
            SignalLocked();
            return [new DiscoveryRequest
            {
                TypeUrl = response.TypeUrl,
                VersionInfo = state.SotwVersion,
                ResponseNonce = response.Nonce,
                ResourceNames = { SubscriptionLocked(type) },
                ErrorDetail = NackDetail(response.Version),
            }];
        }

        var everHeld = state.EverHeld;
        var heldBefore = state.Held.Count;
        var now = DateTime.UtcNow;
        foreach (var (name, _, body) in items)
        {
            ApplyLocked(type, name, version: null, body, now);
        }
        if (type is Cds or Lds)
        {
            // LDS and CDS are the complete set; a held name missing from it is deleted.
            var present = items.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var name in state.Held.Keys.Where(n => !present.Contains(n)).ToList())
            {
                RemoveLocked(type, name, orderedByServer: true, now);
            }
            CheckSafetyLocked(type, everHeld, heldBefore, items.Count == 0 ? "an empty SotW response" : "a SotW response");
        }
        state.SotwVersion = response.Version;

        var requests = new List<DiscoveryRequest>
        {
            new() { TypeUrl = response.TypeUrl, VersionInfo = response.Version, ResponseNonce = response.Nonce, ResourceNames = { SubscriptionLocked(type) } },
        };
        foreach (var change in ReconcileLocked(type, now))
        {
            var child = _types[change.Type];
            requests.Add(new DiscoveryRequest
            {
                TypeUrl = TypeUrls.PushOrder[change.Type],
                VersionInfo = child.SotwVersion,
                ResponseNonce = child.Nonce,
                ResourceNames = { SubscriptionLocked(change.Type) },
            });
        }
        SignalLocked();
        return requests;
    }
}
