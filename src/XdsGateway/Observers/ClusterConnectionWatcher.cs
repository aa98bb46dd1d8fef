namespace Mesh.XdsGateway.Observers;

/// <summary>
/// When the client loses a silo (fewer Orleans gateways) or recovers its cluster connection, the
/// gateway re-fetches every subscription shortly after, so nothing a dead silo failed to push is
/// lost. The delay lets membership declare the silo dead and grains re-activate.
/// </summary>
internal sealed class ClusterConnectionWatcher(GrainConfigWatcher watcher) : IClusterConnectionStatusObserver
{
    public static readonly TimeSpan SettleDelay = TimeSpan.FromSeconds(3);

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways || connectionRecovered)
        {
            watcher.RenewSoon(SettleDelay);
        }
    }

    public void NotifyClusterConnectionLost()
    {
        // Keep serving the last known config; the renewal after recovery repairs anything missed.
    }
}
