using System.Net;
using System.Net.Http.Json;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>Deadline reminders and escalation under a fake clock, with two schedulers on one database.</summary>
public class ReminderTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static DateTimeOffset At(int month, int day, int hour, int minute = 0) => new DateTimeOffset(2026, month, day, hour, minute, 0, Shanghai).ToUniversalTime();

    private static Action<IDictionary<string, string?>> Escalation => s =>
    {
        s["Notifications:Reminders:EscalateToCommissionerAfter"] = "3";
        s["Notifications:Reminders:EscalateToSecretaryAfter"] = "5";
    };

    private static async Task<long> AcceptedWithDueDateAsync(DemandWorld w, string dueDate)
    {
        var id = await w.SubmitAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", new
        {
            objective = "规范危废暂存，完善台账", measures = new[] { "现场指导危废暂存间设置" }, ownerMemberId = w.OwnerMemberId, dueDate,
        }, Ct));
        return id;
    }

    private static async Task<List<(string Kind, DateTime Day)>> LedgerAsync(EcoAidApp app, long demandId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return [.. await db.QueryAsync<(string, DateTime)>("SELECT kind, day FROM notification_reminders WHERE subject_id = @demandId ORDER BY day, kind", new { demandId })];
    }

    private static async Task<List<(string Kind, string Type, long Id, DateTime NextAttemptAt, DateTime CreatedAt)>> RemindersAsync(EcoAidApp app, long demandId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return [.. await db.QueryAsync<(string, string, long, DateTime, DateTime)>("""
            SELECT kind, recipient_type, recipient_id, next_attempt_at, created_at FROM notification_outbox
            WHERE demand_id = @demandId AND kind IN ('demand_due_soon', 'demand_overdue', 'demand_overdue_commissioner', 'demand_overdue_secretary')
            ORDER BY id
            """, new { demandId })];
    }

    /// <summary>
    /// June 2026: Sunday the 7th is a make-up workday, Tuesday the 16th a holiday. Due Wednesday the 10th; stages 3 and 0;
    /// escalation after 3 and 5 overdue working days. Both instances' schedulers run several times a day, from the quiet
    /// hours after midnight on.
    /// </summary>
    [Fact]
    public async Task RemindersAcrossAWeekendAHolidayAndAMakeUpWorkdayAreProducedOnceEach()
    {
        await using var first = new EcoAidApp(fixture, Escalation);
        await using var second = new EcoAidApp(fixture, Escalation);
        first.Clock.SetUtcNow(At(6, 1, 0, 10));
        second.Clock.SetUtcNow(At(6, 1, 0, 10));
        var w = await DemandWorld.CreateAsync(first);
        var commissioner = (await first.IdentityAsync(w.Commissioner)).UserId;
        await using (var db = await first.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("""
                INSERT INTO calendar_days (day, kind, name, updated_at) VALUES ('2026-06-07', 'workday', '调休上班', @now), ('2026-06-16', 'holiday', '端午节', @now)
                ON DUPLICATE KEY UPDATE kind = VALUES(kind)
                """, new { now = first.Clock.GetUtcNow().UtcDateTime });
        }
        var id = await AcceptedWithDueDateAsync(w, "2026-06-10");

        for (var day = 1; day <= 18; day++)
        {
            foreach (var (hour, minute) in new[] { (0, 30), (12, 0), (22, 0) })
            {
                first.Clock.SetUtcNow(At(6, day, hour, minute));
                second.Clock.SetUtcNow(At(6, day, hour, minute));
                await Task.WhenAll(first.Scheduler().ProduceDueAsync(Ct), second.Scheduler().ProduceDueAsync(Ct));
            }
        }

        Assert.Equal(
        [
            ("demand_due_soon", new DateTime(2026, 6, 7)), // 3 working days left: Mon 8, Tue 9, Wed 10; Sunday the 7th is worked
            ("demand_due_soon", new DateTime(2026, 6, 10)), // the due date itself
            ("demand_overdue", new DateTime(2026, 6, 11)),
            ("demand_overdue", new DateTime(2026, 6, 12)),
            ("demand_overdue", new DateTime(2026, 6, 15)), // not on the weekend of the 13th and 14th
            ("demand_overdue_commissioner", new DateTime(2026, 6, 15)), // 3 overdue working days: 11, 12, 15
            ("demand_overdue", new DateTime(2026, 6, 17)), // not on the holiday of the 16th
            ("demand_overdue", new DateTime(2026, 6, 18)),
            ("demand_overdue_secretary", new DateTime(2026, 6, 18)), // 5 overdue working days: 11, 12, 15, 17, 18
        ], await LedgerAsync(first, id));

        var rows = await RemindersAsync(first, id);
        Assert.Equal(9, rows.Count);
        Assert.All(rows.Where(r => r.Kind is "demand_due_soon" or "demand_overdue"), r => Assert.Equal(("member", w.OwnerMemberId), (r.Type, r.Id)));
        var escalated = rows.Single(r => r.Kind == "demand_overdue_commissioner");
        await using (var db = await first.OpenDatabaseAsync())
        {
            Assert.Equal(await db.ExecuteScalarAsync<long>("SELECT member_id FROM users WHERE id = @commissioner", new { commissioner }), escalated.Id);
        }
        Assert.Equal("member", rows.Single(r => r.Kind == "demand_overdue_secretary").Type);
        // Each was produced at 00:30 Asia/Shanghai, in the quiet hours: its push waits for 08:00 that day.
        Assert.All(rows, r => Assert.Equal(TimeSpan.FromHours(16.5), r.CreatedAt.TimeOfDay));
        Assert.All(rows, r => Assert.Equal(r.CreatedAt.AddHours(7.5), r.NextAttemptAt));
    }

    [Fact]
    public async Task PushWaitsForTheMorningWhileTheInboxHasTheReminderAtOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var oaOpenId = await app.FollowAsync(w.OwnerMemberId);
        var id = await AcceptedWithDueDateAsync(w, "2026-03-03");

        app.Clock.SetUtcNow(At(3, 4, 22)); // Wednesday 22:00: one working day overdue, in the quiet hours
        await app.Scheduler().ProduceDueAsync(Ct);
        Assert.Equal("demand_overdue", Assert.Single(await RemindersAsync(app, id)).Kind);
        await app.DispatchAsync();
        var inbox = await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.GetAsync("/api/me/notifications?unread=true", Ct));

        Assert.DoesNotContain(app.DeliveriesTo(oaOpenId), d => d.Data["thing2"] == "诉求已逾期");
        Assert.Contains(inbox.GetProperty("items").EnumerateArray(), i => i.GetProperty("kind").GetString() == "demand_overdue"
            && i.GetProperty("summary").GetString() == "危废暂存间不规范：已逾期 1 个工作日（时限 2026年3月3日）");

        app.Clock.SetUtcNow(At(3, 5, 7, 59));
        await app.DispatchAsync();
        Assert.DoesNotContain(app.DeliveriesTo(oaOpenId), d => d.Data["thing2"] == "诉求已逾期");
        app.Clock.SetUtcNow(At(3, 5, 8));
        await app.DispatchAsync();

        Assert.Single(app.DeliveriesTo(oaOpenId), d => d.Data["thing2"] == "诉求已逾期");
    }

    [Fact]
    public async Task EscalationMissedWhileNoInstanceRanIsProducedOnceLater()
    {
        await using var app = new EcoAidApp(fixture, Escalation);
        var w = await DemandWorld.CreateAsync(app);
        var id = await AcceptedWithDueDateAsync(w, "2026-03-03");

        app.Clock.SetUtcNow(At(3, 9, 10)); // Monday: 4 overdue working days (4, 5, 6, 9); nothing ran since the due date
        await app.Scheduler().ProduceDueAsync(Ct);
        app.Clock.SetUtcNow(At(3, 10, 10)); // Tuesday: 5
        await app.Scheduler().ProduceDueAsync(Ct);
        app.Clock.SetUtcNow(At(3, 11, 10)); // Wednesday: 6
        await app.Scheduler().ProduceDueAsync(Ct);

        Assert.Equal(
        [
            ("demand_overdue_commissioner", new DateTime(2026, 3, 6)), // keyed by the day it fell due: once, however late
            ("demand_overdue", new DateTime(2026, 3, 9)),
            ("demand_overdue", new DateTime(2026, 3, 10)),
            ("demand_overdue_secretary", new DateTime(2026, 3, 10)),
            ("demand_overdue", new DateTime(2026, 3, 11)),
        ], await LedgerAsync(app, id));
        var commissioner = (await RemindersAsync(app, id)).Single(r => r.Kind == "demand_overdue_commissioner");
        Assert.Equal(At(3, 9, 10).UtcDateTime, commissioner.CreatedAt);
        Assert.Equal(commissioner.CreatedAt, commissioner.NextAttemptAt); // produced in the day: pushed at once
    }

    [Fact]
    public async Task ANewDueDateAfterAnExtensionEscalatesAgainOnlyIfMissedToo()
    {
        await using var app = new EcoAidApp(fixture, Escalation);
        var w = await DemandWorld.CreateAsync(app);
        var id = await AcceptedWithDueDateAsync(w, "2026-03-03");
        app.Clock.SetUtcNow(At(3, 6, 10)); // 3 overdue working days: escalated to the commissioner
        await app.Scheduler().ProduceDueAsync(Ct);
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/extension",
            new { dueDate = "2026-03-20", reason = "等待第三方检测报告" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/extension/approve", new { }, Ct));

        app.Clock.SetUtcNow(At(3, 9, 10));
        await app.Scheduler().ProduceDueAsync(Ct);
        app.Clock.SetUtcNow(At(3, 17, 10)); // 3 working days before the 20th
        await app.Scheduler().ProduceDueAsync(Ct);

        Assert.Equal(
        [
            ("demand_overdue", new DateTime(2026, 3, 6)),
            ("demand_overdue_commissioner", new DateTime(2026, 3, 6)),
            ("demand_due_soon", new DateTime(2026, 3, 17)),
        ], await LedgerAsync(app, id));
    }

    [Fact]
    public async Task TransferredDemandsRemindTheDepartmentLiaisonAndClosedOnesNobody()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var transferred = await w.SubmitAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{transferred}/accept", new
        {
            objective = "完成环境信用修复", measures = new[] { "指导线上申报" }, departmentId = w.DepartmentId, dueDate = "2026-03-05",
        }, Ct));
        var resolved = await AcceptedWithDueDateAsync(w, "2026-03-05");
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{resolved}/resolve", new { summary = "已完成" }, Ct));
        var liaison = (await app.IdentityAsync(w.DepartmentLiaison)).UserId;

        app.Clock.SetUtcNow(At(3, 2, 10)); // 3 working days before the 5th
        await app.Scheduler().ProduceDueAsync(Ct);

        var reminder = Assert.Single(await RemindersAsync(app, transferred));
        Assert.Equal(("demand_due_soon", "user", liaison), (reminder.Kind, reminder.Type, reminder.Id));
        Assert.Empty(await RemindersAsync(app, resolved));
    }

    [Theory]
    [InlineData(20, 59, 20, 59)] // not quiet: now
    [InlineData(21, 0, 32, 0)] // 21:00 → 08:00 the next day
    [InlineData(23, 59, 32, 0)]
    [InlineData(0, 0, 8, 0)] // after midnight → 08:00 the same day
    [InlineData(7, 59, 8, 0)]
    [InlineData(8, 0, 8, 0)]
    public void QuietHoursEndAtEightInTheMorning(int hour, int minute, int pushHour, int pushMinute)
    {
        var now = new DateTimeOffset(2026, 3, 4, hour, minute, 0, Shanghai);

        var push = QuietHours.PushAfter(now, new TimeOnly(21, 0), new TimeOnly(8, 0));

        Assert.Equal(new DateTimeOffset(2026, 3, 4, 0, 0, 0, Shanghai).AddHours(pushHour).AddMinutes(pushMinute), push);
    }
}
