using Mesh.LoadTest;
using Mesh.LoadTest.Proxies;

namespace Mesh.LoadTest.Tests;

/// <summary>
/// Every client group is spread over the gateways and the delta share splits every (group, gateway) cell
/// alike, so a scenario's affected proxies are the same mix as the swarm (picked by index alone, group
/// i mod 4 was all SotW and on one gateway).
/// </summary>
public sealed class ProxyModeMixTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(4, 1)]
    [InlineData(4, 2)]
    [InlineData(5, 1)]
    [InlineData(20, 2)]
    public void DeltaShareHalf_EveryGroupOnEveryGateway_IsHalfDelta(int groups, int gateways)
    {
        var options = new LoadOptions { Proxies = 400, Groups = groups };
        var groupOf = Enumerable.Range(0, options.Proxies).Select(options.GroupOf).ToArray();

        var ranks = Session.GroupRanks(groupOf);
        var placed = ranks.Select(r => Session.Placement(r, gateways, 0.5)).ToArray();

        var cells = Enumerable.Range(0, options.Proxies).GroupBy(i => (groupOf[i], placed[i].FirstGateway)).ToList();
        Assert.Equal(groups * gateways, cells.Count);
        Assert.All(cells, cell =>
        {
            Assert.Equal(400 / groups / gateways, cell.Count());
            Assert.Equal(cell.Count() / 2, cell.Count(i => placed[i].Mode == ProxyMode.Delta));
        });
    }

    [Fact]
    public void OneGroup_IsProxyIOnGatewayIModG_DeltaPickedByIOverG_AsBefore()
    {
        var ranks = Session.GroupRanks(new int[10]);

        Assert.Equal(Enumerable.Range(0, 10), ranks);
        Assert.Equal(
            [(0, ProxyMode.Sotw), (1, ProxyMode.Sotw), (0, ProxyMode.Delta), (1, ProxyMode.Delta), (0, ProxyMode.Sotw), (1, ProxyMode.Sotw)],
            ranks.Take(6).Select(r => Session.Placement(r, 2, 0.5)));
    }

    [Fact]
    public void OnePercentVisible_OnTwoGateways_SeersAreHalfDeltaAndHalfOnEachGateway()
    {
        var options = new LoadOptions { Proxies = 20_000, Services = 51, VisibleFraction = 0.01, FanoutServices = 1 };
        var groupOf = Enumerable.Range(0, options.Proxies).Select(options.GroupOf).ToArray();

        var ranks = Session.GroupRanks(groupOf);

        var seers = Enumerable.Range(0, options.Proxies).Where(i => groupOf[i] == 0).Select(i => Session.Placement(ranks[i], 2, 0.5)).ToList();
        Assert.Equal(200, seers.Count);
        Assert.Equal(100, seers.Count(p => p.Mode == ProxyMode.Delta));
        Assert.Equal(100, seers.Count(p => p.FirstGateway == 0));
    }
}
