using Mesh.XdsGateway.AccessLog;

namespace Mesh.XdsGateway.Tests.AccessLog;

/// <summary>Reading a lazy egress access-log entry as a fence report.</summary>
public sealed class FallbackReportTests
{
    [Theory]
    [InlineData("ledger", "ledger.shop.svc.cluster.local")]
    [InlineData("ledger:8080", "ledger.shop.svc.cluster.local")]
    [InlineData("ledger.bank", "ledger.bank.svc.cluster.local")]
    [InlineData("Ledger.Bank:80", "ledger.bank.svc.cluster.local")]
    [InlineData("ledger.bank.svc", "ledger.bank.svc.cluster.local")]
    [InlineData("ledger.bank.svc.cluster.local.", "ledger.bank.svc.cluster.local")]
    [InlineData("api.example.com:443", "api.example.com")]
    [InlineData("10.96.0.1:80", null)]
    [InlineData("[fd00::1]:80", null)]
    [InlineData(":80", null)]
    public void HostOf_ExpandsKubernetesShortNames_AndRefusesIps(string authority, string? host)
    {
        Assert.Equal(host, FallbackReport.HostOf(authority, "shop", "cluster.local"));
    }

    [Theory]
    [InlineData("shop/web", "ledger.bank:80", "mesh-system", "shop/web", "ledger.bank.svc.cluster.local", null)]
    [InlineData(null, "ledger.bank:80", "mesh-system", null, null, "no-source")]
    [InlineData("shop", "ledger.bank:80", "mesh-system", null, null, "bad-source")]
    [InlineData("shop/web/x", "ledger.bank:80", "mesh-system", null, null, "bad-source")]
    [InlineData("shop/web", "", "mesh-system", null, null, "no-authority")]
    [InlineData("shop/web", "10.0.0.1", "mesh-system", null, null, "ip-authority")]
    [InlineData("shop/web", "10.96.3.4:5432", "mesh-system", null, null, "ip-authority")] // a fenced sidecar's TCP tunnel
    [InlineData("shop/web", "[fd00::1]:80", "mesh-system", null, null, "ip-authority")]
    [InlineData("shop/web", "bad_host.bank", "mesh-system", null, null, "bad-authority")]
    // A per-namespace egress (Slime's namespace mode) reports its own namespace's fences only.
    [InlineData("shop/web", "ledger.bank", "shop", "shop/web", "ledger.bank.svc.cluster.local", null)]
    [InlineData("bank/ledger", "web.shop", "shop", null, null, "foreign-namespace")]
    public void Read_GivesTheFenceAndHost_OrWhyTheEntryIsSkipped(string? source, string? authority, string caller, string? fence, string? host, string? skip)
    {
        Assert.Equal((fence, host, skip), FallbackReport.Read(source, authority, caller, "mesh-system", "cluster.local"));
    }
}
