using EcoAid.Api.Features.Stats;

namespace EcoAid.Api.Tests.Stats;

/// <summary>
/// The rates as functions of their counts (which the database aggregates by the rules the HTTP tests check): each
/// rate's numerator and denominator, the rounding, null without a denominator, and counts that add up across groups.
/// </summary>
public class KpisTests
{
    private static RateCounts Counts(int responseDue = 0, int responseMet = 0, int resolutions = 0, int onTime = 0, int confirmations = 0, int solved = 0,
        int rated = 0, int satisfied = 0) => new(responseDue, responseMet, resolutions, onTime, confirmations, solved, rated, satisfied);

    [Fact]
    public void EachRateTakesItsOwnNumeratorAndDenominator()
    {
        var rates = Kpis.RatesOf(Counts(responseDue: 7, responseMet: 6, resolutions: 4, onTime: 3, confirmations: 6, solved: 4, rated: 5, satisfied: 2));

        Assert.Equal(new Rate(0.8571, 6, 7), rates.Response);
        Assert.Equal(new Rate(0.75, 3, 4), rates.OnTime);
        Assert.Equal(new Rate(0.6667, 4, 6), rates.Resolution);
        Assert.Equal(new Rate(0.4, 2, 5), rates.Satisfaction);
    }

    [Fact]
    public void NoDenominatorGivesANullValueWithZeroCounts()
    {
        var rates = Kpis.RatesOf(default);

        Assert.All(new[] { rates.Response, rates.OnTime, rates.Resolution, rates.Satisfaction }, r => Assert.Equal(new Rate(null, 0, 0), r));
        Assert.Equal(new Rate(0.0, 0, 3), Kpis.OnTime(Counts(resolutions: 3)));
    }

    [Fact]
    public void AMemberHasNoResponseRate()
    {
        var member = Kpis.MemberRatesOf(Counts(responseDue: 2, responseMet: 1, resolutions: 2, onTime: 2, confirmations: 1, solved: 0, rated: 1, satisfied: 1));

        Assert.Equal(new MemberRates(new Rate(1.0, 2, 2), new Rate(0.0, 0, 1), new Rate(1.0, 1, 1)), member);
    }

    [Fact]
    public void CountsOfGroupsAddUpToTheRollUpsCounts()
    {
        var branch1 = Counts(responseDue: 3, responseMet: 2, resolutions: 2, onTime: 1, confirmations: 2, solved: 2, rated: 1, satisfied: 1);
        var branch2 = Counts(responseDue: 1, responseMet: 0, resolutions: 1, onTime: 1, confirmations: 1, solved: 0, rated: 1, satisfied: 0);

        var city = RateCounts.Sum([branch1, branch2]);

        Assert.Equal(Counts(4, 2, 3, 2, 3, 2, 2, 1), city);
        Assert.Equal(new Rate(0.5, 2, 4), Kpis.Response(city)); // not the mean of 0.6667 and 0
        Assert.Equal(default, RateCounts.Sum([]));
    }
}
