using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Database;

/// <summary>
/// The dev run's demo, loaded on the tests' fixed clock (Monday 2026-03-02, 09:00 Shanghai): the 2024 story stays
/// history and its first reminder round speaks only of the present.
/// </summary>
public class DemoPresentTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TheDemoLivesInThePresentAndItsFirstRemindersAreOnlyAboutIt()
    {
        // The demo starts only in Development; EcoAidApp keeps the dev run's own settings file (its sandbox, its templates) out.
        await using var app = new EcoAidApp(fixture, s => s["Demo:Seed"] = "true") { EnvironmentName = "Development" };
        var scheduler = app.Services.GetRequiredService<ReminderScheduler>(); // starting the host loads the demo

        await scheduler.ProduceDueAsync(Ct);

        await using (var db = await fixture.Database.OpenAsync())
        {
            var reminders = (await db.QueryAsync<(string Kind, string? Number, string Payload)>("""
                SELECT o.kind, d.number, o.payload FROM notification_outbox o LEFT JOIN demands d ON d.id = o.demand_id
                WHERE o.kind IN @kinds
                """, new
            {
                kinds = new[]
                {
                    NotificationKinds.DemandDueSoon, NotificationKinds.DemandOverdue, NotificationKinds.DemandOverdueCommissioner,
                    NotificationKinds.DemandOverdueSecretary,
                },
            })).ToList();
            Assert.DoesNotContain(reminders, r => r.Number is null || r.Number.StartsWith("SQ2024-", StringComparison.Ordinal));
            // The round did run: the present's slightly overdue item is reminded of, by a few working days, not hundreds.
            var overdue = Assert.Single(reminders, r => r.Kind == NotificationKinds.DemandOverdue);
            Assert.StartsWith("SQ2026-", overdue.Number, StringComparison.Ordinal);
            using var payload = JsonDocument.Parse(overdue.Payload);
            Assert.InRange(payload.RootElement.GetProperty("overdueDays").GetInt32(), 1, 5);
        }

        // A visit this month and last month's meeting, held on a working day (2026-02-20 falls in 春节: moved to the 24th).
        var secretary = app.CreateClient();
        var login = await HttpExpect.JsonAsync(HttpStatusCode.OK, await secretary.PostAsJsonAsync("/api/auth/login",
            new { code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, "demo-secretary") }, Ct));
        secretary.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", login.GetProperty("token").GetString());
        var visits = await HttpExpect.JsonAsync(HttpStatusCode.OK, await secretary.GetAsync("/api/visits?month=2026-03", Ct));
        var visit = Assert.Single(visits.GetProperty("items").EnumerateArray());
        Assert.Equal("2026-03-01", visit.GetProperty("visitedOn").GetString());
        var meetings = await HttpExpect.JsonAsync(HttpStatusCode.OK, await secretary.GetAsync("/api/meetings?month=2026-02", Ct));
        var meeting = Assert.Single(meetings.GetProperty("items").EnumerateArray());
        Assert.Equal("2026-02-24", meeting.GetProperty("heldOn").GetString());
    }
}
