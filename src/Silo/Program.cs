using Mesh.Hosting;
using Mesh.Silo;

var options = SiloOptions.Parse(args, out var error);
if (options is null)
{
    if (error is not null)
    {
        await Console.Error.WriteLineAsync($"error: {error}\n");
        await Console.Error.WriteLineAsync(SiloOptions.Usage);
        return 2;
    }
    Console.WriteLine(SiloOptions.Usage);
    return 0;
}

return await ProcessMain.RunAsync("mesh silo", () => MeshHost.Build(options, []), _ => PrintBanner(options));

static void PrintBanner(SiloOptions options)
{
    if (string.IsNullOrEmpty(options.Redis))
    {
        Console.WriteLine("Mesh embedded control plane");
        Console.WriteLine($"  xDS (ADS, h2c)  grpc://{options.ListenAddress}:{options.XdsPort}");
        Console.WriteLine($"  admin           http://{options.ListenAddress}:{options.AdminPort}  (/readyz /debug/syncz /debug/config_dump?proxyID= /debug/ingestz /metrics)");
        Console.WriteLine(options.UsesKubernetes
            ? $"  kubernetes      {options.KubeApi ?? options.Kubeconfig}{(options.DiscoverySelectors.IsEmpty ? "" : $" (namespaces: {string.Join(" or ", options.DiscoverySelectors)})")}"
            : $"  manifests       {options.ManifestDirectory}");
    }
    else
    {
        Console.WriteLine($"Mesh silo (cluster {options.ClusterId}, Redis {options.Redis})");
        Console.WriteLine($"  admin           http://{options.ListenAddress}:{options.AdminPort}  (/readyz /metrics)");
    }
    Console.WriteLine($"  orleans         silo {options.SiloPort}, gateway {options.SiloGatewayPort}");
}
