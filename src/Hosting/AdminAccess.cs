using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Mesh.Hosting;

/// <summary>
/// Who may call the admin API's write endpoints (<c>POST</c>/<c>PUT</c>/<c>DELETE</c> under
/// <c>/api/v1</c>): a caller on the loopback interface, or one presenting the configured
/// <c>Admin:Token</c> as <c>Authorization: Bearer TOKEN</c>. Refusals are counted in
/// <c>mesh_admin_refused_total{reason}</c>. Per-tenant authorization comes with tenancy.
/// </summary>
public static class AdminAccess
{
    private static readonly Meter Meter = new("Mesh.Admin");
    private static readonly Counter<long> Refused = Meter.CreateCounter<long>("mesh_admin_refused", description: "Admin API writes refused, by reason (no-token: a remote caller without a token when none is configured; bad-token).");

    /// <summary>Null when <paramref name="context"/> may write; otherwise the refusal to return.</summary>
    public static IResult? Check(HttpContext context, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(configuration);
        var token = configuration["Admin:Token"];
        var presented = context.Request.Headers.Authorization.ToString();
        if (presented.StartsWith("Bearer ", StringComparison.Ordinal) && !string.IsNullOrEmpty(token))
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented["Bearer ".Length..].Trim()), Encoding.UTF8.GetBytes(token)))
            {
                return null;
            }
            Refused.Add(1, new KeyValuePair<string, object?>("reason", "bad-token"));
            return Results.Text("admin API: the bearer token does not match Admin:Token\n", statusCode: StatusCodes.Status403Forbidden);
        }
        if (context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote))
        {
            return null;
        }
        Refused.Add(1, new KeyValuePair<string, object?>("reason", "no-token"));
        return Results.Text(string.IsNullOrEmpty(token)
            ? "admin API: writes are accepted on the loopback interface only (configure Admin:Token to accept them remotely)\n"
            : "admin API: present Admin:Token as 'Authorization: Bearer TOKEN'\n", statusCode: StatusCodes.Status403Forbidden);
    }
}
