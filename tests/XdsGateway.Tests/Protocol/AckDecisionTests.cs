using Envoy.Service.Discovery.V3;
using Mesh.Model.Translation;
using Mesh.XdsGateway.Protocol;

namespace Mesh.XdsGateway.Tests.Protocol;

[Trait("Category", "BVT")]
public class AckDecisionTests
{
    private static readonly WatchedResource SentEds = new WatchedResource(TypeUrls.Endpoint)
    {
        ResourceNames = ["a"],
        SubscribedExplicitly = true,
        NonceSent = "5",
        VersionSent = "v5",
    };

    private static DiscoveryRequest Request(string typeUrl, string nonce, string version, params string[] names)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, ResponseNonce = nonce, VersionInfo = version };
        request.ResourceNames.AddRange(names);
        return request;
    }

    [Fact]
    public void Evaluate_FirstRequest_IsInitialAndResponds_X05()
    {
        var result = AckDecision.Evaluate(null, Request(TypeUrls.Endpoint, "", "", "a"));

        Assert.Equal(AckKind.Initial, result.Kind);
        Assert.True(result.Respond);
        Assert.Equal(["a"], result.Next.ResourceNames);
    }

    [Fact]
    public void Evaluate_NonceFromEarlierStream_IsReconnectAndResponds_X05()
    {
        var result = AckDecision.Evaluate(null, Request(TypeUrls.Cluster, "17", "old"));

        Assert.Equal(AckKind.Reconnect, result.Kind);
        Assert.True(result.Respond);
    }

    [Fact]
    public void Evaluate_EchoOfLastNonceWithSameNames_IsAckWithoutResponse_X07()
    {
        var result = AckDecision.Evaluate(SentEds, Request(TypeUrls.Endpoint, "5", "v5", "a"));

        Assert.Equal(AckKind.Ack, result.Kind);
        Assert.False(result.Respond);
        Assert.Equal("5", result.Next.NonceAcked);
        Assert.Equal("v5", result.Next.VersionAcked);
    }

    [Fact]
    public void Evaluate_AckWithNewNames_Responds_X19()
    {
        var result = AckDecision.Evaluate(SentEds, Request(TypeUrls.Endpoint, "5", "v5", "a", "b"));

        Assert.Equal(AckKind.Ack, result.Kind);
        Assert.True(result.Respond);
        Assert.Equal(["a", "b"], result.Next.ResourceNames.Order());
    }

    [Fact]
    public void Evaluate_AckDroppingEveryEdsName_IsUnsubscribeWithoutResponse_X40()
    {
        var result = AckDecision.Evaluate(SentEds, Request(TypeUrls.Endpoint, "5", "v5"));

        Assert.Equal(AckKind.Ack, result.Kind);
        Assert.False(result.Respond);
        Assert.Empty(result.Next.ToSubscription().Names);
    }

    [Fact]
    public void Evaluate_ErrorDetail_IsNackRecordedWithoutResponse_X08_X10()
    {
        // the NACK carries the previously accepted version, yet error_detail decides.
        var request = Request(TypeUrls.Endpoint, "5", "v4", "a");
        request.ErrorDetail = new Google.Rpc.Status { Code = 3, Message = "bad endpoint" };

        var result = AckDecision.Evaluate(SentEds, request);

        Assert.Equal(AckKind.Nack, result.Kind);
        Assert.False(result.Respond);
        Assert.Equal("bad endpoint", result.Next.LastError);
        Assert.Equal("5", result.Next.NonceNacked);
    }

    [Fact]
    public void Evaluate_OlderNonce_IsStaleAndIgnored_X13()
    {
        var result = AckDecision.Evaluate(SentEds, Request(TypeUrls.Endpoint, "4", "v4", "a", "b"));

        Assert.Equal(AckKind.StaleNonce, result.Kind);
        Assert.False(result.Respond);
        Assert.Same(SentEds, result.Next);
    }

    [Fact]
    public void Evaluate_AckAfterCdsPushWithAlwaysRespond_RespondsOnceAndClearsFlag_X34()
    {
        var afterCds = SentEds with { AlwaysRespond = true };

        var result = AckDecision.Evaluate(afterCds, Request(TypeUrls.Endpoint, "5", "v5", "a"));

        Assert.Equal(AckKind.Ack, result.Kind);
        Assert.True(result.Respond);
        Assert.False(result.Next.AlwaysRespond);
    }

    [Fact]
    public void Evaluate_AckAfterNack_ClearsLastError_X43()
    {
        var nacked = SentEds with { LastError = "bad" };

        var result = AckDecision.Evaluate(nacked, Request(TypeUrls.Endpoint, "5", "v4", "a"));

        Assert.Null(result.Next.LastError);
    }

    [Fact]
    public void ToSubscription_SpecFourStepSotwSequence_FollowsLegacyWildcardRules_X18()
    {
        // [XDS] §"How the client specifies what resources to return", SotW example.
        WatchedResource? state = null;
        var steps = new (string[] Names, bool Wildcard, string[] Expected)[]
        {
            ([], true, []),
            (["*", "A"], true, ["A"]),
            (["A"], false, ["A"]),
            ([], false, []),
        };
        var nonce = "";
        foreach (var (names, wildcard, expected) in steps)
        {
            var result = AckDecision.Evaluate(state, Request(TypeUrls.Listener, nonce, "v", names));
            state = result.Next with { NonceSent = "n" };
            nonce = "n";
            var subscription = state.ToSubscription();
            Assert.Equal(wildcard, subscription.Wildcard);
            Assert.Equal(expected, subscription.Names.Order());
        }
    }

    [Fact]
    public void Evaluate_AckRepeatingTheNames_KeepsTheHeldSetInstance_X07()
    {
        var held = SentEds with { ResourceNames = ["a", "b"] };

        var result = AckDecision.Evaluate(held, Request(TypeUrls.Endpoint, "5", "v5", "b", "a"));

        Assert.Same(held.ResourceNames, result.Next.ResourceNames);
        Assert.False(result.Respond);
    }

    [Fact]
    public void Evaluate_AckWhoseDuplicatesHideADroppedName_IsAnUnsubscribe_X27()
    {
        var held = SentEds with { ResourceNames = ["a", "b"] };

        // Same count as held, every name held, but "b" is gone.
        var result = AckDecision.Evaluate(held, Request(TypeUrls.Endpoint, "5", "v5", "a", "a"));

        Assert.Equal(["a"], result.Next.ResourceNames);
        Assert.NotSame(held.ResourceNames, result.Next.ResourceNames);
    }
}
