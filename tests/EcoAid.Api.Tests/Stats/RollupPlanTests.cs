using EcoAid.Api.Features.Stats;

namespace EcoAid.Api.Tests.Stats;

/// <summary>
/// How a period is read from the kept counts (StatsRollups.Split): every day of the period counted exactly once and no
/// other day, checked day by day over many periods; and partial months taken the cheaper way round.
/// </summary>
public class RollupPlanTests
{
    private static DateOnly D(string s) => DateOnly.ParseExact(s, "yyyy-MM-dd");

    /// <summary>How many times the plan counts each day: +1 for each monthly row or added range holding it, -1 for each subtracted range.</summary>
    private static Dictionary<DateOnly, int> Weights(StatsRollups.RollupPlan plan, DateOnly from, DateOnly to)
    {
        var weights = new Dictionary<DateOnly, int>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var month = new DateOnly(day.Year, day.Month, 1);
            var w = month >= plan.FirstMonth && month <= plan.LastMonth ? 1 : 0;
            w += In(plan.AddHead, day) + In(plan.AddTail, day) - In(plan.SubtractHead, day) - In(plan.SubtractTail, day);
            weights[day] = w;
        }
        return weights;
    }

    private static int In(StatsRollups.DayRange range, DateOnly day) => day >= range.From && day <= range.To ? 1 : 0;

    private static int DailyRows(StatsRollups.RollupPlan plan) =>
        new[] { plan.AddHead, plan.AddTail, plan.SubtractHead, plan.SubtractTail }.Where(r => !r.IsEmpty).Sum(r => r.To.DayNumber - r.From.DayNumber + 1);

    [Fact]
    public void EveryDayOfThePeriodCountsOnceAndNoOtherDayCounts()
    {
        var random = new Random(20261206);
        var checkedPeriods = 0;
        foreach (var (start, end) in Periods(random))
        {
            var plan = StatsRollups.Split(start, end);
            // Two months either side: a monthly row reaching past the period must be taken back day by day.
            var weights = Weights(plan, start.AddMonths(-2), end.AddMonths(2));
            foreach (var (day, weight) in weights)
            {
                Assert.True(weight == (day >= start && day <= end ? 1 : 0), $"{start}–{end}: {day} counted {weight} times ({plan})");
            }
            // Each partial month is read through at most 15 of its days (the smaller part of at most 31).
            Assert.True(DailyRows(plan) <= 30, $"{start}–{end}: {DailyRows(plan)} daily rows ({plan})");
            checkedPeriods++;
        }
        Assert.True(checkedPeriods > 500);
    }

    private static IEnumerable<(DateOnly, DateOnly)> Periods(Random random)
    {
        // Edges: whole months, single days, month ends, leap February, a year's turn, the overview's two years.
        yield return (D("2026-02-01"), D("2026-02-28"));
        yield return (D("2024-02-01"), D("2024-02-29"));
        yield return (D("2024-02-29"), D("2024-02-29"));
        yield return (D("2025-12-31"), D("2026-01-01"));
        yield return (D("2026-03-05"), D("2026-03-20"));
        yield return (D("2026-03-16"), D("2026-03-31"));
        yield return (D("2026-03-01"), D("2026-03-16"));
        yield return (D("2024-12-06"), D("2026-12-04"));
        for (var i = 0; i < 600; i++)
        {
            var start = D("2024-01-01").AddDays(random.Next(900));
            var end = start.AddDays(random.Next(i % 3 == 0 ? 40 : 731));
            yield return (start, end);
        }
    }

    [Fact]
    public void APeriodFromTheCalendarsFirstDayNeedsNoDayBeforeIt()
    {
        // A period starting on a month's first day subtracts nothing before it (it once asked for the day before 0001-01-01).
        Assert.Equal(StatsRollups.DayRange.None, StatsRollups.Split(DateOnly.MinValue, DateOnly.MinValue.AddDays(40)).SubtractHead);
        var inJanuary = StatsRollups.Split(DateOnly.MinValue, DateOnly.MinValue.AddDays(20));
        Assert.Equal((StatsRollups.DayRange.None, new StatsRollups.DayRange(DateOnly.MinValue.AddDays(21), DateOnly.MinValue.AddDays(30))),
            (inJanuary.SubtractHead, inJanuary.SubtractTail));
    }

    [Fact]
    public void APartialMonthIsReadTheCheaperWayRound()
    {
        // Two years up to 4 December: December 2024 from the 6th is its monthly row minus days 1–5; December 2026 up to the
        // 4th is those four days.
        var twoYears = StatsRollups.Split(D("2024-12-06"), D("2026-12-04"));
        Assert.Equal(new StatsRollups.RollupPlan(D("2024-12-01"), D("2026-11-01"), StatsRollups.DayRange.None,
            new StatsRollups.DayRange(D("2026-12-01"), D("2026-12-04")), new StatsRollups.DayRange(D("2024-12-01"), D("2024-12-05")),
            StatsRollups.DayRange.None), twoYears);
        Assert.Equal(9, DailyRows(twoYears));

        // The 20th to the end of March: twelve days added, March's row not read.
        var late = StatsRollups.Split(D("2026-03-20"), D("2026-03-31"));
        Assert.True(late.FirstMonth > late.LastMonth);
        Assert.Equal(new StatsRollups.DayRange(D("2026-03-20"), D("2026-03-31")), late.AddHead);

        // The 5th to the 20th inside one month: March's row minus the 1st–4th and the 21st–31st.
        var middle = StatsRollups.Split(D("2026-03-05"), D("2026-03-20"));
        Assert.Equal((D("2026-03-01"), D("2026-03-01")), (middle.FirstMonth, middle.LastMonth));
        Assert.Equal(new StatsRollups.DayRange(D("2026-03-01"), D("2026-03-04")), middle.SubtractHead);
        Assert.Equal(new StatsRollups.DayRange(D("2026-03-21"), D("2026-03-31")), middle.SubtractTail);
    }
}
