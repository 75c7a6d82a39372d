namespace EcoAid.Api.Features.Calendar;

/// <summary>A day the national calendar moves: a public holiday on a weekday, or a make-up workday (调休) on a weekend.</summary>
public enum DayKind
{
    Holiday,
    Workday,
}

/// <summary>
/// Working days in mainland China: Monday to Friday, except the listed holidays, plus the listed make-up workdays.
/// Calendar dates are Asia/Shanghai dates; <see cref="Today"/> turns an instant into one.
/// </summary>
public sealed class WorkingCalendar(IReadOnlyDictionary<DateOnly, DayKind> overrides)
{
    public static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");

    public static DateOnly Today(DateTimeOffset now) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, Shanghai).DateTime);

    public bool IsWorkingDay(DateOnly day) => overrides.TryGetValue(day, out var kind)
        ? kind == DayKind.Workday
        : day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

    /// <summary>The date <paramref name="workingDays"/> working days after <paramref name="from"/> (which itself does not count).</summary>
    public DateOnly AddWorkingDays(DateOnly from, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        var day = from;
        for (var counted = 0; counted < workingDays;)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(day))
            {
                counted++;
            }
        }
        return day;
    }

    /// <summary>Working days strictly after <paramref name="from"/> up to and including <paramref name="to"/>; negative when <paramref name="to"/> is earlier.</summary>
    public int WorkingDaysBetween(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            return -WorkingDaysBetween(to, from);
        }
        var count = 0;
        for (var day = from.AddDays(1); day <= to; day = day.AddDays(1))
        {
            if (IsWorkingDay(day))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>A demand is overdue once the Shanghai date is past its due date.</summary>
    public static bool IsOverdue(DateOnly dueDate, DateTimeOffset now) => Today(now) > dueDate;
}
