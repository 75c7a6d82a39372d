using System.Text.Json;
using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using MySqlConnector;

namespace EcoAid.Api.Features.Audit;

/// <summary>The kinds of security event; the query endpoint filters by them.</summary>
public static class AuditKinds
{
    public const string Login = "login";
    public const string AccessRefused = "access_refused";
    public const string InviteCreated = "invite_created";
    public const string RoleGranted = "role_granted";
    public const string RoleChanged = "role_changed";
    public const string PhoneRevealed = "phone_revealed";
    public const string Export = "export";
    public const string ReportDownloaded = "report_downloaded";
    public const string ReportIssued = "report_issued";
    public const string PersonalDataViewed = "personal_data_viewed";
    public const string PersonalDataExported = "personal_data_exported";
    public const string UserDeactivated = "user_deactivated";
    public const string ResponsibleChanged = "responsible_changed";
    public const string EnterpriseContactChanged = "enterprise_contact_changed";

    // The programme's tools: every change they make (the export of a 监督帮扶 batch is an Export).
    public const string SupervisionListUploaded = "supervision_list_uploaded";
    public const string SupervisionMappingChanged = "supervision_mapping_changed";
    public const string SupervisionApplied = "supervision_applied";
    public const string SupervisionClosedOut = "supervision_closed_out";
    public const string WhistleReportedIn = "whistle_reported_in";
    public const string CreditRepairRecorded = "credit_repair_recorded";
    public const string CreditRepairMaterialTicked = "credit_repair_material_ticked";
    public const string LeniencyChecked = "leniency_checked";
    public const string LeniencyFollowedUp = "leniency_followed_up";
}

/// <summary>
/// One security event. <paramref name="Detail"/> is serialised as JSON: ids, filters, formats — never a secret, token,
/// openid or phone number. <paramref name="BranchId"/>/<paramref name="CityId"/> decide which administrators see it.
/// </summary>
public sealed record AuditEvent(string Kind, long? ActorUserId, long? BranchId, long? CityId,
    string? SubjectType = null, long? SubjectId = null, object? Detail = null, string? Method = null, string? Path = null, int? Status = null)
{
    /// <summary>An event done by <paramref name="user"/>, placed in their branch (or their city, for city-level users).</summary>
    public static AuditEvent By(CurrentUser user, string kind, string? subjectType = null, long? subjectId = null, object? detail = null) =>
        new(kind, user.Id, user.BranchId, user.CityId, subjectType, subjectId, detail);
}

/// <summary>
/// The audit trail's one entry point: <c>await AuditTrail.RecordAsync(connection, tx, AuditEvent.By(user, AuditKinds.Export, detail: new { filter }), now, ct)</c>.
/// Pass the transaction of the change being audited, so the event is written with it or not at all; pass null for
/// reads (exports, views), where the event is written on its own.
/// </summary>
public static class AuditTrail
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task RecordAsync(MySqlConnection connection, MySqlTransaction? tx, AuditEvent e, DateTimeOffset at, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_events (occurred_at, kind, actor_user_id, city_id, branch_id, subject_type, subject_id, method, path, status, detail)
            VALUES (@at, @Kind, @ActorUserId, @CityId, @BranchId, @SubjectType, @SubjectId, @Method, @Path, @Status, @detail)
            """, new
        {
            at = at.UtcDateTime, e.Kind, e.ActorUserId, e.CityId, e.BranchId, e.SubjectType, e.SubjectId, e.Method,
            Path = e.Path is { Length: > 300 } p ? p[..300] : e.Path, e.Status,
            detail = e.Detail is null ? null : JsonSerializer.Serialize(e.Detail, Json),
        }, tx, cancellationToken: ct));

    /// <summary>
    /// A login (the app's or the desk console's), placed where the user works as the users row says at that moment, so
    /// their administrator sees it: read and written in one statement, within the login's transaction.
    /// </summary>
    public static Task RecordLoginAsync(MySqlConnection connection, MySqlTransaction tx, long userId, object? detail, DateTimeOffset at,
        CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_events (occurred_at, kind, actor_user_id, city_id, branch_id, detail)
            SELECT @at, @kind, u.id, u.city_id, u.branch_id, @detail FROM users u WHERE u.id = @userId
            """, new
        {
            at = at.UtcDateTime, kind = AuditKinds.Login, userId, detail = detail is null ? null : JsonSerializer.Serialize(detail, Json),
        }, tx, cancellationToken: ct));

    /// <summary>For reads: opens a connection of its own.</summary>
    public static async Task RecordAsync(MySqlDataSource db, AuditEvent e, DateTimeOffset at, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await RecordAsync(connection, null, e, at, ct);
    }
}
