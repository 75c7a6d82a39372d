using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;

namespace EcoAid.Api.Features.Demands;

/// <summary>How a demand is opened: by the submit endpoint and by a visit's rectification items.</summary>
internal static class DemandIntake
{
    /// <summary>The <c>content_check</c> a demand is stored with: WeChat unreachable → pending (checked again later).</summary>
    internal static string ContentState(ContentVerdict verdict) =>
        verdict switch { ContentVerdict.Unavailable => "pending", ContentVerdict.Review => "review", ContentVerdict.Risky => "risky", _ => "passed" };

    /// <summary>The state a new demand starts in: held for a person's review when WeChat called it risky or asked for review.</summary>
    internal static string StatusFor(string contentState) =>
        contentState is "risky" or "review" ? DemandStatus.PendingReview : DemandStatus.Submitted;

    /// <summary>A demand to open: what intake and a visit's rectification items have in common.</summary>
    internal sealed record NewDemand(long BranchId, long EnterpriseId, string EnterpriseName, long? LiaisonMemberId, string Category, string Source,
        string Title, string Description, bool Urgent, DateOnly? ExpectedBy, string ContentCheck, long SubmittedBy, string? EventText,
        IReadOnlyCollection<long>? AttachmentIds);

    /// <summary>
    /// Opens a demand inside the caller's transaction: the row, its first timeline event, the next number of the branch's
    /// year (<c>SQ{year}-{seq}</c>) and the outbox rows telling the commissioners and the enterprise's liaison.
    /// <para>
    /// The number is taken last: <c>demand_numbers</c> holds one row per branch and year, and its row lock lasts until the
    /// commit, so everything else (the demand under a provisional number, the event, the recipients) is written first and
    /// only the number, its UPDATE, the outbox row and the caller's idempotency answer run under it. Numbers stay gap-free
    /// per branch and year: a transaction that rolls back rolls its increment back too.
    /// </para>
    /// </summary>
    internal static async Task<(long Id, string Number)> InsertAsync(DbConnection connection, DbTransaction tx, NewDemand demand, DateTimeOffset now, CancellationToken ct)
    {
        var year = WorkingCalendar.Today(now).Year;
        var title = demand.Title.Trim();
        // Unique until the real number replaces it a few statements later, in the same transaction (nobody else sees it).
        var provisional = "#" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(9));
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
            INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, expected_by, status,
                                 content_check, submitted_by, submitted_at, updated_at)
            VALUES (@BranchId, @EnterpriseId, @provisional, @Category, @Source, @title, @Description, @Urgent, @expectedBy, @status,
                    @ContentCheck, @SubmittedBy, @now, @now);
            SELECT LAST_INSERT_ID();
            {DemandCounts.BumpSql}
            """, new
        {
            demand.BranchId, demand.EnterpriseId, provisional, demand.Category, demand.Source, title, demand.Description, demand.Urgent,
            expectedBy = demand.ExpectedBy?.ToDateTime(TimeOnly.MinValue), demand.ContentCheck, status = StatusFor(demand.ContentCheck), demand.SubmittedBy, now = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        await DemandStore.AppendEventAsync(connection, tx, id, demand.SubmittedBy, "submitted", "public", demand.EventText, demand.AttachmentIds, now, ct);

        var recipients = (await Outbox.CommissionersAsync(connection, tx, demand.BranchId, ct)).ToList();
        var contactName = await connection.ExecuteScalarAsync<string>(new CommandDefinition(Organisation.PersonNames.EnterprisePerson,
            new { personUserId = demand.SubmittedBy, personEnterpriseId = demand.EnterpriseId }, tx, cancellationToken: ct));

        // From here to the commit the branch's number row is locked: one round trip takes and writes the number.
        var sequence = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO demand_numbers (branch_id, year, last) VALUES (@BranchId, @year, LAST_INSERT_ID(1))
            ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1);
            UPDATE demands SET number = CONCAT('SQ', @year, '-', IF(LAST_INSERT_ID() < 10000, LPAD(LAST_INSERT_ID(), 4, '0'), LAST_INSERT_ID())) WHERE id = @id;
            SELECT LAST_INSERT_ID();
            """, new { demand.BranchId, year, id }, tx, cancellationToken: ct));
        var number = $"SQ{year}-{sequence:0000}";
        if (StatusFor(demand.ContentCheck) == DemandStatus.PendingReview)
        {
            // Only the commissioners see it until one of them (or the secretary) has looked at it.
            await Outbox.EnqueueAsync(connection, tx, NotificationKinds.DemandReviewNeeded, recipients, id,
                new { demandId = id, number, title, enterpriseName = demand.EnterpriseName, category = DemandCategories.Names[demand.Category], contactName,
                      verdict = demand.ContentCheck == "risky" ? "内容安全检测认为有风险" : "内容安全检测建议人工审核" }, now, ct);
            return (id, number);
        }
        if (demand.LiaisonMemberId is { } liaison)
        {
            recipients.Add(Recipient.Member(liaison));
        }
        await Outbox.EnqueueAsync(connection, tx, NotificationKinds.DemandSubmitted, recipients, id,
            new { demandId = id, number, title, enterpriseName = demand.EnterpriseName, category = DemandCategories.Names[demand.Category], contactName, submittedAt = now }, now, ct);
        return (id, number);
    }
}
