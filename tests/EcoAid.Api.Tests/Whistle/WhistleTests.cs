using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Whistle;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Notifications;

namespace EcoAid.Api.Tests.Whistle;

public class WorkingHoursTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static WorkingHours Hours(params DateOnly[] holidays) =>
        new(new WorkingCalendar(holidays.ToDictionary(d => d, _ => DayKind.Holiday)), new TimeOnly(8, 30), new TimeOnly(17, 30));

    [Fact]
    public void FourWorkingHoursFromFridayAfternoonEndOnMondayMorning()
    {
        var friday = new DateTimeOffset(2030, 6, 7, 15, 30, 0, Shanghai);
        Assert.Equal(new DateTimeOffset(2030, 6, 10, 10, 30, 0, Shanghai), Hours().Add(friday, TimeSpan.FromHours(4)));
    }

    [Fact]
    public void AHolidayMondayPushesTheDeadlineToTuesday()
    {
        var friday = new DateTimeOffset(2030, 6, 7, 15, 30, 0, Shanghai);
        Assert.Equal(new DateTimeOffset(2030, 6, 11, 10, 30, 0, Shanghai), Hours(new DateOnly(2030, 6, 10)).Add(friday, TimeSpan.FromHours(4)));
    }

    [Fact]
    public void AWhistleAtNightStartsCountingAtTheNextOpening()
    {
        var night = new DateTimeOffset(2030, 6, 4, 22, 0, 0, Shanghai);
        Assert.Equal(new DateTimeOffset(2030, 6, 5, 12, 30, 0, Shanghai), Hours().Add(night, TimeSpan.FromHours(4)));
        Assert.Equal(TimeSpan.FromHours(1), Hours().Between(night, new DateTimeOffset(2030, 6, 5, 9, 30, 0, Shanghai)));
    }

    [Fact]
    public void TimeBetweenSkipsTheWeekendAndTheHoliday()
    {
        var friday = new DateTimeOffset(2030, 6, 7, 15, 30, 0, Shanghai);
        var tuesday = new DateTimeOffset(2030, 6, 11, 10, 30, 0, Shanghai);
        Assert.Equal(TimeSpan.FromHours(4), Hours(new DateOnly(2030, 6, 10)).Between(friday, tuesday));
        Assert.Equal(TimeSpan.FromHours(13), Hours().Between(friday, tuesday));
    }
}

public class WhistleTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    // These tests move the clock by weeks or years; the logins made at the start must outlive that.
    private static void LongSessions(IDictionary<string, string?> settings) => settings["Auth:SessionLifetime"] = "3650.00:00:00";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static object Whistle(string title = "危废仓库需要紧急指导") =>
        new { category = "pollution_control", title, description = "企业吹哨：暂存间渗漏，请求尽快指导。", source = "whistle" };

    [Fact]
    public async Task TheClockRunsOverTheWeekendAndAHolidayRemindsThenEscalatesAndTheEnterpriseSeesThe报到()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("INSERT IGNORE INTO calendar_days (day, kind, name, updated_at) VALUES ('2030-06-10', 'holiday', '测试假日', UTC_TIMESTAMP(6))");
        }
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 6, 7, 15, 30, 0, Shanghai));
        var id = await w.SubmitAsync(Whistle());

        var clock = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/demands/{id}/whistle", Ct));
        Assert.Equal(new DateTimeOffset(2030, 6, 11, 10, 30, 0, Shanghai), clock.GetProperty("deadlineAt").GetDateTimeOffset());
        Assert.Equal("waiting", clock.GetProperty("state").GetString());

        // Monday is a holiday: nothing is near yet. Tuesday 09:45 is within the last working hour.
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 6, 10, 10, 0, 0, Shanghai));
        await app.Scheduler().ProduceDueAsync(Ct);
        Assert.DoesNotContain(await w.OutboxAsync(id), o => o.Kind.StartsWith("whistle_"));
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 6, 11, 9, 45, 0, Shanghai));
        await app.Scheduler().ProduceDueAsync(Ct);
        await app.Scheduler().ProduceDueAsync(Ct);
        var due = (await w.OutboxAsync(id)).Where(o => o.Kind == WhistleReminders.DueSoon).ToList();
        Assert.Contains(due, o => o.Type == "member" && o.Id == w.LiaisonMemberId);
        Assert.Equal(due.Count, due.Distinct().Count());

        app.Clock.SetUtcNow(new DateTimeOffset(2030, 6, 11, 10, 31, 0, Shanghai));
        await app.Scheduler().ProduceDueAsync(Ct);
        Assert.Contains(await w.OutboxAsync(id), o => o.Kind == WhistleReminders.Missed);
        Assert.Equal("missed", (await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.GetAsync($"/api/demands/{id}/whistle", Ct))).GetProperty("state").GetString());

        // Staff cannot 报到; the branch can, once; the enterprise sees when.
        Assert.Equal(HttpStatusCode.Forbidden, (await w.Staff.PostAsJsonAsync($"/api/demands/{id}/report-in", new { text = "收到" }, Ct)).StatusCode);
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 6, 11, 11, 0, 0, Shanghai));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PostAsJsonAsync($"/api/demands/{id}/report-in", new { text = "已收到，今天下午到现场" }, Ct));
        await ProblemAssert.IsProblemAsync(await w.Liaison.PostAsJsonAsync($"/api/demands/{id}/report-in", new { text = "再报一次" }, Ct),
            HttpStatusCode.Conflict, "whistle.already_reported_in");
        var seen = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/demands/{id}/whistle", Ct));
        Assert.Equal("late", seen.GetProperty("state").GetString());
        Assert.Equal(new DateTimeOffset(2030, 6, 11, 11, 0, 0, Shanghai), seen.GetProperty("reportedInAt").GetDateTimeOffset());
        Assert.Equal(270.0, seen.GetProperty("minutesToReportIn").GetDouble());
        var reportedIn = Assert.Single(await AuditLook.OfBranchAsync(app, w.BranchId, "whistle_reported_in"));
        Assert.Equal((id, await w.UserIdOfAsync(w.Liaison)), (reportedIn.SubjectId(), reportedIn.GetProperty("actorUserId").GetInt64()));
    }

    [Fact]
    public async Task ADemandThatIsNotAWhistleHasNoClock()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.SubmitAsync();
        await ProblemAssert.IsProblemAsync(await w.Staff.GetAsync($"/api/demands/{id}/whistle", Ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task TheStatsCountWhistlesAndTheir报到RateOnCraftedData()
    {
        await using var app = new EcoAidApp(fixture, LongSessions);
        var w = await DemandWorld.CreateAsync(app);
        // Monday 2030-07-01 09:00: the deadline is 13:00.
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 7, 1, 9, 0, 0, Shanghai));
        var onTime = await w.SubmitAsync(Whistle("按时报到"));
        var late = await w.SubmitAsync(Whistle("超时报到"));
        var missed = await w.SubmitAsync(Whistle("未报到"));
        var ordinary = await w.SubmitAsync();
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 7, 1, 10, 0, 0, Shanghai));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Liaison.PostAsJsonAsync($"/api/demands/{onTime}/report-in", new { text = "收到" }, Ct));
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 7, 1, 15, 0, 0, Shanghai));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{late}/accept", w.ClaimPlan(), Ct));
        Assert.Equal("missed", (await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/demands/{missed}/whistle", Ct))).GetProperty("state").GetString());
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 7, 2, 16, 0, 0, Shanghai));
        await w.SubmitAsync(Whistle("时钟还在走"));
        app.Clock.SetUtcNow(new DateTimeOffset(2030, 7, 2, 16, 30, 0, Shanghai));

        var stats = await DemandWorld.Expect(HttpStatusCode.OK, await w.Secretary.GetAsync("/api/stats/overview?from=2030-07-01&to=2030-07-02", Ct));
        var whistle = stats.GetProperty("whistle");
        Assert.Equal(4, whistle.GetProperty("count").GetInt32());
        Assert.Equal(1, whistle.GetProperty("reportInOnTime").GetProperty("numerator").GetInt32());
        Assert.Equal(3, whistle.GetProperty("reportInOnTime").GetProperty("denominator").GetInt32());
        Assert.Equal(0.3333, whistle.GetProperty("reportInOnTime").GetProperty("value").GetDouble());
        Assert.Equal(210.0, whistle.GetProperty("medianMinutesToReportIn").GetDouble());
        Assert.Equal(1, whistle.GetProperty("waiting").GetInt32());
        Assert.NotEqual(0, ordinary);
    }
}
