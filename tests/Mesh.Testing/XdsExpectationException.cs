namespace Mesh.Testing;

/// <summary>An xDS harness expectation failed; the message names the phase, the type, and expected versus actual.</summary>
public sealed class XdsExpectationException : Exception
{
    public XdsExpectationException()
    {
    }

    public XdsExpectationException(string message)
        : base(message)
    {
    }

    public XdsExpectationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
