using Mesh.Hosting;
using Mesh.XdsGateway;

return await ProcessMain.RunAsync("mesh xds gateway", () => GatewayHost.BuildStandalone(args));
