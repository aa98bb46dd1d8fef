using Mesh.Ingest.Kubernetes;

namespace Mesh.Ingest.Tests.Kubernetes;

public sealed class KubeListTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void Continue_NullEmptyOrBlank_IsTheLastPage(string? token) =>
        Assert.Null(new KubeList([], "1", token).Continue);

    [Fact]
    public void Continue_Token_IsKept() =>
        Assert.Equal("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", new KubeList([], "1", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ").Continue);
}
