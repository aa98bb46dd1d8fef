namespace Mesh.Grains;

/// <summary>
/// Observer lease timing. A gateway re-subscribes every <see cref="Renew"/>; a grain forgets an
/// observer not renewed within <see cref="Observer"/>, so a dead gateway costs nothing for long.
/// </summary>
public static class GrainLeases
{
    public static readonly TimeSpan Observer = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan Renew = TimeSpan.FromMinutes(1);
}
