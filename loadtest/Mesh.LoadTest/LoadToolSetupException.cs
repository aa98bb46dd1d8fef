namespace Mesh.LoadTest;

/// <summary>
/// What the load tool needs from the machine is missing (a program it starts, such as
/// redis-server): the tool prints the message, which says how to fix it, and exits 2 without a stack trace.
/// </summary>
public sealed class LoadToolSetupException : Exception
{
    public LoadToolSetupException()
    {
    }

    public LoadToolSetupException(string message)
        : base(message)
    {
    }

    public LoadToolSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
