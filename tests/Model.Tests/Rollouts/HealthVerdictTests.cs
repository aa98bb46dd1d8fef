using Mesh.Model.Rollouts;

namespace Mesh.Model.Tests.Rollouts;

public sealed class HealthVerdictTests
{
    [Theory]
    [InlineData(200, "", true)]
    [InlineData(200, "pass\n", true)]
    [InlineData(204, null, true)]
    [InlineData(200, "OK", true)]
    [InlineData(200, "fail", false)]
    [InlineData(200, "FAIL: error rate 12%", false)]
    [InlineData(503, "pass", false)]
    [InlineData(200, "<html>maintenance</html>", false)]
    [InlineData(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", true)]
    [InlineData(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"3\"]}]}}", false)]
    [InlineData(200, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}", false)]
    [InlineData(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"2\"]}}", false)]
    [InlineData(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":\"x\"}}", false)]
    [InlineData(200, "{\"status\":", false)]
    [InlineData(200, "{\"healthy\":true}", false)]
    public void Verdict(int status, string? body, bool pass)
    {
        var verdict = HealthVerdict.Of(status, body);
        Assert.Equal(pass, verdict.Pass);
        Assert.False(string.IsNullOrWhiteSpace(verdict.Reason));
    }

    [Fact]
    public void Reasons_SayWhy()
    {
        Assert.Equal("HTTP 503: down", HealthVerdict.Of(503, "down").Reason);
        Assert.Contains("Prometheus query returned 1 series", HealthVerdict.Of(200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"job\":\"x\"},\"value\":[1,\"3\"]}]}}").Reason, StringComparison.Ordinal);
        Assert.Contains("Prometheus query failed: parse error", HealthVerdict.Of(200, "{\"status\":\"error\",\"error\":\"parse error\"}").Reason, StringComparison.Ordinal);
        Assert.StartsWith("unrecognised answer", HealthVerdict.Of(200, new string('x', 500)).Reason, StringComparison.Ordinal);
        Assert.True(HealthVerdict.Of(200, new string('x', 500)).Reason.Length < 250);
    }
}
