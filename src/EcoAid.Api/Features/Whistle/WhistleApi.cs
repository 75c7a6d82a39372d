using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Audit;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Whistle;

public sealed record WhistleClockView(long DemandId, string Number, DateTimeOffset StartedAt, DateTimeOffset DeadlineAt, int ReportInHours,
    DateTimeOffset? ReportedInAt, string? ReportedInBy, string State, double? MinutesToReportIn, double? RemainingMinutes);

public sealed record ReportInRequest(string Text) : IValidatable
{
    public void Validate(ValidationErrors errors) => errors.Required("text", Text, DemandLimits.Reason);
}

/// <summary>企业吹哨、支部报到: the 报到 clock of a 吹哨 demand, and the 报到 itself (a public answer that changes no status).</summary>
public static class WhistleApi
{
    public static WebApplicationBuilder AddWhistle(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WhistleOptions>().BindConfiguration("Whistle")
            .Validate(o => o.ReportInHours is >= 1 and <= 72, "Whistle:ReportInHours must be between 1 and 72.")
            .Validate(o => o.WorkdayStart < o.WorkdayEnd, "Whistle:WorkdayStart must be before Whistle:WorkdayEnd.")
            .Validate(o => o.RemindBeforeMinutes is >= 0 and <= 600, "Whistle:RemindBeforeMinutes must be between 0 and 600.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IReminderSource, WhistleReminders>();
        return builder;
    }

    public static IEndpointRouteBuilder MapWhistle(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/demands").WithTags("Whistle").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/{id:long}/whistle", GetClock).Produces<WhistleClockView>(200).RequireAuthorization(DemandPolicies.Reader).WithName("GetWhistleClock")
            .WithSummary("吹哨报到时钟").WithDescription("来源为企业吹哨（whistle）的诉求：开始时间、报到时限（工作时间）、报到时间与状态（waiting、on_time、late、missed）。企业联系人也可查看。");
        group.MapPost("/{id:long}/report-in", ReportIn).Produces<DemandDetail>(200).Answers(409).RequireAuthorization(DemandPolicies.Worker).WithName("ReportInWhistle")
            .WithSummary("支部报到").WithDescription("对吹哨诉求作出公开回应（不改变状态），企业可见；受理、公开进展或退回同样算作报到。");
        return routes;
    }

    static async Task<IResult> GetClock(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock, IOptions<WhistleOptions> options, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var reached = await DemandStore.ReachAsync(connection, id, user,
            d => d.Source == "whistle" ? null : Problems.NotFound("该诉求不是企业吹哨，没有报到时钟。"), ct);
        if (!reached.Found)
        {
            return reached.Refusal;
        }
        var now = clock.GetUtcNow();
        var row = (await WhistleClock.LoadAsync(connection, "d.id = @id", new { id }, ct)).Single();
        var hours = await WhistleClock.HoursAsync(connection, options.Value, now, ct);
        var deadline = WhistleClock.DeadlineOf(row, hours, options.Value);
        var state = WhistleClock.StateOf(row, deadline, now);
        return TypedResults.Ok(new WhistleClockView(row.Id, row.Number, row.SubmittedAt, deadline, options.Value.ReportInHours, row.ReportedInAt,
            row.ReportedInBy, state, row.ReportedInAt is { } at ? Math.Round(hours.Between(row.SubmittedAt, at).TotalMinutes, 1) : null,
            state == "waiting" ? Math.Round(hours.Between(now, deadline).TotalMinutes, 1) : null));
    }

    static async Task<IResult> ReportIn(long id, ReportInRequest request, CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        var reached = await DemandStore.ReachAsync(connection, id, user,
            d => d.Source == "whistle" ? null : Problems.Conflict("whistle.not_whistle", "该诉求不是企业吹哨，无需报到。"), ct);
        if (!reached.Found)
        {
            return reached.Refusal;
        }
        var demand = reached.Demand;
        if (!DemandStateMachine.IsOpen(demand.Status))
        {
            return DemandWorkflow.InvalidTransition(demand);
        }
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Serialises two members reporting in at once: the second sees the first's event and is told so.
        await connection.ExecuteAsync(new CommandDefinition("SELECT id FROM demands WHERE id = @id FOR UPDATE", new { id }, tx, cancellationToken: ct));
        var already = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM demand_events WHERE demand_id = @id AND kind = 'reported_in'", new { id }, tx, cancellationToken: ct));
        if (already > 0)
        {
            return Problems.Conflict("whistle.already_reported_in", "已经报到过了；后续进展请用“记录进展”。");
        }
        var text = $"支部报到：{request.Text.Trim()}";
        await DemandStore.AppendEventAsync(connection, tx, id, user.Id, "reported_in", "public", text, null, now, ct);
        var staff = await Outbox.EnterpriseStaffAsync(connection, tx, demand.EnterpriseId, ct);
        await Outbox.EnqueueAsync(connection, tx, NotificationKinds.DemandProgress, staff, id, new
        {
            demandId = id, number = demand.Number, title = demand.Title, enterpriseName = demand.EnterpriseName,
            category = DemandCategories.Names[demand.Category], status = demand.Status, text, dueDate = demand.Due, at = now,
        }, now, ct);
        await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.WhistleReportedIn, "demand", id) with { BranchId = demand.BranchId },
            now, ct);
        await tx.CommitAsync(ct);
        var fresh = await DemandStore.FindAsync(connection, null, id, user, ct);
        return TypedResults.Ok(await DemandStore.DetailAsync(connection, fresh!, user, now, ct));
    }
}

/// <summary>
/// The 报到 clock's reminders: when a 吹哨 demand has no 报到 and its deadline is near (by default one working hour
/// before), the commissioners and the enterprise's liaison are reminded; once the deadline has passed, the secretary
/// is told. Each once per demand (keyed on the deadline's date).
/// </summary>
public sealed class WhistleReminders(IOptions<WhistleOptions> options, TimeProvider clock) : IReminderSource
{
    public const string DueSoon = "whistle_report_in_due";
    public const string Missed = "whistle_report_in_missed";

    public IReadOnlyList<string> Kinds { get; } = [DueSoon, Missed];

    public async Task<IReadOnlyList<ReminderCandidate>> DueAsync(DbConnection connection, WorkingCalendar calendar, DateOnly today, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var settings = options.Value;
        var hours = new WorkingHours(calendar, settings.WorkdayStart, settings.WorkdayEnd);
        // A clock of a few working hours runs out within days; a month back covers the longest holiday.
        var rows = await WhistleClock.LoadAsync(connection, "d.status IN ('submitted', 'accepted', 'resolved') AND d.submitted_at >= @since",
            new { since = now.AddDays(-31).UtcDateTime }, ct);
        var due = new List<ReminderCandidate>();
        foreach (var row in rows.Where(r => r.ReportedInAt is null))
        {
            var deadline = WhistleClock.DeadlineOf(row, hours, settings);
            var day = WorkingCalendar.Today(deadline);
            var payload = new
            {
                demandId = row.Id, number = row.Number, title = row.Title, enterpriseName = row.EnterpriseName, deadlineAt = deadline,
                reportInHours = settings.ReportInHours,
            };
            if (now > deadline)
            {
                due.Add(new ReminderCandidate(Missed, row.Id, day, row.Id, payload, (c, tx, t) => Outbox.SecretariesAsync(c, tx, row.BranchId, t)));
            }
            else if (hours.Between(now, deadline) <= TimeSpan.FromMinutes(settings.RemindBeforeMinutes))
            {
                due.Add(new ReminderCandidate(DueSoon, row.Id, day, row.Id, payload, async (c, tx, t) =>
                {
                    var recipients = (await Outbox.CommissionersAsync(c, tx, row.BranchId, t)).ToList();
                    if (row.LiaisonMemberId is { } liaison && !recipients.Contains(Recipient.Member(liaison)))
                    {
                        recipients.Add(Recipient.Member(liaison));
                    }
                    return recipients;
                }));
            }
        }
        return due;
    }
}
