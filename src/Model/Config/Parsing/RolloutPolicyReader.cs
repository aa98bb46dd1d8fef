using System.Collections.Immutable;
using System.Globalization;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Reads <c>RolloutPolicy</c>: <c>spec.selector</c> (<c>kinds</c>, <c>names</c>, <c>matchLabels</c>),
/// <c>spec.stages[]</c> (<c>percent</c> or <c>canary.matchLabels</c>, optional <c>bake</c>), the
/// default <c>spec.bake</c>, <c>spec.gates</c> (<c>maxNacks</c>, <c>maxNackRatio</c>,
/// <c>health{url, interval, timeout, failureThreshold}</c>), <c>spec.onConflict</c>
/// (<c>Supersede</c> | <c>Queue</c>) and <c>spec.promotion</c> (<c>Auto</c> | <c>Manual</c>).
/// Ranges and order are the validator's; the reader reports only what does not parse.
/// </summary>
internal static class RolloutPolicyReader
{
    public static readonly TimeSpan DefaultBake = TimeSpan.Zero;
    public static readonly TimeSpan DefaultHealthInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(2);

    public static RolloutPolicy Read(YamlCursor root, ObjectMeta meta)
    {
        var spec = root.Field("spec");
        var selector = spec.Field("selector");
        var kinds = ImmutableArray.CreateBuilder<ConfigKind>();
        foreach (var item in selector.Field("kinds").Items())
        {
            var name = item.String();
            if (name is null)
            {
                continue;
            }
            if (name.Length > 0 && !char.IsAsciiDigit(name[0]) && Enum.TryParse<ConfigKind>(name, ignoreCase: false, out var kind) && Enum.IsDefined(kind))
            {
                kinds.Add(kind);
            }
            else
            {
                item.Error($"unknown kind '{name}' (kinds rolled out in stages: {string.Join(", ", RolloutPolicy.GovernableKinds)})");
            }
        }
        var stages = spec.Field("stages").Items().Select(ReadStage).ToImmutableArray();
        var gates = spec.Field("gates");
        var health = gates.Field("health");
        return new RolloutPolicy(
            meta,
            new RolloutSelector(kinds.ToImmutable(), selector.Field("names").Strings(), selector.Field("matchLabels").StringMap()),
            stages,
            spec.Field("bake").Duration() ?? DefaultBake,
            new RolloutGates(
                gates.Field("maxNacks").Int() ?? 0,
                ReadNumber(gates.Field("maxNackRatio")),
                health.Exists
                    ? new HealthGate(
                        health.Field("url").RequiredString(),
                        health.Field("interval").Duration() ?? DefaultHealthInterval,
                        health.Field("timeout").Duration() ?? DefaultHealthTimeout,
                        health.Field("failureThreshold").Int() ?? 1)
                    : null),
            ReadEnum(spec.Field("onConflict"), RolloutConflict.Supersede),
            ReadEnum(spec.Field("promotion"), Promotion.Auto) == Promotion.Manual);
    }

    private enum Promotion
    {
        Auto,
        Manual,
    }

    private static RolloutStage ReadStage(YamlCursor stage)
    {
        var canary = stage.Field("canary");
        var percent = ReadNumber(stage.Field("percent"));
        if (canary.Exists && percent is not null)
        {
            stage.Error("give either percent or canary, not both");
        }
        else if (!canary.Exists && percent is null && !stage.Field("percent").Exists)
        {
            stage.Error("a stage needs percent (share of proxies) or canary.matchLabels (a label selector of proxies)");
        }
        return new RolloutStage(
            canary.Exists ? null : percent,
            canary.Exists ? canary.Field("matchLabels").StringMap() : null,
            stage.Field("bake").Duration());
    }

    private static double? ReadNumber(YamlCursor value)
    {
        var text = value.String();
        if (text is null)
        {
            return null;
        }
        var trimmed = text.Trim().TrimEnd('%');
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
        {
            return n;
        }
        value.Error($"expected a number, got '{text}'");
        return null;
    }

    private static T ReadEnum<T>(YamlCursor value, T fallback)
        where T : struct, Enum
    {
        var text = value.String();
        if (text is null)
        {
            return fallback;
        }
        var trimmed = text.Trim();
        if (trimmed.Length > 0 && !char.IsAsciiDigit(trimmed[0]) && Enum.TryParse<T>(trimmed, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed))
        {
            return parsed;
        }
        value.Error($"expected one of {string.Join(", ", Enum.GetNames<T>())}, got '{text}'");
        return fallback;
    }
}
