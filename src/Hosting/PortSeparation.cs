using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Mesh.Hosting;

/// <summary>
/// Keeps gRPC (xDS) on its port and HTTP admin on the others, by the connection's local port. Not
/// by Host header: Envoy sends its xDS cluster name as <c>:authority</c>, and an L4 load balancer
/// changes the port a client dialled.
/// </summary>
public static class PortSeparation
{
    public static IApplicationBuilder SeparateGrpcPort(this IApplicationBuilder app, int grpcPort) => app.Use((ctx, next) =>
    {
        var grpc = ctx.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        if (grpc != (ctx.Connection.LocalPort == grpcPort))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return next(ctx);
    });
}
