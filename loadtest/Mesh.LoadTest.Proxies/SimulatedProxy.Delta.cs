using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Mesh.Model.Translation;
using Metric = Mesh.LoadTest.Proxies.ProxyCounters.Metric;

namespace Mesh.LoadTest.Proxies;

/// <summary>The incremental (delta) ADS side of <see cref="SimulatedProxy"/>.</summary>
public sealed partial class SimulatedProxy
{
    private async Task RunDeltaAsync(CallInvoker invoker, CancellationToken cancellationToken)
    {
        using var call = invoker.AsyncDuplexStreamingCall(AdsWire.Delta, host: null, new CallOptions(cancellationToken: cancellationToken));
        List<DeltaDiscoveryRequest> requests;
        lock (_gate)
        {
            requests = DeltaInitialLocked();
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
                    requests = OnDeltaLocked(response);
                }
            }
            foreach (var request in requests)
            {
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The first request per type on a stream (CDS, LDS, then EDS and RDS if any are wanted): its
    /// subscriptions again, and what it holds as <c>initial_resource_versions</c> (X-38).
    /// </summary>
    private List<DeltaDiscoveryRequest> DeltaInitialLocked()
    {
        var requests = new List<DeltaDiscoveryRequest>();
        foreach (var type in RequestOrder)
        {
            var state = _types[type];
            if (!state.Wildcard && state.Names.Count == 0)
            {
                continue;
            }
            var request = new DeltaDiscoveryRequest { TypeUrl = TypeUrls.PushOrder[type] };
            if (state.Wildcard)
            {
                request.ResourceNamesSubscribe.Add("*");
            }
            request.ResourceNamesSubscribe.Add(state.Names.Order(StringComparer.Ordinal));
            foreach (var (name, held) in state.Held)
            {
                request.InitialResourceVersions[name] = held.Version;
            }
            requests.Add(request);
        }
        requests[0].Node = _options.Node;
        return requests;
    }

    private List<DeltaDiscoveryRequest> OnDeltaLocked(WireResponse response)
    {
        OnResponseLocked();
        var ack = new DeltaDiscoveryRequest { TypeUrl = response.TypeUrl, ResponseNonce = response.Nonce };
        var type = ProxyCounters.IndexOf(response.TypeUrl);
        if (type < 0)
        {
            return [ack];
        }
        _counters.Add(Metric.Responses, type);
        if (NackLocked(type, response.TypeUrl, response.Version, response.Nonce, () => [.. response.Resources.Select(r => r.Name)], response.Removed))
        {
            ack.ErrorDetail = NackDetail(response.Version);
            SignalLocked();
            return [ack];
        }

        var state = _types[type];
        var everHeld = state.EverHeld;
        var heldBefore = state.Held.Count;
        var now = DateTime.UtcNow;
        foreach (var resource in response.Resources)
        {
            ApplyLocked(type, resource.Name, resource.Version, resource.Body, now);
        }
        var removedAny = false;
        foreach (var name in response.Removed)
        {
            removedAny |= RemoveLocked(type, name, orderedByServer: true, now);
        }
        if (removedAny)
        {
            CheckSafetyLocked(type, everHeld, heldBefore, "delta removed_resources");
        }

        var requests = new List<DeltaDiscoveryRequest> { ack };
        foreach (var change in ReconcileLocked(type, now))
        {
            requests.Add(new DeltaDiscoveryRequest
            {
                TypeUrl = TypeUrls.PushOrder[change.Type],
                ResourceNamesSubscribe = { change.Added },
                ResourceNamesUnsubscribe = { change.Removed },
            });
        }
        SignalLocked();
        return requests;
    }
}
