namespace Mesh.Testing;

/// <summary>Rendered output differs from its golden file (or the file is missing).</summary>
public sealed class GoldenMismatchException(string message) : Exception(message);
