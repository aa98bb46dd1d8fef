namespace Mesh.Model.Translation;

/// <summary>A port the workload itself serves (a target port of a Service selecting it).</summary>
public sealed record InboundPort(int Port, Services.Protocol Protocol);
