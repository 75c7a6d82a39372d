using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Stats;

public sealed record CountItem(string Code, string Name, int Count);

public sealed record Rates(Rate Response, Rate OnTime, Rate Resolution, Rate Satisfaction);

/// <summary>
/// A scope's figures for the period: the demands submitted in it (by their status now, category and source), the
/// resolutions, confirmations and visits in it, and the four rates.
/// </summary>
public sealed record StatsSummary(int Submitted, IReadOnlyList<CountItem> ByStatus, IReadOnlyList<CountItem> ByCategory, IReadOnlyList<CountItem> BySource,
    int Resolutions, int Confirmations, int Visits, Rates Rates);

public sealed record EnterpriseStats(long EnterpriseId, string Name, int Submitted, int Closed, int Visits, Rates Rates);

/// <summary>A member's figures: demands they own now (submitted in the period), their resolutions and confirmations in it, visits they joined.</summary>
public sealed record MemberStats(long MemberId, string Name, int Assigned, int Resolutions, int Visits, MemberRates Rates);

/// <summary>A member does not accept demands (the commissioner does), so a member has no response rate.</summary>
public sealed record MemberRates(Rate OnTime, Rate Resolution, Rate Satisfaction);

public sealed record BranchStats(long BranchId, string BranchName, StatsSummary Summary, IReadOnlyList<EnterpriseStats> Enterprises, IReadOnlyList<MemberStats> Members);

public sealed record StatsOverview(DateOnly From, DateOnly To, string TimeZone, int ResponseLimitHours, DateTimeOffset GeneratedAt, StatsSummary Total,
    IReadOnlyList<BranchStats> Branches, EcoAid.Api.Features.Whistle.WhistleStats Whistle);

public sealed class StatsOptions
{
    /// <summary>响应时限: a demand counts as responded to when accepted within this many hours of submission.</summary>
    public int ResponseLimitHours { get; set; } = 48;

    /// <summary>
    /// Read the overview from the counts kept per day and month (<see cref="StatsRollups"/>); false reads every demand and
    /// event of the period instead (<see cref="StatsCounts"/>: the same answer, in time that grows with the data).
    /// </summary>
    public bool UseKeptCounts { get; set; } = true;
}

public static class StatsPolicies
{
    /// <summary>The branch secretary (their branch) and the city level (every branch of the city, with a roll-up).</summary>
    public const string Reader = "stats-reader";

    public static IServiceCollection AddStatsPolicies(this IServiceCollection services)
    {
        services.AddAuthorizationBuilder().AddPolicy(Reader, p => p.RequireRole(Roles.Secretary, Roles.CityViewer, Roles.CityAdmin));
        return services;
    }
}

/// <summary>Statistics for the branch and the city (see <see cref="Kpis"/> for the rates); the monthly report is in Features/Reports.</summary>
public static class StatsApi
{
    public const int MaxDays = 732;

    internal static IEndpointRouteBuilder MapStatsEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/stats").WithTags("Statistics").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/overview", GetOverview).RequireAuthorization(StatsPolicies.Reader).WithName(nameof(GetOverview))
            .WithSummary("统计概览").WithDescription("from、to 为 yyyy-MM-dd（北京时间，含两端；默认本月 1 日至今天）。按状态、类别、来源计数；响应率、按期办结率、解决率、满意率，吹哨数与报到及时率（whistle），" +
                "每个率都给出分子和分母，无数据时 value 为 null；按企业、按成员细分。书记看本支部，市局看全市各支部并给出汇总（total），可用 branchId 只看一个支部。");
        return routes;
    }

    internal static readonly IReadOnlyDictionary<string, string> StatusNames =
        DemandStatus.All.ToDictionary(s => s, DemandWorkflow.StatusName);

    /// <summary>The branches a request covers: every branch the user reaches, or the one asked for (404 if not reached).</summary>
    internal static async Task<(List<(long Id, string Name)> Branches, IResult? Problem)> ScopeAsync(MySqlConnection connection, CurrentUser user, long? branchId,
        CancellationToken ct)
    {
        if (branchId is { } asked && !user.Reaches(asked))
        {
            return ([], Problems.NotFound("指定的支部不存在或不在您的范围内。"));
        }
        IReadOnlyList<long> ids = branchId is { } one ? [one] : user.BranchIds;
        var branches = (await connection.QueryAsync<(long Id, string Name)>(new CommandDefinition(
            "SELECT id, name FROM party_branches WHERE id IN @ids ORDER BY id", new { ids }, cancellationToken: ct))).ToList();
        return (branches, null);
    }

    static async Task<Results<Ok<StatsOverview>, ValidationProblem, ProblemHttpResult>> GetOverview(CurrentUser user, MySqlDataSource db, TimeProvider clock,
        IOptions<StatsOptions> options, IOptions<EcoAid.Api.Features.Whistle.WhistleOptions> whistle, string? from, string? to, long? branchId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = WorkingCalendar.Today(now);
        var start = Periods.MonthOf(today);
        var end = today;
        if (from is not null && !Periods.TryParseDate(from, out start))
        {
            return Problems.Validation("from", "日期格式应为 yyyy-MM-dd。");
        }
        if (to is not null && !Periods.TryParseDate(to, out end))
        {
            return Problems.Validation("to", "日期格式应为 yyyy-MM-dd。");
        }
        if (start.Year is < 2000 or > 2100 || end.Year is < 2000 or > 2100)
        {
            return Problems.Validation(start.Year is < 2000 or > 2100 ? "from" : "to", "统计日期应在 2000 年至 2100 年之间。");
        }
        if (end < start)
        {
            return Problems.Validation("to", "结束日期不能早于开始日期。");
        }
        if (end.DayNumber - start.DayNumber >= MaxDays)
        {
            return Problems.Validation("to", $"统计区间不能超过 {MaxDays} 天。");
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var (branches, problem) = await ScopeAsync(connection, user, branchId, ct);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var ids = branches.Select(b => b.Id).ToList();
        var fromUtc = Periods.StartUtc(start);
        var toUtc = Periods.StartUtc(end.AddDays(1));
        var limit = TimeSpan.FromHours(options.Value.ResponseLimitHours);
        // Every count comes aggregated from the database: a few rows per branch, enterprise and member, whatever the period's length.
        List<SubmittedGroup> groups;
        Dictionary<(long Branch, long Key), KeyedCounts> perEnterprise, perOwner;
        // The kept counts carry the response counts by enterprise only; the live ones carry them by group too.
        bool responseByEnterprise;
        if (options.Value.UseKeptCounts)
        {
            (groups, perEnterprise, perOwner) = await StatsRollups.OverviewAsync(connection, ids, start, end, now, limit, ct);
            responseByEnterprise = true;
        }
        else
        {
            groups = await StatsCounts.SubmittedGroupsAsync(connection, ids, fromUtc, toUtc, now, limit, ct);
            var keyed = await StatsCounts.KeyedAsync(connection, ids, fromUtc, toUtc, now, limit, null, [StatsCounts.ByEnterprise, StatsCounts.ByOwner], ct);
            perEnterprise = keyed[StatsCounts.ByEnterprise];
            perOwner = keyed[StatsCounts.ByOwner];
            responseByEnterprise = false;
        }
        var (enterpriseVisits, memberVisits) = await StatsCounts.VisitsAsync(connection, ids, start, end, ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT id, branch_id, name FROM enterprises WHERE branch_id IN @ids ORDER BY branch_id, id;
            SELECT id, branch_id, name FROM members WHERE branch_id IN @ids ORDER BY branch_id, id;
            """, new { ids }, cancellationToken: ct));
        var enterprises = (await results.ReadAsync<(long Id, long BranchId, string Name)>()).ToLookup(e => e.BranchId);
        var members = (await results.ReadAsync<(long Id, long BranchId, string Name)>()).ToLookup(m => m.BranchId);

        // Every event and visit belongs to an enterprise, so a branch's enterprise groups hold all of its events and visits.
        StatsSummary SummaryOf(Func<long, bool> includes) => Summarise(groups.Where(g => includes(g.BranchId)),
            perEnterprise.Values.Where(g => includes(g.BranchId)).Select(g => g.Rates), enterpriseVisits.Where(v => includes(v.Key.Branch)).Sum(v => v.Value),
            responseByEnterprise);

        var perBranch = branches.Select(b => new BranchStats(b.Id, b.Name, SummaryOf(id => id == b.Id),
            enterprises[b.Id].Select(e =>
            {
                var c = perEnterprise.GetValueOrDefault((b.Id, e.Id));
                return new EnterpriseStats(e.Id, e.Name, c?.Submitted ?? 0, c?.Closed ?? 0, enterpriseVisits.GetValueOrDefault((b.Id, e.Id)),
                    Kpis.RatesOf(c?.Rates ?? default));
            }).ToList(),
            members[b.Id].Select(m =>
            {
                var c = perOwner.GetValueOrDefault((b.Id, m.Id));
                return new MemberStats(m.Id, m.Name, c?.Submitted ?? 0, c?.Rates.Resolutions ?? 0, memberVisits.GetValueOrDefault((b.Id, m.Id)),
                    Kpis.MemberRatesOf(c?.Rates ?? default));
            }).ToList())).ToList();
        var whistleStats = await EcoAid.Api.Features.Whistle.WhistleClock.StatsAsync(connection, ids, fromUtc, toUtc, whistle.Value, now, ct);
        return TypedResults.Ok(new StatsOverview(start, end, "Asia/Shanghai", options.Value.ResponseLimitHours, now, SummaryOf(_ => true), perBranch,
            whistleStats));
    }

    /// <summary>
    /// A scope's summary from its groups: the submitted demands by status, category and source (with their response
    /// counts), the event counts of its enterprises, and its visits.
    /// </summary>
    /// <param name="responseInEvents">The response counts come with the enterprises' counts (<paramref name="events"/>), not with the groups.</param>
    internal static StatsSummary Summarise(IEnumerable<SubmittedGroup> submitted, IEnumerable<RateCounts> events, int visits, bool responseInEvents = false)
    {
        var groups = submitted.ToList();
        var counts = responseInEvents
            ? RateCounts.Sum(events)
            : RateCounts.Sum(groups.Select(g => g.Rates)) + RateCounts.Sum(events.Select(e => e with { ResponseDue = 0, ResponseMet = 0 }));
        return new StatsSummary(groups.Sum(g => g.Count),
            Count(StatusNames, groups.Select(g => (g.Status, g.Count))),
            Count(DemandCategories.Names, groups.Select(g => (g.Category, g.Count))),
            Count(DemandSources.Names, groups.Select(g => (g.Source, g.Count))),
            counts.Resolutions, counts.Confirmations, visits, Kpis.RatesOf(counts));
    }

    /// <summary>Every known code in its fixed order, zeros included, so that charts keep their shape.</summary>
    internal static List<CountItem> Count(IReadOnlyDictionary<string, string> names, IEnumerable<(string Code, int Count)> counts)
    {
        var byCode = counts.GroupBy(c => c.Code).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        return names.Select(n => new CountItem(n.Key, n.Value, byCode.GetValueOrDefault(n.Key))).ToList();
    }
}
