using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace EcoAid.Api.Features.Notifications;

/// <summary>Who a notification is for: a task-force member (reached through the Official Account or their user) or a user.</summary>
public sealed record Recipient(string Type, long Id)
{
    public static Recipient Member(long id) => new("member", id);

    public static Recipient User(long id) => new("user", id);
}

/// <summary>The notification kinds, as stored in the outbox and named in the template settings.</summary>
public static class NotificationKinds
{
    public const string DemandSubmitted = "demand_submitted";
    public const string DemandAssigned = "demand_assigned";
    public const string DemandTransferred = "demand_transferred";
    public const string DemandUrged = "demand_urged";
    public const string ExtensionRequested = "extension_requested";
    public const string DemandAccepted = "demand_accepted";
    public const string DemandProgress = "demand_progress";
    public const string DemandResolved = "demand_resolved";
    public const string ExtensionDecided = "extension_decided";
    public const string DemandReopened = "demand_reopened";
    public const string DemandReturned = "demand_returned";
    public const string DemandWithdrawn = "demand_withdrawn";
    /// <summary>To the enterprise's contacts: the demand's due date changed (extension approved, new date after a reopen, a meeting's decision).</summary>
    public const string DemandDueChanged = "demand_due_changed";
    /// <summary>To the owner: the due date of a demand they already own was set anew.</summary>
    public const string DemandDueDateSet = "demand_due_date_set";
    /// <summary>To the commissioners: WeChat's content check held a new demand for a person's review.</summary>
    public const string DemandReviewNeeded = "demand_review_needed";
    /// <summary>To the contact who submitted it: the outcome of the review.</summary>
    public const string DemandReviewed = "demand_reviewed";
    /// <summary>To an enterprise's liaison: no visit recorded this month yet (once per enterprise and month).</summary>
    public const string VisitDue = "visit_due";
    /// <summary>To every member of the branch: the monthly meeting's agenda is ready.</summary>
    public const string MeetingScheduled = "meeting_scheduled";
    /// <summary>To an enterprise's staff: a material list was sent to them.</summary>
    public const string MaterialReceived = "material_received";

    // Produced by the reminder scheduler.
    public const string DemandDueSoon = "demand_due_soon";
    public const string DemandOverdue = "demand_overdue";
    public const string DemandOverdueCommissioner = "demand_overdue_commissioner";
    public const string DemandOverdueSecretary = "demand_overdue_secretary";
}

/// <summary>
/// Writes notifications into <c>notification_outbox</c> inside the caller's transaction, so a notification exists
/// exactly when the action it reports was committed. Delivery is the dispatcher's job.
/// </summary>
public static class Outbox
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task EnqueueAsync(DbConnection connection, DbTransaction tx, string kind, IEnumerable<Recipient> recipients,
        long? demandId, object payload, DateTimeOffset now, CancellationToken ct) =>
        EnqueueAsync(connection, tx, kind, recipients, demandId, payload, now, now, ct);

    /// <summary>
    /// Queues a notification whose WeChat push waits until <paramref name="pushAfter"/> (quiet hours); the inbox entry
    /// is written at once all the same.
    /// </summary>
    public static async Task EnqueueAsync(DbConnection connection, DbTransaction tx, string kind, IEnumerable<Recipient> recipients,
        long? demandId, object payload, DateTimeOffset now, DateTimeOffset pushAfter, CancellationToken ct)
    {
        var parameters = new DynamicParameters();
        var sql = InsertStatement(parameters, "ob", kind, recipients, demandId, payload, now, pushAfter);
        if (sql.Length == 0)
        {
            return;
        }
        await connection.ExecuteAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct));
    }

    /// <summary>
    /// One multi-row INSERT of a notification's outbox rows (one per distinct recipient), for a caller that sends it in a
    /// batch of its own inside its transaction; empty when there is nobody to tell. Parameters are named after
    /// <paramref name="prefix"/>. <paramref name="payloadSql"/> turns the parameter that holds the JSON payload into the
    /// SQL expression stored (for example a REPLACE that puts in a value known only inside the batch).
    /// </summary>
    public static string InsertStatement(DynamicParameters parameters, string prefix, string kind, IEnumerable<Recipient> recipients, long? demandId,
        object payload, DateTimeOffset now, DateTimeOffset pushAfter, Func<string, string>? payloadSql = null)
    {
        var distinct = recipients.Distinct().ToList();
        if (distinct.Count == 0)
        {
            return "";
        }
        parameters.Add($"{prefix}Kind", kind);
        parameters.Add($"{prefix}DemandId", demandId);
        parameters.Add($"{prefix}Payload", JsonSerializer.Serialize(payload, Json));
        parameters.Add($"{prefix}PushAfter", pushAfter.UtcDateTime);
        parameters.Add($"{prefix}Now", now.UtcDateTime);
        var payloadExpression = payloadSql?.Invoke($"@{prefix}Payload") ?? $"@{prefix}Payload";
        var rows = new List<string>(distinct.Count);
        for (var i = 0; i < distinct.Count; i++)
        {
            parameters.Add($"{prefix}Type{i}", distinct[i].Type);
            parameters.Add($"{prefix}Id{i}", distinct[i].Id);
            rows.Add($"(@{prefix}Kind, @{prefix}Type{i}, @{prefix}Id{i}, @{prefix}DemandId, {payloadExpression}, @{prefix}PushAfter, @{prefix}Now)");
        }
        return "INSERT INTO notification_outbox (kind, recipient_type, recipient_id, demand_id, payload, next_attempt_at, created_at) VALUES "
            + string.Join(", ", rows);
    }

    /// <summary>
    /// The commissioners of the branch of the enterprise <c>@commissionersOfEnterprise</c>, as (user id, member id) rows in
    /// the order <see cref="CommissionersAsync"/> reads them; turn them into recipients with <see cref="AsRecipients"/>.
    /// </summary>
    public const string CommissionersOfEnterpriseQuery = """
        SELECT u.id, u.member_id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'commissioner'
        WHERE u.branch_id = (SELECT e.branch_id FROM enterprises e WHERE e.id = @commissionersOfEnterprise) ORDER BY u.id
        """;

    /// <summary>Users as recipients: as members where their user is linked to one, otherwise as users.</summary>
    public static List<Recipient> AsRecipients(IEnumerable<(long UserId, long? MemberId)> rows) =>
        rows.Select(r => r.MemberId is { } m ? Recipient.Member(m) : Recipient.User(r.UserId)).Distinct().ToList();

    /// <summary>The branch's service commissioners: as members where their user is linked to one, otherwise as users.</summary>
    public static async Task<IReadOnlyList<Recipient>> CommissionersAsync(DbConnection connection, DbTransaction tx, long branchId, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(long UserId, long? MemberId)>(new CommandDefinition("""
            SELECT u.id, u.member_id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'commissioner'
            WHERE u.branch_id = @branchId ORDER BY u.id
            """, new { branchId }, tx, cancellationToken: ct));
        return rows.Select(r => r.MemberId is { } m ? Recipient.Member(m) : Recipient.User(r.UserId)).Distinct().ToList();
    }

    /// <summary>The branch's secretaries, as members where their user is linked to one, otherwise as users.</summary>
    public static async Task<IReadOnlyList<Recipient>> SecretariesAsync(DbConnection connection, DbTransaction tx, long branchId, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(long UserId, long? MemberId)>(new CommandDefinition("""
            SELECT u.id, u.member_id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'secretary'
            WHERE u.branch_id = @branchId ORDER BY u.id
            """, new { branchId }, tx, cancellationToken: ct));
        return rows.Select(r => r.MemberId is { } m ? Recipient.Member(m) : Recipient.User(r.UserId)).Distinct().ToList();
    }

    public static async Task<IReadOnlyList<Recipient>> EnterpriseStaffAsync(DbConnection connection, DbTransaction tx, long enterpriseId, CancellationToken ct) =>
        (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'staff' WHERE u.enterprise_id = @enterpriseId ORDER BY u.id
            """, new { enterpriseId }, tx, cancellationToken: ct))).Select(Recipient.User).ToList();

    public static async Task<IReadOnlyList<Recipient>> DepartmentLiaisonsAsync(DbConnection connection, DbTransaction tx, long departmentId, CancellationToken ct) =>
        (await connection.QueryAsync<long>(new CommandDefinition("""
            SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id AND r.role = 'department_liaison' WHERE u.department_id = @departmentId ORDER BY u.id
            """, new { departmentId }, tx, cancellationToken: ct))).Select(Recipient.User).ToList();
}
