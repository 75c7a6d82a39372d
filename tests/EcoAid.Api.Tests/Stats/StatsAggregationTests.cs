using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Stats;

/// <summary>
/// The figures on a varied data set — two branches, several categories, sources, months, members and enterprises,
/// resolutions on time and late (by the due date in their details or the row's), reopenings, ratings with and without
/// details, visits with members — against expectations computed here, in plain C#, from the same data by the rules of
/// miniprogram-api-docs/stats.md. The clock stands at 2026-04-10 12:00 Shanghai.
/// </summary>
public class StatsAggregationTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Limit = TimeSpan.FromHours(48);
    private static readonly DateTimeOffset Now = Crafted.Shanghai(2026, 4, 10, 12, 0);

    private sealed record Demand(long Id, long Branch, long Enterprise, long? Owner, string Category, string Source, string Status, DateTimeOffset Submitted,
        DateTimeOffset? Accepted, DateOnly? Due, int? RowSatisfaction);

    /// <summary>A timeline event as written: its details (null when the event has none) and what they say.</summary>
    private sealed record Event(long DemandId, string Kind, DateTimeOffset At, string? Details, DateOnly? DetailsDue, bool DetailsSolved, int? DetailsRating);

    private sealed record Visit(long Branch, long Enterprise, DateOnly On, long[] Members);

    private static DateOnly ShanghaiDate(DateTimeOffset t) => DateOnly.FromDateTime(t.ToOffset(TimeSpan.FromHours(8)).DateTime);

    private static (double? Value, int Numerator, int Denominator) Expected(int numerator, int denominator) =>
        denominator == 0 ? (null, 0, 0) : (Math.Round((double)numerator / denominator, 4), numerator, denominator);

    private static (double? Value, int Numerator, int Denominator) RateOf(JsonElement rates, string name)
    {
        var r = rates.GetProperty(name);
        return (r.GetProperty("value").ValueKind == JsonValueKind.Null ? null : r.GetProperty("value").GetDouble(),
            r.GetProperty("numerator").GetInt32(), r.GetProperty("denominator").GetInt32());
    }

    /// <summary>The four rates of a set of demands, over <c>[from, to)</c>, judged at <paramref name="moment"/>; acceptances from the moment on have not happened.</summary>
    private static Dictionary<string, (double?, int, int)> Rates(IEnumerable<Demand> demands, IEnumerable<Event> events, DateTimeOffset from, DateTimeOffset to,
        DateTimeOffset moment)
    {
        var byId = demands.ToDictionary(d => d.Id);
        var submitted = byId.Values.Where(d => d.Submitted >= from && d.Submitted < to)
            .Select(d => (d.Submitted, Accepted: d.Accepted is { } a && a < moment ? a : (DateTimeOffset?)null)).ToList();
        var due = submitted.Where(d => d.Accepted is not null || d.Submitted + Limit <= moment).ToList();
        var met = due.Count(d => d.Accepted is { } a && a - d.Submitted <= Limit);
        var inPeriod = events.Where(e => byId.ContainsKey(e.DemandId) && e.At >= from && e.At < to).ToList();
        var resolutions = inPeriod.Where(e => e.Kind == "resolved").ToList();
        var onTime = resolutions.Count(e => (e.Details is null ? byId[e.DemandId].Due : e.DetailsDue) is not { } d || ShanghaiDate(e.At) <= d);
        var confirmations = inPeriod.Where(e => e.Kind != "resolved").Select(e => e.Details is null
            ? (Solved: e.Kind == "confirmed", Rating: e.Kind == "confirmed" ? byId[e.DemandId].RowSatisfaction : null)
            : (Solved: e.DetailsSolved, Rating: e.DetailsRating)).ToList();
        var rated = confirmations.Where(c => c.Rating is not null).ToList();
        return new()
        {
            ["response"] = Expected(met, due.Count),
            ["onTime"] = Expected(onTime, resolutions.Count),
            ["resolution"] = Expected(confirmations.Count(c => c.Solved), confirmations.Count),
            ["satisfaction"] = Expected(rated.Count(c => c.Rating >= 4), rated.Count),
        };
    }

    private static void AssertRates(Dictionary<string, (double?, int, int)> expected, JsonElement rates, string what)
    {
        foreach (var (name, rate) in expected)
        {
            if (rates.TryGetProperty(name, out _))
            {
                Assert.True(rate == RateOf(rates, name), $"{what} {name}: expected {rate}, got {RateOf(rates, name)}");
            }
        }
    }

    [Fact]
    public async Task OverviewReportAndBranchTableMatchFiguresComputedIndependentlyFromVariedData()
    {
        await using var app = new EcoAidApp(fixture, start: Now);
        var world = new World(app);
        var c = new Crafted(app);
        var cityName = World.Unique("市");
        var (cityId, branch1) = await world.BranchAsync(cityName);
        var (_, branch2) = await world.BranchAsync(cityName);
        var branches = new[] { branch1, branch2 };
        var enterprises = new Dictionary<long, long[]>();
        var members = new Dictionary<long, long[]>();
        foreach (var b in branches)
        {
            enterprises[b] = [await world.EnterpriseAsync(b), await world.EnterpriseAsync(b), await world.EnterpriseAsync(b)];
            members[b] = [await world.MemberAsync(b, "甲"), await world.MemberAsync(b, "乙")];
        }

        var random = new Random(20261205);
        string[] categories = ["pollution_control", "eia_approval", "credit_repair", "policy_inquiry"];
        string[] sources = ["mini_program", "survey", "visit"];
        var demands = new List<Demand>();
        var events = new List<Event>();
        var earliest = Crafted.Shanghai(2025, 10, 20);
        var span = (int)(Now - earliest).TotalMinutes;

        async Task AddEvent(long demandId, string kind, DateTimeOffset at, string? details, DateOnly? due = null, bool solved = false, int? rating = null)
        {
            await c.EventAsync(demandId, kind, at, details);
            events.Add(new Event(demandId, kind, at, details, due, solved, rating));
        }

        async Task<Demand> AddDemand(DateTimeOffset submitted, DateTimeOffset? accepted, string? status = null)
        {
            var b = branches[random.Next(2)];
            var enterprise = enterprises[b][random.Next(3)];
            status ??= accepted is null ? "submitted" : new[] { "accepted", "resolved", "closed", "closed" }[random.Next(4)];
            long? owner = accepted is not null && random.NextDouble() < 0.8 ? members[b][random.Next(2)] : null;
            DateOnly? due = accepted is null ? null : ShanghaiDate(submitted).AddDays(3 + random.Next(25));
            int? rowSatisfaction = status == "closed" && random.NextDouble() < 0.8 ? 1 + random.Next(5) : null;
            var category = categories[random.Next(categories.Length)];
            var source = sources[random.Next(sources.Length)];
            var id = await c.DemandAsync(b, enterprise, submitted, status, category, source, accepted, due, owner, satisfaction: rowSatisfaction);
            var d = new Demand(id, b, enterprise, owner, category, source, status, submitted, accepted, due, rowSatisfaction);
            demands.Add(d);
            return d;
        }

        // Boundaries: just before the period, at its first instant; inside the limit now; the limit passing exactly now; accepted exactly at the limit.
        await AddDemand(Crafted.Shanghai(2025, 10, 31, 23, 59), Crafted.Shanghai(2025, 11, 1, 1, 0), "accepted");
        await AddDemand(Crafted.Shanghai(2025, 11, 1), Crafted.Shanghai(2025, 11, 4), "accepted");
        await AddDemand(Now.AddHours(-10), null);
        await AddDemand(Now - Limit, null);
        await AddDemand(Crafted.Shanghai(2026, 3, 30, 9, 0), Crafted.Shanghai(2026, 4, 1, 9, 0), "accepted"); // accepted after March's end, in time
        await AddDemand(Crafted.Shanghai(2026, 3, 5, 8, 0), Crafted.Shanghai(2026, 3, 7, 8, 0), "accepted");  // exactly at the limit
        // Resolved in the first minutes of the day after the due date (late; in UTC still the due date), and in the last
        // minutes of the due date (on time).
        var late = await AddDemand(Crafted.Shanghai(2026, 3, 2, 9, 0), Crafted.Shanghai(2026, 3, 2, 10, 0), "resolved");
        await AddEvent(late.Id, "resolved", new DateTimeOffset(late.Due!.Value.AddDays(1).ToDateTime(new TimeOnly(0, 30)), TimeSpan.FromHours(8)),
            Crafted.Resolution(late.Due!.Value.ToString("yyyy-MM-dd")), late.Due);
        var inTime = await AddDemand(Crafted.Shanghai(2026, 3, 2, 9, 0), Crafted.Shanghai(2026, 3, 2, 10, 0), "resolved");
        await AddEvent(inTime.Id, "resolved", new DateTimeOffset(inTime.Due!.Value.ToDateTime(new TimeOnly(23, 30)), TimeSpan.FromHours(8)),
            Crafted.Resolution(inTime.Due!.Value.ToString("yyyy-MM-dd")), inTime.Due);
        for (var i = 0; i < 70; i++)
        {
            var submitted = earliest.AddMinutes(random.Next(span));
            DateTimeOffset? accepted = random.NextDouble() < 0.75 ? submitted.AddMinutes(30 + random.Next(100 * 60)) : null;
            var d = await AddDemand(submitted, accepted is { } a && a < Now ? a : null);
            if (d.Status is not ("resolved" or "closed"))
            {
                continue;
            }
            // The timeline: resolved (details with the due date in force, an extension's, none, or no details), perhaps
            // reopened and resolved again, then (closed) confirmed.
            var t = d.Accepted!.Value.AddHours(2 + random.Next(24 * 25));
            var reopen = random.NextDouble() < 0.35;
            for (var round = 0; round < (reopen ? 2 : 1) && t < Now; round++)
            {
                switch (random.Next(4))
                {
                    case 0: await AddEvent(d.Id, "resolved", t, null); break;
                    case 1: await AddEvent(d.Id, "resolved", t, """{"dueDate":null}"""); break;
                    case 2: await AddEvent(d.Id, "resolved", t, Crafted.Resolution(d.Due!.Value.AddDays(10).ToString("yyyy-MM-dd")), d.Due!.Value.AddDays(10)); break;
                    default: await AddEvent(d.Id, "resolved", t, Crafted.Resolution(d.Due!.Value.ToString("yyyy-MM-dd")), d.Due); break;
                }
                t = t.AddMinutes(60 + random.Next(3 * 24 * 60));
                if (round == 0 && reopen && t < Now)
                {
                    var rating = 1 + random.Next(3);
                    if (random.NextDouble() < 0.5)
                    {
                        await AddEvent(d.Id, "reopened", t, Crafted.Confirmation(false, rating), solved: false, rating: rating);
                    }
                    else
                    {
                        await AddEvent(d.Id, "reopened", t, null);
                    }
                    t = t.AddMinutes(60 + random.Next(5 * 24 * 60));
                }
            }
            if (d.Status == "closed" && t < Now)
            {
                var rating = 1 + random.Next(5);
                if (random.NextDouble() < 0.6)
                {
                    await AddEvent(d.Id, "confirmed", t, Crafted.Confirmation(true, rating), solved: true, rating: rating);
                }
                else
                {
                    await AddEvent(d.Id, "confirmed", t, null);
                }
            }
        }
        var visits = new List<Visit>();
        for (var i = 0; i < 30; i++)
        {
            var b = branches[random.Next(2)];
            var on = DateOnly.FromDateTime(earliest.DateTime).AddDays(random.Next(172));
            long[] joined = [.. members[b].Where(_ => random.NextDouble() < 0.6)];
            var enterprise = enterprises[b][random.Next(3)];
            await c.VisitAsync(b, enterprise, on, joined);
            visits.Add(new Visit(b, enterprise, on, joined));
        }
        var viewer = await world.UserAsync("city_viewer", cityId, branch1);

        // The overview over five months and ten days.
        var from = Crafted.Shanghai(2025, 11, 1);
        var to = Crafted.Shanghai(2026, 4, 11);
        var overview = await DemandWorld.Expect(HttpStatusCode.OK, await viewer.GetAsync("/api/stats/overview?from=2025-11-01&to=2026-04-10", Ct));
        var inPeriodVisits = visits.Where(v => v.On >= new DateOnly(2025, 11, 1) && v.On <= new DateOnly(2026, 4, 10)).ToList();

        void AssertSummary(JsonElement summary, IReadOnlyCollection<Demand> scope, string what)
        {
            var submitted = scope.Where(d => d.Submitted >= from && d.Submitted < to).ToList();
            var ids = scope.Select(d => d.Id).ToHashSet();
            Assert.Equal(submitted.Count, summary.GetProperty("submitted").GetInt32());
            foreach (var (list, key) in new (string, Func<Demand, string>)[] { ("byStatus", d => d.Status), ("byCategory", d => d.Category), ("bySource", d => d.Source) })
            {
                var got = summary.GetProperty(list).EnumerateArray().ToDictionary(x => x.GetProperty("code").GetString()!, x => x.GetProperty("count").GetInt32());
                foreach (var (code, count) in got)
                {
                    Assert.True(submitted.Count(d => key(d) == code) == count, $"{what} {list} {code}");
                }
            }
            Assert.Equal(events.Count(e => ids.Contains(e.DemandId) && e.Kind == "resolved" && e.At >= from && e.At < to), summary.GetProperty("resolutions").GetInt32());
            Assert.Equal(events.Count(e => ids.Contains(e.DemandId) && e.Kind != "resolved" && e.At >= from && e.At < to), summary.GetProperty("confirmations").GetInt32());
            AssertRates(Rates(scope, events, from, to, Now), summary.GetProperty("rates"), what);
        }

        AssertSummary(overview.GetProperty("total"), demands, "total");
        Assert.Equal(inPeriodVisits.Count, overview.GetProperty("total").GetProperty("visits").GetInt32());
        foreach (var branch in overview.GetProperty("branches").EnumerateArray())
        {
            var b = branch.GetProperty("branchId").GetInt64();
            AssertSummary(branch.GetProperty("summary"), [.. demands.Where(d => d.Branch == b)], $"branch {b}");
            Assert.Equal(inPeriodVisits.Count(v => v.Branch == b), branch.GetProperty("summary").GetProperty("visits").GetInt32());
            Assert.Equal(enterprises[b], branch.GetProperty("enterprises").EnumerateArray().Select(e => e.GetProperty("enterpriseId").GetInt64()).ToArray());
            foreach (var e in branch.GetProperty("enterprises").EnumerateArray())
            {
                var id = e.GetProperty("enterpriseId").GetInt64();
                var own = demands.Where(d => d.Enterprise == id).ToList();
                var submitted = own.Where(d => d.Submitted >= from && d.Submitted < to).ToList();
                Assert.Equal(submitted.Count, e.GetProperty("submitted").GetInt32());
                Assert.Equal(submitted.Count(d => d.Status == "closed"), e.GetProperty("closed").GetInt32());
                Assert.Equal(inPeriodVisits.Count(v => v.Enterprise == id), e.GetProperty("visits").GetInt32());
                AssertRates(Rates(own, events, from, to, Now), e.GetProperty("rates"), $"enterprise {id}");
            }
            Assert.Equal(members[b], branch.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("memberId").GetInt64()).ToArray());
            foreach (var m in branch.GetProperty("members").EnumerateArray())
            {
                var id = m.GetProperty("memberId").GetInt64();
                var own = demands.Where(d => d.Owner == id).ToList();
                var ownIds = own.Select(d => d.Id).ToHashSet();
                Assert.Equal(own.Count(d => d.Submitted >= from && d.Submitted < to), m.GetProperty("assigned").GetInt32());
                Assert.Equal(events.Count(e => ownIds.Contains(e.DemandId) && e.Kind == "resolved" && e.At >= from && e.At < to), m.GetProperty("resolutions").GetInt32());
                Assert.Equal(inPeriodVisits.Count(v => v.Members.Contains(id)), m.GetProperty("visits").GetInt32());
                Assert.False(m.GetProperty("rates").TryGetProperty("response", out _));
                AssertRates(Rates(own, events, from, to, Now), m.GetProperty("rates"), $"member {id}");
            }
        }
        // The data set is varied enough to mean something: every count has both kinds of case.
        var all = Rates(demands, events, from, to, Now);
        Assert.All(all.Values, r => Assert.True(r.Item2 > 0 && r.Item2 < r.Item3, $"a rate without both kinds of case: {r}"));

        // March as the monthly report sees it (its end is the moment), for the city and per branch; the branch table agrees.
        var marchFrom = Crafted.Shanghai(2026, 3, 1);
        var marchEnd = Crafted.Shanghai(2026, 4, 1);
        var report = await DemandWorld.Expect(HttpStatusCode.OK, await viewer.GetAsync("/api/stats/monthly-report?format=json&month=2026-03", Ct));
        AssertRates(Rates(demands, events, marchFrom, marchEnd, marchEnd), report.GetProperty("total").GetProperty("rates"), "report total");
        var table = await DemandWorld.Expect(HttpStatusCode.OK, await viewer.GetAsync("/api/stats/branches?month=2026-03&sort=name&order=asc", Ct));
        foreach (var list in new[] { report.GetProperty("branches"), table.GetProperty("branches") })
        {
            foreach (var branch in list.EnumerateArray())
            {
                var b = branch.GetProperty("branchId").GetInt64();
                AssertRates(Rates(demands.Where(d => d.Branch == b), events, marchFrom, marchEnd, marchEnd), branch.GetProperty("rates"), $"report branch {b}");
            }
        }

        // The workbook's 分类统计: each category's demands by their state at the month's end (the last resolution, reopening
        // or confirmation before it; the row's status when there is none).
        var workbook = Xlsx.Open(await (await viewer.GetAsync("/api/stats/monthly-report?month=2026-03", Ct)).Content.ReadAsByteArrayAsync(Ct));
        var byCategory = workbook.Single(s => s.Name == "分类统计").Table;
        string StateThen(Demand d) => events.LastOrDefault(e => e.DemandId == d.Id && e.At < marchEnd)?.Kind switch
        {
            "resolved" => "待企业确认", "confirmed" => "已办结", "reopened" => "办理中", _ => d.Status switch
            {
                "submitted" => "待受理", "accepted" => "办理中", "resolved" => "待企业确认", _ => "已办结",
            },
        };
        var header = byCategory[0];
        var names = new Dictionary<string, string> { ["pollution_control"] = "污染治理", ["eia_approval"] = "环评审批", ["credit_repair"] = "信用修复", ["policy_inquiry"] = "政策咨询" };
        var collected = demands.Where(d => d.Submitted < marchEnd).ToList();
        foreach (var row in byCategory.Skip(1))
        {
            var scope = row[0] == "合计" ? collected : collected.Where(d => names[d.Category] == row[0]).ToList();
            Assert.Equal(scope.Count.ToString(), row[1]);
            for (var col = 2; col < header.Count; col++)
            {
                Assert.True(scope.Count(d => StateThen(d) == header[col]).ToString() == row[col], $"分类统计 {row[0]} {header[col]}");
            }
        }
        Assert.Equal(collected.Select(d => d.Category).Distinct().Count() + 1, byCategory.Count - 1);
    }
}
