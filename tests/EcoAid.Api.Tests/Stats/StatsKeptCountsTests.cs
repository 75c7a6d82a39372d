using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Stats;

/// <summary>
/// The overview read from the counts kept per day and month (migration 0086, kept by triggers) answers exactly what the
/// live aggregation over every demand and event answers (Stats:UseKeptCounts=false, the old SQL kept as the oracle), on
/// data written through the workflow over HTTP and straight into the tables, for periods of whole months, partial months
/// at either end, days inside one month and two years, before and after owner handovers, reopenings, status and due
/// date changes, and as time passes the response limit.
/// </summary>
public class StatsKeptCountsTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Now = Crafted.Shanghai(2026, 4, 10, 12, 0);

    private static readonly string[] Periods =
    [
        "", "?from=2025-11-01&to=2026-04-10", "?from=2025-10-15&to=2026-04-10", "?from=2025-10-20&to=2026-03-31", "?from=2026-04-01&to=2026-04-10",
        "?from=2026-03-05&to=2026-03-20", "?from=2026-02-01&to=2026-02-28", "?from=2024-04-11&to=2026-04-10", "?from=2026-01-31&to=2026-02-01",
        "?from=2026-04-10&to=2026-04-10", "?from=2026-04-09&to=2026-04-11",
    ];

    [Fact]
    public async Task KeptCountsAnswerExactlyWhatTheLiveAggregationAnswers()
    {
        await using var kept = new EcoAidApp(fixture, start: Now);
        await using var live = new EcoAidApp(fixture, s => s["Stats:UseKeptCounts"] = "false", start: Now);
        var world = new World(kept);
        var c = new Crafted(kept);
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

        var random = new Random(20261206);
        string[] categories = ["pollution_control", "eia_approval", "credit_repair", "policy_inquiry"];
        string[] sources = ["mini_program", "survey", "visit", "whistle"];
        string[] statuses = ["pending_review", "submitted", "accepted", "resolved", "closed", "returned", "withdrawn"];
        var earliest = Crafted.Shanghai(2025, 9, 20);
        var span = (int)(Now - earliest).TotalMinutes;
        var crafted = new List<long>();
        var withEvents = new List<long>();
        for (var i = 0; i < 90; i++)
        {
            var b = branches[random.Next(2)];
            // Recent ones too, so that some are still inside the response limit.
            var submitted = i % 9 == 0 ? Now.AddHours(-random.Next(1, 60)) : earliest.AddMinutes(random.Next(span));
            var status = statuses[random.Next(statuses.Length)];
            // Acceptance: none, quick, exactly at 48 hours, just over, past 720 hours, or (bad data) before submission.
            DateTimeOffset? accepted = status is "pending_review" or "submitted" && random.NextDouble() < 0.8 ? null
                : (random.Next(8)) switch
                {
                    0 => null,
                    1 => submitted.AddHours(48),
                    2 => submitted.AddHours(48).AddTicks(10),
                    3 => submitted.AddHours(800),
                    4 => submitted.AddMinutes(-5),
                    _ => submitted.AddMinutes(10 + random.Next(90 * 60)),
                };
            if (accepted > Now)
            {
                accepted = null;
            }
            long? owner = accepted is not null && random.NextDouble() < 0.8 ? members[b][random.Next(2)] : null;
            DateOnly? due = accepted is null ? null : DateOnly.FromDateTime(submitted.ToOffset(TimeSpan.FromHours(8)).DateTime).AddDays(3 + random.Next(25));
            int? rowSatisfaction = status == "closed" && random.NextDouble() < 0.8 ? 1 + random.Next(5) : null;
            var id = await c.DemandAsync(b, enterprises[b][random.Next(3)], submitted, status, categories[random.Next(4)], sources[random.Next(4)], accepted, due,
                owner, satisfaction: rowSatisfaction);
            crafted.Add(id);
            if (accepted is { } a && status is "resolved" or "closed" or "accepted")
            {
                withEvents.Add(id);
                var t = a.AddHours(2 + random.Next(24 * 25));
                for (var round = 0; round < 1 + random.Next(2) && t < Now; round++)
                {
                    var details = random.Next(4) switch
                    {
                        0 => null,
                        1 => """{"dueDate":null}""",
                        2 => "not json",
                        _ => Crafted.Resolution(due!.Value.AddDays(random.Next(-3, 10)).ToString("yyyy-MM-dd")),
                    };
                    await c.EventAsync(id, "resolved", t, details);
                    t = t.AddMinutes(60 + random.Next(3 * 24 * 60));
                    if (t >= Now)
                    {
                        break;
                    }
                    var kind = random.NextDouble() < 0.4 ? "reopened" : "confirmed";
                    await c.EventAsync(id, kind, t, random.Next(3) switch
                    {
                        0 => null,
                        1 => Crafted.Confirmation(kind == "confirmed", 1 + random.Next(5)),
                        _ => """{"solved":true,"satisfaction":"5"}""",
                    });
                    t = t.AddMinutes(60 + random.Next(5 * 24 * 60));
                }
            }
        }

        // Through the workflow: a third branch with its own enterprise, staff and members.
        var w = await DemandWorld.CreateAsync(kept);
        var closedOverHttp = await w.ResolvedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{closedOverHttp}/confirm", new { solved = true, satisfaction = 5 }, Ct));
        var reopenedOverHttp = await w.ResolvedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{reopenedOverHttp}/confirm",
            new { solved = false, satisfaction = 2 }, Ct));
        var waiting = await w.SubmitAsync();
        var returned = await w.SubmitAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{returned}/return", new { reason = "属于住建部门职责，已告知企业咨询渠道" }, Ct));
        var withdrawn = await w.AcceptedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{withdrawn}/withdraw", new { reason = "企业已自行解决" }, Ct));

        var viewer = await world.UserAsync("city_viewer", cityId, branch1);

        // The same questions to a kept-counts app and a live one (by default these two, with the 48-hour limit).
        async Task SameAnswers(string when, EcoAidApp? keptApp = null, EcoAidApp? liveApp = null)
        {
            keptApp ??= kept;
            liveApp ??= live;
            keptApp.Clock.SetUtcNow(kept.Clock.GetUtcNow());
            liveApp.Clock.SetUtcNow(kept.Clock.GetUtcNow());
            HttpClient As(EcoAidApp app, HttpClient user)
            {
                var client = app.CreateClient();
                client.DefaultRequestHeaders.Authorization = user.DefaultRequestHeaders.Authorization;
                return client;
            }
            var (keptViewer, liveViewer) = (As(keptApp, viewer), As(liveApp, viewer));
            var (keptSecretary, liveSecretary) = (As(keptApp, w.Secretary), As(liveApp, w.Secretary));
            foreach (var period in Periods)
            {
                foreach (var (mine, theirs, extra) in new[] { (keptViewer, liveViewer, ""), (keptViewer, liveViewer, $"branchId={branch2}"), (keptSecretary, liveSecretary, "") })
                {
                    var query = extra == "" ? period : period == "" ? "?" + extra : period + "&" + extra;
                    var expected = await Answer(theirs, query);
                    var got = await Answer(mine, query);
                    Assert.True(expected == got, $"{when}, {query}: the live aggregation answers\n{expected}\nthe kept counts answer\n{got}");
                }
            }
        }

        await SameAnswers("as written");

        // Handovers, reopenings and other changes straight in the rows, as corrections or set-based scripts would make them.
        await using (var db = await kept.OpenDatabaseAsync())
        {
            foreach (var id in withEvents.Where((_, i) => i % 3 == 0))
            {
                await db.ExecuteAsync("""
                    UPDATE demands d SET owner_member_id = (SELECT MIN(m.id) FROM members m WHERE m.branch_id = d.branch_id AND m.id <> COALESCE(d.owner_member_id, 0))
                    WHERE d.id = @id
                    """, new { id });
            }
            foreach (var id in withEvents.Where((_, i) => i % 4 == 1))
            {
                await db.ExecuteAsync("UPDATE demands SET due_date = due_date + INTERVAL 7 DAY, satisfaction = 5, status = 'accepted', reopen_count = reopen_count + 1 WHERE id = @id",
                    new { id });
            }
            foreach (var id in crafted.Where((_, i) => i % 5 == 2))
            {
                await db.ExecuteAsync("""
                    UPDATE demands SET accepted_at = COALESCE(accepted_at, submitted_at + INTERVAL 30 HOUR), status = 'closed', category = 'credit_repair', source = 'survey'
                    WHERE id = @id
                    """, new { id });
            }
            foreach (var id in crafted.Where((_, i) => i % 7 == 3))
            {
                await db.ExecuteAsync("UPDATE demands SET submitted_at = submitted_at - INTERVAL 20 DAY, enterprise_id = @other WHERE id = @id",
                    new { id, other = enterprises[branch1][0] });
            }
            await db.ExecuteAsync("UPDATE demands SET status = 'withdrawn' WHERE id = @waiting", new { waiting });
            await db.ExecuteAsync("UPDATE demand_events SET created_at = created_at - INTERVAL 40 DAY WHERE demand_id = @id AND kind = 'resolved'",
                new { id = withEvents[1] });
            await db.ExecuteAsync("DELETE FROM demand_events WHERE demand_id = @id AND kind IN ('confirmed', 'reopened')", new { id = withEvents[2] });
            await db.ExecuteAsync("UPDATE demand_events SET details = NULL WHERE demand_id = @id", new { id = withEvents[3] });
        }
        await SameAnswers("after changes");

        // Time passes: the recent demands' response limits run out, and more comes in.
        kept.Clock.Advance(TimeSpan.FromHours(30));
        var later = await w.AcceptedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{later}/resolve", new { summary = "已完成整改" }, Ct));
        await w.SubmitAsync();
        await SameAnswers("30 hours later");
        kept.Clock.Advance(TimeSpan.FromDays(2));
        await SameAnswers("two days more");

        // Another limit: an instance configured with 72 hours counts the kept rows again at its start (one row per key,
        // judged against 72 hours), and answers as the live aggregation with 72 hours does.
        await using var patient = new EcoAidApp(fixture, s => s["Stats:ResponseLimitHours"] = "72", start: kept.Clock.GetUtcNow());
        await using var patientLive = new EcoAidApp(fixture, s => { s["Stats:ResponseLimitHours"] = "72"; s["Stats:UseKeptCounts"] = "false"; },
            start: kept.Clock.GetUtcNow());
        using (patient.CreateClient())
        {
            // started: its start-up steps have run
        }
        await using (var db = await kept.OpenDatabaseAsync())
        {
            Assert.Equal(72, await db.ExecuteScalarAsync<int>("SELECT response_limit_hours FROM stats_settings WHERE id = 1"));
            var (keptMet, actualMet) = await db.QuerySingleAsync<(decimal, long)>("""
                SELECT (SELECT SUM(response_met) FROM stats_demand_counts WHERE grain = 'm'),
                       (SELECT COUNT(*) FROM demands WHERE accepted_at IS NOT NULL AND accepted_at <= submitted_at + INTERVAL 72 HOUR)
                """);
            Assert.Equal(actualMet, (long)keptMet);
            Assert.True(actualMet > await db.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM demands WHERE accepted_at IS NOT NULL AND accepted_at <= submitted_at + INTERVAL 48 HOUR"),
                "the crafted data has acceptances between 48 and 72 hours, so the two limits give different answers");
        }
        await SameAnswers("recounted against 72 hours", patient, patientLive);
        // The 48-hour instance still running meanwhile sees rows judged against 72 hours and counts the response itself.
        await SameAnswers("48 hours against rows judged against 72", kept, live);
        // Changes after the recount are judged by the triggers against 72 hours.
        var afterRecount = await w.AcceptedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{afterRecount}/resolve", new { summary = "已完成整改" }, Ct));
        await SameAnswers("a change after the recount", patient, patientLive);
        await SameAnswers("a change after the recount, 48 hours", kept, live);
    }

    /// <summary>The overview's answer without the moment it was generated at, as text.</summary>
    private static async Task<string> Answer(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/stats/overview" + query, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {text}");
        var node = JsonNode.Parse(text)!.AsObject();
        node.Remove("generatedAt");
        return node.ToJsonString();
    }
}
