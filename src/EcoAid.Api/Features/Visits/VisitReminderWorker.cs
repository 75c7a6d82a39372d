using EcoAid.Api.Infrastructure.Hosting;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure.Auth;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Visits;

/// <summary>
/// From <see cref="VisitOptions.ReminderDayOfMonth"/> of each Shanghai month on, reminds the liaison (包挂成员) of every
/// enterprise that has no visit recorded that month yet: one <c>visit_due</c> notification per enterprise and month.
/// Runs in every instance; the primary key of <c>visit_reminders</c> decides which instance writes it, so it is written
/// once however many rounds and instances run.
/// </summary>
public sealed partial class VisitReminderWorker(MySqlDataSource db, TimeProvider clock, IOptions<VisitOptions> options, ILogger<VisitReminderWorker> logger)
    : RepeatingWorker
{
    protected override TimeProvider TimerClock => clock;

    protected override TimeSpan Interval => options.Value.ReminderInterval;

    protected override Task RunRoundAsync(CancellationToken ct) => SendDueRemindersAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.RoundFailed(logger, exception);

    /// <summary>Queues the reminders due now; returns how many this call queued (another instance may have queued others).</summary>
    public async Task<int> SendDueRemindersAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = WorkingCalendar.Today(now);
        if (today.Day < options.Value.ReminderDayOfMonth)
        {
            return 0;
        }
        var month = Periods.MonthOf(today);
        var monthParameters = new
        {
            month = month.ToDateTime(TimeOnly.MinValue), monthEnd = Periods.LastDayOfMonth(month).ToDateTime(TimeOnly.MinValue),
        };
        await using var connection = await db.OpenConnectionAsync(ct);
        var due = (await connection.QueryAsync<DueRow>(new CommandDefinition("""
            SELECT e.id AS enterprise_id, e.name AS enterprise_name, e.liaison_member_id
            FROM enterprises e
            WHERE e.liaison_member_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM visits v WHERE v.enterprise_id = e.id AND v.visited_on BETWEEN @month AND @monthEnd)
              AND NOT EXISTS (SELECT 1 FROM visit_reminders r WHERE r.enterprise_id = e.id AND r.month = @month)
            ORDER BY e.id
            """, monthParameters, cancellationToken: ct))).ToList();

        var queued = 0;
        foreach (var row in due)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO visit_reminders (enterprise_id, month, member_id, created_at) VALUES (@EnterpriseId, @month, @LiaisonMemberId, @now)
                    """, new { row.EnterpriseId, monthParameters.month, row.LiaisonMemberId, now = now.UtcDateTime }, tx, cancellationToken: ct));
            }
            catch (MySqlException e) when (MySqlErrors.IsDuplicateKey(e))
            {
                await tx.RollbackAsync(ct); // another round or instance got there first
                continue;
            }
            await Outbox.EnqueueAsync(connection, tx, NotificationKinds.VisitDue, [Recipient.Member(row.LiaisonMemberId)], null, new
            {
                enterpriseId = row.EnterpriseId, enterpriseName = row.EnterpriseName, month = Periods.MonthText(month),
                text = $"{Periods.ChineseMonth(month)}尚未回访{row.EnterpriseName}，请安排回访督查。", at = now,
            }, now, ct);
            await tx.CommitAsync(ct);
            queued++;
        }
        if (queued > 0)
        {
            Log.RemindersQueued(logger, queued, Periods.MonthText(month));
        }
        return queued;
    }

    private sealed class DueRow
    {
        public long EnterpriseId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public long LiaisonMemberId { get; init; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "Queued {Count} visit-due reminder(s) for {Month}")]
        public static partial void RemindersQueued(ILogger logger, int count, string month);

        [LoggerMessage(EventId = 7021, Level = LogLevel.Error, Message = "Visit reminder round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}
