using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// Deadline reminders of demands being worked (status accepted), counted in working days with the calendar, and only
/// on working days (a make-up workday counts, a weekend or holiday does not):
/// <list type="bullet">
/// <item>due soon — the owner, on the working day that leaves each configured number of working days (3 and 0 by
/// default: 0 is the last working day up to the due date);</item>
/// <item>overdue — the owner, every working day after the due date;</item>
/// <item>escalation — the service commissioners once the demand is N working days overdue, the secretary at M; once
/// per due date (a new due date after an extension escalates again if that one is missed too).</item>
/// </list>
/// </summary>
public sealed class DemandDeadlineReminders(IOptions<NotificationOptions> options) : IReminderSource
{
    public IReadOnlyList<string> Kinds { get; } =
        [NotificationKinds.DemandDueSoon, NotificationKinds.DemandOverdue, NotificationKinds.DemandOverdueCommissioner, NotificationKinds.DemandOverdueSecretary];

    public async Task<IReadOnlyList<ReminderCandidate>> DueAsync(DbConnection connection, WorkingCalendar calendar, DateOnly today, CancellationToken ct)
    {
        if (!calendar.IsWorkingDay(today))
        {
            return [];
        }
        var settings = options.Value.Reminders;
        // Far enough ahead for the largest stage, with the non-working days that may follow it.
        var horizon = calendar.AddWorkingDays(today, settings.Stages.Max() + 1);
        var demands = await connection.QueryAsync<DueDemand>(new CommandDefinition("""
            SELECT d.id, d.branch_id, d.number, d.title, d.category, d.due_date, d.owner_member_id, d.department_id,
                   e.name AS enterprise_name, COALESCE(d.responsible_person_name, m.name, dep.name) AS owner_name
            FROM demands d
            JOIN enterprises e ON e.id = d.enterprise_id
            LEFT JOIN members m ON m.id = d.owner_member_id
            LEFT JOIN departments dep ON dep.id = d.department_id
            WHERE d.status = 'accepted' AND d.due_date IS NOT NULL AND d.due_date <= @horizon
            ORDER BY d.id
            """, new { horizon = horizon.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));

        var due = new List<ReminderCandidate>();
        foreach (var d in demands)
        {
            var dueDate = DateOnly.FromDateTime(d.DueDate);
            if (dueDate >= today)
            {
                var left = calendar.WorkingDaysBetween(today, dueDate);
                if (settings.Stages.Contains(left))
                {
                    due.Add(Candidate(NotificationKinds.DemandDueSoon, d, today, left, 0, OwnerOf(d)));
                }
                continue;
            }
            var overdue = calendar.WorkingDaysBetween(dueDate, today);
            due.Add(Candidate(NotificationKinds.DemandOverdue, d, today, 0, overdue, OwnerOf(d)));
            if (overdue >= settings.EscalateToCommissionerAfter)
            {
                due.Add(Candidate(NotificationKinds.DemandOverdueCommissioner, d, calendar.AddWorkingDays(dueDate, settings.EscalateToCommissionerAfter),
                    0, overdue, (c, tx, t) => Outbox.CommissionersAsync(c, tx, d.BranchId, t)));
            }
            if (overdue >= settings.EscalateToSecretaryAfter)
            {
                due.Add(Candidate(NotificationKinds.DemandOverdueSecretary, d, calendar.AddWorkingDays(dueDate, settings.EscalateToSecretaryAfter),
                    0, overdue, (c, tx, t) => Outbox.SecretariesAsync(c, tx, d.BranchId, t)));
            }
        }
        return due;
    }

    private static ReminderCandidate Candidate(string kind, DueDemand d, DateOnly day, int daysLeft, int overdueDays,
        Func<DbConnection, DbTransaction, CancellationToken, Task<IReadOnlyList<Recipient>>> recipients) =>
        new(kind, d.Id, day, d.Id, new
        {
            demandId = d.Id, number = d.Number, title = d.Title, enterpriseName = d.EnterpriseName,
            category = DemandCategories.Names.GetValueOrDefault(d.Category, d.Category), dueDate = DateOnly.FromDateTime(d.DueDate),
            daysLeft, overdueDays, ownerName = d.OwnerName,
        }, recipients);

    private static Func<DbConnection, DbTransaction, CancellationToken, Task<IReadOnlyList<Recipient>>> OwnerOf(DueDemand d) =>
        async (c, tx, ct) => d.OwnerMemberId is { } member ? [Recipient.Member(member)]
            : d.DepartmentId is { } department ? await Outbox.DepartmentLiaisonsAsync(c, tx, department, ct) : [];

    private sealed class DueDemand
    {
        public long Id { get; init; }
        public long BranchId { get; init; }
        public string Number { get; init; } = "";
        public string Title { get; init; } = "";
        public string Category { get; init; } = "";
        public DateTime DueDate { get; init; }
        public long? OwnerMemberId { get; init; }
        public long? DepartmentId { get; init; }
        public string EnterpriseName { get; init; } = "";
        public string? OwnerName { get; init; }
    }
}
