using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Reports;

/// <summary>
/// Opt-in (ECOAID_REPORT_MEASURE=1): last month's report at 1k and 100k demands of one branch, the computation as it was
/// (Reports:LiveFigures) and the kept snapshots with the streamed list side by side, interleaved, medians of five.
/// Prints the figures; asserts only that both answered. Direction only on a busy machine.
/// </summary>
public class ReportMeasureTests(EcoAidFixture fixture, ITestOutputHelper output) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LastMonthsReportOldAndNewAt1kAnd100k()
    {
        if (Environment.GetEnvironmentVariable("ECOAID_REPORT_MEASURE") != "1")
        {
            return;
        }
        var start = Crafted.Shanghai(2026, 3, 2, 9, 0);
        await using var liveApp = new EcoAidApp(fixture, s => s["Reports:LiveFigures"] = "true", start);
        await using var app = new EcoAidApp(fixture, start: start);
        var world = new World(app);
        var city = World.Unique("市");
        var (cityId, branchId) = await world.BranchAsync(city);
        var e = await world.EnterpriseAsync(branchId);
        var live = await new World(liveApp).UserAsync("secretary", cityId, branchId);
        var kept = await world.UserAsync("secretary", cityId, branchId);
        var submitter = (await (await kept.GetAsync("/api/me", Ct)).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(Ct)).GetProperty("id").GetInt64();
        var seeded = 0;
        foreach (var size in new[] { 1000, 100000 })
        {
            await using (var db = await app.OpenDatabaseAsync())
            {
                var sw = Stopwatch.StartNew();
                await db.ExecuteAsync($$"""
                    INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, status, content_check, submitted_by, submitted_at,
                                         updated_at, accepted_at, due_date, closed_at)
                    SELECT @b, @e, CONCAT('M', @b, '-', seq), ELT(1 + seq % 3, 'pollution_control', 'eia_approval', 'credit_repair'),
                           ELT(1 + seq % 4, 'mini_program', 'mini_program', 'survey', 'visit'), CONCAT('测量诉求', seq), '测量用的描述文字。',
                           IF(seq % 5 = 0, 'accepted', 'closed'), 'passed', @u, @now - INTERVAL ((seq * 7919) % 63072000) SECOND, @now,
                           @now - INTERVAL ((seq * 7919) % 63072000) SECOND + INTERVAL 20 HOUR,
                           DATE(@now - INTERVAL ((seq * 7919) % 63072000) SECOND) + INTERVAL 15 DAY,
                           IF(seq % 5 = 0, NULL, @now - INTERVAL ((seq * 7919) % 63072000) SECOND + INTERVAL 8 DAY)
                    FROM seq_{{seeded + 1}}_to_{{size}};
                    INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                    SELECT id, @u, 'submitted', 'public', NULL, NULL, submitted_at FROM demands WHERE branch_id = @b AND id > @lastId;
                    INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                    SELECT id, @u, 'claimed', 'public', CONCAT('完成时限 ', due_date), NULL, accepted_at FROM demands WHERE branch_id = @b AND id > @lastId AND accepted_at < @now;
                    INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                    SELECT id, @u, 'resolved', 'public', '已完成整改', CONCAT('{"dueDate":"', due_date, '"}'), closed_at - INTERVAL 2 DAY
                    FROM demands WHERE branch_id = @b AND id > @lastId AND closed_at < @now;
                    INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                    SELECT id, @u, 'confirmed', 'public', '确认', '{"solved":true,"satisfaction":5}', closed_at FROM demands WHERE branch_id = @b AND id > @lastId AND closed_at < @now;
                    ANALYZE TABLE demands, demand_events;
                    """, new { b = branchId, e, u = submitter, now = start.UtcDateTime, lastId = await db.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(id), 0) FROM demands") },
                    commandTimeout: 600);
                output.WriteLine($"seeded to {size} in {sw.ElapsedMilliseconds} ms");
                seeded = size;
            }
            foreach (var format in new[] { "json", "xlsx" })
            {
                var path = $"/api/stats/monthly-report?month=2026-02&format={format}";
                var first = Stopwatch.StartNew();
                Assert.True((await kept.GetAsync(path, Ct)).IsSuccessStatusCode);
                output.WriteLine($"{size} {format} new, first request (computes and keeps): {first.ElapsedMilliseconds} ms");
                var times = new Dictionary<string, List<double>> { ["old"] = [], ["new"] = [] };
                for (var r = 0; r < 5; r++)
                {
                    foreach (var (name, client) in new[] { ("old", live), ("new", kept) })
                    {
                        var sw = Stopwatch.StartNew();
                        var response = await client.GetAsync(path, Ct);
                        var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
                        Assert.True(response.IsSuccessStatusCode);
                        times[name].Add(sw.Elapsed.TotalMilliseconds);
                    }
                }
                foreach (var (name, list) in times)
                {
                    list.Sort();
                    output.WriteLine($"{size} {format} {name}: median {list[2]:0} ms (min {list[0]:0}, max {list[4]:0}); process RSS {Environment.WorkingSet / 1048576} MB");
                }
            }
            output.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        }
    }
}
