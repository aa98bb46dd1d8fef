using System.Diagnostics;
using System.Security.Cryptography;

namespace Mesh.EndToEnd.Tests.Harness;

/// <summary>
/// npm's <c>@grpc/grpc-js-xds</c> for xds_client.js, installed once per lock file from the npm
/// registry into a cache folder outside the repository (<c>npm ci</c> from scripts/package-lock.json).
/// </summary>
internal static class GrpcJsModules
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _modules;

    /// <summary>The node_modules folder to pass as NODE_PATH; installs it on first use.</summary>
    public static async Task<string> PathAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_modules is not null)
            {
                return _modules;
            }
            var lockFile = RepoPaths.Script("package-lock.json");
            var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)))[..16];
            var prefix = Path.Combine(Path.GetTempPath(), "mesh-e2e-grpc-js", hash);
            var modules = Path.Combine(prefix, "node_modules");
            if (!File.Exists(Path.Combine(modules, "@grpc", "grpc-js-xds", "package.json")))
            {
                Directory.CreateDirectory(prefix);
                File.Copy(RepoPaths.Script("package.json"), Path.Combine(prefix, "package.json"), overwrite: true);
                File.Copy(lockFile, Path.Combine(prefix, "package-lock.json"), overwrite: true);
                using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--prefix", prefix, "--ignore-scripts", "--no-audit", "--no-fund"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                }) ?? throw new InvalidOperationException("could not start npm");
                var output = npm.StandardOutput.ReadToEndAsync();
                var errors = npm.StandardError.ReadToEndAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
                await npm.WaitForExitAsync(timeout.Token);
                if (npm.ExitCode != 0)
                {
                    throw new InvalidOperationException($"npm ci --prefix {prefix} failed ({npm.ExitCode}): {await output}\n{await errors}");
                }
            }
            _modules = modules;
            return modules;
        }
        finally
        {
            Gate.Release();
        }
    }
}
