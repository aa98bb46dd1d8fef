using Mesh.Hosting;
using Mesh.Ingest;

return await ProcessMain.RunAsync("mesh ingest", () => IngestHost.BuildStandalone(args));
