using EcoAid.Api.Features.Calendar;

namespace EcoAid.Api.Tests.Calendar;

public class WorkingCalendarTests
{
    // National Day 2026 as an example shape: Thu 1 Oct – Wed 7 Oct off (weekdays among them are holidays),
    // Sat 10 Oct a make-up workday.
    private static readonly WorkingCalendar Calendar = new(new Dictionary<DateOnly, DayKind>
    {
        [new(2026, 10, 1)] = DayKind.Holiday,
        [new(2026, 10, 2)] = DayKind.Holiday,
        [new(2026, 10, 5)] = DayKind.Holiday,
        [new(2026, 10, 6)] = DayKind.Holiday,
        [new(2026, 10, 7)] = DayKind.Holiday,
        [new(2026, 10, 10)] = DayKind.Workday,
    });

    [Fact]
    public void WeekdaysWorkWeekendsRestUnlessTheTableSaysOtherwise()
    {
        Assert.True(Calendar.IsWorkingDay(new(2026, 9, 30)));   // Wednesday
        Assert.False(Calendar.IsWorkingDay(new(2026, 10, 1)));  // Thursday, holiday
        Assert.False(Calendar.IsWorkingDay(new(2026, 10, 3)));  // Saturday
        Assert.True(Calendar.IsWorkingDay(new(2026, 10, 10)));  // Saturday, make-up workday
    }

    [Theory]
    [InlineData("2026-09-29", 1, "2026-09-30")]
    [InlineData("2026-09-29", 2, "2026-10-08")] // skips the holiday week
    [InlineData("2026-09-30", 3, "2026-10-10")] // 8th, 9th, then the make-up Saturday
    [InlineData("2026-09-30", 4, "2026-10-12")]
    [InlineData("2026-10-09", 0, "2026-10-09")]
    public void AddingWorkingDaysCountsOnlyWorkingDays(string from, int days, string expected) =>
        Assert.Equal(DateOnly.Parse(expected), Calendar.AddWorkingDays(DateOnly.Parse(from), days));

    [Fact]
    public void WorkingDaysBetweenIsTheInverseOfAdding()
    {
        var from = new DateOnly(2026, 9, 28);
        for (var n = 0; n < 15; n++)
        {
            Assert.Equal(n, Calendar.WorkingDaysBetween(from, Calendar.AddWorkingDays(from, n)));
        }
    }

    [Theory]
    [InlineData("2026-10-31T15:30:00Z", "2026-10-31")] // 23:30 in Shanghai
    [InlineData("2026-10-31T16:30:00Z", "2026-11-01")] // 00:30 the next day in Shanghai
    public void TodayIsTheShanghaiDate(string instant, string expected) =>
        Assert.Equal(DateOnly.Parse(expected), WorkingCalendar.Today(DateTimeOffset.Parse(instant)));

    [Fact]
    public void OverdueStartsTheShanghaiDayAfterTheDueDate()
    {
        var due = new DateOnly(2026, 10, 31);
        Assert.False(WorkingCalendar.IsOverdue(due, DateTimeOffset.Parse("2026-10-31T15:59:59Z")));
        Assert.True(WorkingCalendar.IsOverdue(due, DateTimeOffset.Parse("2026-10-31T16:00:00Z")));
    }
}
