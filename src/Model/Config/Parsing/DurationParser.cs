using System.Globalization;

namespace Mesh.Model.Config.Parsing;

/// <summary>
/// Parses Istio durations: the protobuf JSON form (<c>1.5s</c>) and Go's <c>time.ParseDuration</c> form
/// (<c>500ms</c>, <c>1m</c>, <c>1h30m</c>), with an optional sign. A bare number is not a duration.
/// </summary>
public static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.Length == 0)
        {
            return false;
        }
        decimal ticks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            if (!decimal.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }
            if (UnitTicks(s[unitStart..i]) is not { } unit)
            {
                return false;
            }
            ticks += number * unit;
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }
        value = TimeSpan.FromTicks((long)decimal.Round(negative ? -ticks : ticks));
        return true;
    }

    private static decimal? UnitTicks(string unit) => unit switch
    {
        "ns" => 0.01m,
        "us" or "µs" => TimeSpan.TicksPerMicrosecond,
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => null,
    };
}
