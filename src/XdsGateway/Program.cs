using Mesh.XdsGateway;

var app = GatewayHost.BuildStandalone(args);
await app.RunAsync();
