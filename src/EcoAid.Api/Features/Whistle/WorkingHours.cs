using EcoAid.Api.Features.Calendar;

namespace EcoAid.Api.Features.Whistle;

/// <summary>
/// Office hours on working days (Asia/Shanghai), for the 报到 clock: time outside them — evenings, weekends, holidays —
/// does not count; a make-up workday (调休) does. One span a day, <see cref="Start"/> to <see cref="End"/>.
/// </summary>
public sealed class WorkingHours(WorkingCalendar calendar, TimeOnly start, TimeOnly end)
{
    public TimeOnly Start => start;
    public TimeOnly End => end;

    /// <summary>The instant <paramref name="amount"/> of working time after <paramref name="from"/>.</summary>
    public DateTimeOffset Add(DateTimeOffset from, TimeSpan amount)
    {
        var local = TimeZoneInfo.ConvertTime(from, WorkingCalendar.Shanghai).DateTime;
        var left = amount;
        var day = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        for (var guard = 0; guard < 3660; guard++)
        {
            if (calendar.IsWorkingDay(day) && time < end)
            {
                var begin = time < start ? start : time;
                var available = end - begin;
                if (left <= available)
                {
                    return ToUtc(day, begin.Add(left));
                }
                left -= available;
            }
            day = day.AddDays(1);
            time = TimeOnly.MinValue;
        }
        throw new InvalidOperationException("No working time within ten years.");
    }

    /// <summary>Working time between two instants (zero when <paramref name="to"/> is not later).</summary>
    public TimeSpan Between(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            return TimeSpan.Zero;
        }
        var a = TimeZoneInfo.ConvertTime(from, WorkingCalendar.Shanghai).DateTime;
        var b = TimeZoneInfo.ConvertTime(to, WorkingCalendar.Shanghai).DateTime;
        var total = TimeSpan.Zero;
        for (var day = DateOnly.FromDateTime(a); day <= DateOnly.FromDateTime(b); day = day.AddDays(1))
        {
            if (!calendar.IsWorkingDay(day))
            {
                continue;
            }
            var open = day.ToDateTime(start);
            var close = day.ToDateTime(end);
            var s = a > open ? a : open;
            var e = b < close ? b : close;
            if (e > s)
            {
                total += e - s;
            }
        }
        return total;
    }

    private static DateTimeOffset ToUtc(DateOnly day, TimeOnly time)
    {
        var local = day.ToDateTime(time);
        return new DateTimeOffset(local, WorkingCalendar.Shanghai.GetUtcOffset(local)).ToUniversalTime();
    }
}
