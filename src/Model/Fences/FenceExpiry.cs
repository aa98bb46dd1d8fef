namespace Mesh.Model.Fences;

/// <summary>Slime's statuses of a learned host: kept while called, dropped after two quiet periods.</summary>
public enum LearnedStatus
{
    /// <summary>Called within the last quiet period.</summary>
    Active,

    /// <summary>Quiet for one period: still served (a call now makes it active again).</summary>
    ExpireWait,

    /// <summary>Quiet for two periods: removed from the fence's scopes.</summary>
    Expire,
}

/// <summary>The expiry of learned hosts as functions of the last call and the time passed in.</summary>
public static class FenceExpiry
{
    public static LearnedStatus StatusOf(DateTimeOffset lastSeen, DateTimeOffset now, TimeSpan quietPeriod)
    {
        var quiet = now - lastSeen;
        return quiet < quietPeriod ? LearnedStatus.Active : quiet < 2 * quietPeriod ? LearnedStatus.ExpireWait : LearnedStatus.Expire;
    }

    /// <summary>When the host's status next changes on its own (null once expired).</summary>
    public static DateTimeOffset? NextChange(DateTimeOffset lastSeen, DateTimeOffset now, TimeSpan quietPeriod) =>
        StatusOf(lastSeen, now, quietPeriod) switch
        {
            LearnedStatus.Active => lastSeen + quietPeriod,
            LearnedStatus.ExpireWait => lastSeen + (2 * quietPeriod),
            _ => null,
        };
}
