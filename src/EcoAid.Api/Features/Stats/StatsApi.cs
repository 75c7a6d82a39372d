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
        var facts = await StatsFacts.LoadAsync(connection, ids, Periods.StartUtc(start), Periods.StartUtc(end.AddDays(1)), ct);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT id, branch_id, name FROM enterprises WHERE branch_id IN @ids ORDER BY branch_id, id;
            SELECT id, branch_id, name FROM members WHERE branch_id IN @ids ORDER BY branch_id, id;
            """, new { ids }, cancellationToken: ct));
        var enterprises = (await results.ReadAsync<(long Id, long BranchId, string Name)>()).ToLookup(e => e.BranchId);
        var members = (await results.ReadAsync<(long Id, long BranchId, string Name)>()).ToLookup(m => m.BranchId);
        var limit = TimeSpan.FromHours(options.Value.ResponseLimitHours);

        // Grouped once: a city has thousands of enterprises, and scanning every fact for each of them would not do.
        var byBranch = facts.GroupBy(x => x.BranchId, x => x.BranchId, x => x.BranchId, x => x.BranchId);
        var perBranch = branches.Select(b =>
        {
            var f = byBranch(b.Id);
            var byEnterprise = f.GroupBy(x => x.EnterpriseId, x => x.EnterpriseId, x => x.EnterpriseId, x => x.EnterpriseId);
            var memberVisits = f.Visits.SelectMany(v => v.MemberIds.Select(m => (Member: m, Visit: v))).ToLookup(x => x.Member, x => x.Visit);
            var submittedBy = f.Submitted.ToLookup(x => x.OwnerMemberId);
            var resolvedBy = f.Resolutions.ToLookup(x => x.OwnerMemberId);
            var confirmedBy = f.Confirmations.ToLookup(x => x.OwnerMemberId);
            return new BranchStats(b.Id, b.Name, Summarise(f, limit, now),
                enterprises[b.Id].Select(e =>
                {
                    var fe = byEnterprise(e.Id);
                    return new EnterpriseStats(e.Id, e.Name, fe.Submitted.Count, fe.Submitted.Count(x => x.Status == DemandStatus.Closed), fe.Visits.Count,
                        RatesOf(fe, limit, now));
                }).ToList(),
                members[b.Id].Select(m => new MemberStats(m.Id, m.Name, submittedBy[m.Id].Count(), resolvedBy[m.Id].Count(), memberVisits[m.Id].Count(),
                    new MemberRates(Kpis.OnTime(resolvedBy[m.Id]), Kpis.Resolution(confirmedBy[m.Id]), Kpis.Satisfaction(confirmedBy[m.Id])))).ToList());
        }).ToList();
        var whistleStats = await EcoAid.Api.Features.Whistle.WhistleClock.StatsAsync(connection, ids, Periods.StartUtc(start), Periods.StartUtc(end.AddDays(1)),
            whistle.Value, now, ct);
        return TypedResults.Ok(new StatsOverview(start, end, "Asia/Shanghai", options.Value.ResponseLimitHours, now, Summarise(facts, limit, now), perBranch,
            whistleStats));
    }

    internal static Rates RatesOf(StatsFacts f, TimeSpan limit, DateTimeOffset now) =>
        new(Kpis.Response(f.Submitted, limit, now), Kpis.OnTime(f.Resolutions), Kpis.Resolution(f.Confirmations), Kpis.Satisfaction(f.Confirmations));

    internal static StatsSummary Summarise(StatsFacts f, TimeSpan limit, DateTimeOffset now) => new(
        f.Submitted.Count,
        Count(StatusNames, f.Submitted.Select(d => d.Status)),
        Count(DemandCategories.Names, f.Submitted.Select(d => d.Category)),
        Count(DemandSources.Names, f.Submitted.Select(d => d.Source)),
        f.Resolutions.Count, f.Confirmations.Count, f.Visits.Count, RatesOf(f, limit, now));

    /// <summary>Every known code in its fixed order, zeros included, so that charts keep their shape.</summary>
    internal static List<CountItem> Count(IReadOnlyDictionary<string, string> names, IEnumerable<string> codes)
    {
        var counts = codes.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        return names.Select(n => new CountItem(n.Key, n.Value, counts.GetValueOrDefault(n.Key))).ToList();
    }

    /// <summary>Splits the facts by a key of each kind; the returned function gives a key's share (empty when it has none).</summary>
    private static Func<long, StatsFacts> GroupBy(this StatsFacts f, Func<SubmittedFact, long> submitted, Func<ResolutionFact, long> resolution,
        Func<ConfirmationFact, long> confirmation, Func<VisitFact, long> visit)
    {
        var s = f.Submitted.ToLookup(submitted);
        var r = f.Resolutions.ToLookup(resolution);
        var c = f.Confirmations.ToLookup(confirmation);
        var v = f.Visits.ToLookup(visit);
        return key => new StatsFacts { Submitted = [.. s[key]], Resolutions = [.. r[key]], Confirmations = [.. c[key]], Visits = [.. v[key]] };
    }
}
