using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Hosting;

/// <summary>One-line console logs with timestamps; framework chatter at warning and above.</summary>
public static class HostLogging
{
    public static void Configure(IHostApplicationBuilder builder)
    {
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        foreach (var category in new[] { "Orleans", "Microsoft", "Grpc", "Polly" })
        {
            builder.Logging.AddFilter(category, LogLevel.Warning);
        }
    }
}
