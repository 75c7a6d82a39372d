using System.Globalization;
using EcoAid.Api.Features.Calendar;

namespace EcoAid.Api.Features.Stats;

/// <summary>
/// Months and periods as the programme counts them: Asia/Shanghai calendar dates. A period <c>from</c>–<c>to</c> is
/// inclusive and covers the instants from <c>from</c> 00:00 up to (not including) the day after <c>to</c>, 00:00, Shanghai time.
/// </summary>
internal static class Periods
{
    /// <summary>Parses <c>yyyy-MM</c> into the month's first day.</summary>
    public static bool TryParseMonth(string? text, out DateOnly firstDay)
    {
        firstDay = default;
        return text is { Length: 7 }
            && DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out firstDay)
            && firstDay.Year is >= 2000 and <= 2100;
    }

    public static bool TryParseDate(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    public static DateOnly MonthOf(DateOnly day) => new(day.Year, day.Month, 1);

    public static DateOnly LastDayOfMonth(DateOnly firstDay) => firstDay.AddMonths(1).AddDays(-1);

    public static string MonthText(DateOnly firstDay) => firstDay.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    public static string ChineseMonth(DateOnly firstDay) => $"{firstDay.Year}年{firstDay.Month}月";

    public static string ChineseDate(DateOnly day) => $"{day.Year}年{day.Month}月{day.Day}日";

    /// <summary>The UTC instant at which <paramref name="day"/> begins in Shanghai.</summary>
    public static DateTime StartUtc(DateOnly day) =>
        TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(day.ToDateTime(TimeOnly.MinValue), DateTimeKind.Unspecified), WorkingCalendar.Shanghai);

    /// <summary>The Shanghai calendar date of an instant.</summary>
    public static DateOnly DateOf(DateTimeOffset instant) => WorkingCalendar.Today(instant);
}
