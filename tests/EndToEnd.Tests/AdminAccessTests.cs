using System.Net;
using Mesh.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Mesh.EndToEnd.Tests;

/// <summary>Who may write through the admin API: loopback callers, or remote ones with the configured token.</summary>
public sealed class AdminAccessTests
{
    private static DefaultHttpContext Caller(string ip, string? authorization = null)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(ip);
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        return context;
    }

    private static IConfiguration Config(string? token) =>
        new ConfigurationBuilder().AddInMemoryCollection(token is null ? [] : [KeyValuePair.Create<string, string?>("Admin:Token", token)]).Build();

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Loopback_MayWrite_WithoutAToken(string ip)
    {
        Assert.Null(AdminAccess.Check(Caller(ip), Config(null)));
        Assert.Null(AdminAccess.Check(Caller(ip), Config("s3cret")));
    }

    [Fact]
    public void Remote_IsRefused_WithoutATokenConfigured_OrWithoutOneSent()
    {
        Assert.IsAssignableFrom<IStatusCodeHttpResult>(AdminAccess.Check(Caller("10.1.2.3"), Config(null)));
        Assert.Equal(StatusCodes.Status403Forbidden, ((IStatusCodeHttpResult)AdminAccess.Check(Caller("10.1.2.3"), Config("s3cret"))!).StatusCode);
        // A token sent when none is configured grants nothing.
        Assert.NotNull(AdminAccess.Check(Caller("10.1.2.3", "Bearer anything"), Config(null)));
    }

    [Fact]
    public void Remote_WithTheToken_MayWrite_AndWithAnotherIsRefused()
    {
        Assert.Null(AdminAccess.Check(Caller("10.1.2.3", "Bearer s3cret"), Config("s3cret")));
        Assert.Equal(StatusCodes.Status403Forbidden, ((IStatusCodeHttpResult)AdminAccess.Check(Caller("10.1.2.3", "Bearer s3cre7"), Config("s3cret"))!).StatusCode);
        // Even from loopback, a wrong token is refused: whoever sends one means to be checked.
        Assert.NotNull(AdminAccess.Check(Caller("127.0.0.1", "Bearer wrong"), Config("s3cret")));
    }
}
