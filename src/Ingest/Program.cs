using Mesh.Ingest;

var app = IngestHost.BuildStandalone(args);
await app.RunAsync();
