using EcoAid.Api.Infrastructure.Hosting;
using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// A reminder that is due: produced once per (kind, subject, day). <paramref name="Day"/> is the reminder's own day — for
/// a daily reminder today, for a one-off (an escalation) the day it fell due, so an instance that was down that day
/// still produces it, once.
/// </summary>
public sealed record ReminderCandidate(string Kind, long SubjectId, DateOnly Day, long? DemandId, object Payload,
    Func<DbConnection, DbTransaction, CancellationToken, Task<IReadOnlyList<Recipient>>> Recipients);

/// <summary>What is due today from one area (demand deadlines here; visits add theirs): the scheduler does the rest.</summary>
public interface IReminderSource
{
    /// <summary>The kinds this source produces (the scheduler looks up what was produced already by them).</summary>
    IReadOnlyList<string> Kinds { get; }

    Task<IReadOnlyList<ReminderCandidate>> DueAsync(DbConnection connection, WorkingCalendar calendar, DateOnly today, CancellationToken ct);
}

/// <summary>
/// Produces reminders in every instance. Each one is produced exactly once, however many instances run: its key goes
/// into <c>notification_reminders</c> with INSERT IGNORE in the same transaction as its outbox rows, so the instance
/// that loses the race writes nothing. In quiet hours (21:00–08:00 Asia/Shanghai by default) the WeChat push waits for
/// the morning; the inbox gets the reminder at once.
/// </summary>
public sealed partial class ReminderScheduler(MySqlDataSource db, IEnumerable<IReminderSource> sources, IOptions<NotificationOptions> options,
    TimeProvider clock, ILogger<ReminderScheduler> logger) : RepeatingWorker
{
    protected override TimeProvider TimerClock => clock;

    protected override bool Enabled => options.Value.Reminders.Enabled;

    protected override TimeSpan Interval => options.Value.Reminders.Interval;

    protected override Task RunRoundAsync(CancellationToken ct) => ProduceDueAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.RoundFailed(logger, exception);

    /// <summary>Produces every reminder due now that no instance has produced yet; returns how many this call produced.</summary>
    public async Task<int> ProduceDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var today = WorkingCalendar.Today(now);
        var pushAfter = QuietHours.PushAfter(now, options.Value.Reminders.QuietHoursStart, options.Value.Reminders.QuietHoursEnd);
        await using var connection = await db.OpenConnectionAsync(ct);
        var calendar = await CalendarApi.LoadAsync(connection, null, today, ct);
        var produced = 0;
        foreach (var source in sources)
        {
            var due = await source.DueAsync(connection, calendar, today, ct);
            if (due.Count == 0)
            {
                continue;
            }
            var done = await ProducedAlreadyAsync(connection, source.Kinds, due, ct);
            foreach (var candidate in due.Where(c => !done.Contains((c.Kind, c.SubjectId, c.Day))))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                var claimed = await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT IGNORE INTO notification_reminders (kind, subject_id, day, created_at) VALUES (@Kind, @SubjectId, @day, @now)
                    """, new { candidate.Kind, candidate.SubjectId, day = candidate.Day.ToDateTime(TimeOnly.MinValue), now = now.UtcDateTime }, tx, cancellationToken: ct));
                if (claimed == 1)
                {
                    var recipients = await candidate.Recipients(connection, tx, ct);
                    await Outbox.EnqueueAsync(connection, tx, candidate.Kind, recipients, candidate.DemandId, candidate.Payload, now, pushAfter, ct);
                    produced++;
                }
                await tx.CommitAsync(ct);
            }
        }
        if (produced > 0)
        {
            Log.Produced(logger, produced, today);
        }
        return produced;
    }

    private static async Task<HashSet<(string, long, DateOnly)>> ProducedAlreadyAsync(MySqlConnection connection, IReadOnlyList<string> kinds,
        IReadOnlyList<ReminderCandidate> due, CancellationToken ct)
    {
        var done = new HashSet<(string, long, DateOnly)>();
        foreach (var chunk in due.Chunk(500))
        {
            var rows = await connection.QueryAsync<(string Kind, long SubjectId, DateTime Day)>(new CommandDefinition("""
                SELECT kind, subject_id, day FROM notification_reminders WHERE kind IN @kinds AND subject_id IN @ids AND day IN @days
                """, new { kinds, ids = chunk.Select(c => c.SubjectId).Distinct().ToList(), days = chunk.Select(c => c.Day.ToDateTime(TimeOnly.MinValue)).Distinct().ToList() },
                cancellationToken: ct));
            done.UnionWith(rows.Select(r => (r.Kind, r.SubjectId, DateOnly.FromDateTime(r.Day))));
        }
        return done;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Produced {Count} reminders for {Day}")]
        public static partial void Produced(ILogger logger, int count, DateOnly day);

        [LoggerMessage(EventId = 5021, Level = LogLevel.Error, Message = "Reminder round failed")]
        public static partial void RoundFailed(ILogger logger, Exception exception);
    }
}

/// <summary>No WeChat push between the evening and the morning (Asia/Shanghai): what is produced then waits for the morning.</summary>
public static class QuietHours
{
    /// <summary>When a push produced at <paramref name="now"/> may go out: now, or the end of the quiet hours it falls in.</summary>
    public static DateTimeOffset PushAfter(DateTimeOffset now, TimeOnly start, TimeOnly end)
    {
        if (start == end)
        {
            return now;
        }
        var local = TimeZoneInfo.ConvertTime(now, WorkingCalendar.Shanghai);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var quiet = start < end ? time >= start && time < end : time >= start || time < end;
        if (!quiet)
        {
            return now;
        }
        var day = DateOnly.FromDateTime(local.DateTime);
        var morning = time >= end ? day.AddDays(1) : day;
        return new DateTimeOffset(morning.ToDateTime(end), WorkingCalendar.Shanghai.GetUtcOffset(morning.ToDateTime(end)));
    }
}
