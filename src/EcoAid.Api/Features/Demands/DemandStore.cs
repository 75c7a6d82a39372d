using EcoAid.Api.Features.Organisation;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;

namespace EcoAid.Api.Features.Demands;

/// <summary>The demand row as the workflow reads it (the list reads fewer columns, see <see cref="DemandStore.ListSelect"/>).</summary>
internal class DemandRow
{
    public long Id { get; init; }
    public long BranchId { get; init; }
    public long EnterpriseId { get; init; }
    public string EnterpriseName { get; init; } = "";
    public long? LiaisonMemberId { get; init; }
    public string Number { get; init; } = "";
    public string Category { get; init; } = "";
    public string Source { get; init; } = "";
    public string Title { get; init; } = "";
    public string Description { get; init; } = "";
    public bool Urgent { get; init; }
    public DateTime? ExpectedBy { get; init; }
    public string Status { get; init; } = "";
    public string ContentCheck { get; init; } = "";
    public string? Objective { get; init; }
    public string? Measures { get; init; }
    public long? OwnerMemberId { get; init; }
    public string? OwnerName { get; init; }
    public long? DepartmentId { get; init; }
    public string? DepartmentName { get; init; }
    public string? ResponsibleUnit { get; init; }
    public string? ResponsibleUnitKind { get; init; }
    public string? ResponsiblePersonKind { get; init; }
    public string? ResponsiblePersonName { get; init; }
    public string? ResponsiblePersonPhone { get; init; }
    public long? ResponsibleUserId { get; init; }
    public long SubmittedBy { get; init; }
    public DateTime? DueDate { get; init; }
    public DateTime? ExtensionDueDate { get; init; }
    public string? ExtensionReason { get; init; }
    public string? Resolution { get; init; }
    public bool? Solved { get; init; }
    public int? Satisfaction { get; init; }
    public string? RatingComment { get; init; }
    public int ReopenCount { get; init; }
    public string? ClosingReason { get; init; }
    public DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset? AcceptedAt { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public int Version { get; init; }
    /// <summary>The enterprise's primary contact (企业联系人), as the detail names the enterprise's person.</summary>
    public string? ContactName { get; init; }
    public string? ContactTitle { get; init; }
    public string? ContactPhone { get; init; }

    public DateOnly? Due => DueDate is { } d ? DateOnly.FromDateTime(d) : null;

    public bool IsOverdue(DateTimeOffset now) => Due is { } due && DemandStateMachine.IsOpen(Status) && Status != DemandStatus.Resolved && WorkingCalendar.IsOverdue(due, now);

    /// <summary>责任单位 and 责任人 as the API shows them; null before the demand is accepted.</summary>
    public ResponsibleView? Responsible => ResponsibleUnitKind is null ? null
        : new ResponsibleView(ResponsibleUnitKind, ResponsibleUnit ?? "", ResponsiblePersonKind, ResponsiblePersonName,
            ResponsiblePersonKind == "other" ? ResponsiblePersonPhone : null, OwnerMemberId, ResponsibleUserId);

    public IReadOnlyList<string> MeasureList => Measures is null ? [] : JsonSerializer.Deserialize<string[]>(Measures) ?? [];
}

/// <summary>
/// A row of the demand list: the columns of <see cref="DemandStore.ListSelect"/>, and, where the page keeps its total,
/// the demands' state read in the same statement (<see cref="DemandCounts"/>).
/// </summary>
internal sealed class DemandListRow : DemandRow
{
    public long? ListChanges { get; init; }
    public long? ListLastId { get; init; }
}

/// <summary>A demand found by <see cref="DemandStore.ReachAsync"/>, or the refusal to answer with.</summary>
internal sealed record DemandInReach(DemandRow? Demand, IResult? Refusal)
{
    [MemberNotNullWhen(true, nameof(Demand))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool Found => Demand is not null;
}

/// <summary>Reads demands within a user's reach; the reach rules live here and nowhere else.</summary>
internal static class DemandStore
{
    public const string Select = """
        SELECT d.id, d.branch_id, d.enterprise_id, e.name AS enterprise_name, e.liaison_member_id, d.number, d.category, d.source,
               d.title, d.description, d.urgent, d.expected_by, d.status, d.content_check, d.objective, d.measures,
               d.owner_member_id, m.name AS owner_name, d.department_id, dep.name AS department_name, d.responsible_unit, d.responsible_unit_kind,
               d.responsible_person_kind, d.responsible_person_name, d.responsible_person_phone, d.responsible_user_id, d.due_date,
               d.extension_due_date, d.extension_reason, d.resolution, d.solved, d.satisfaction, d.rating_comment, d.reopen_count,
               d.closing_reason, d.submitted_by, d.submitted_at, d.accepted_at, d.resolved_at, d.closed_at, d.version,
               epc.name AS contact_name, epc.title AS contact_title, epc.phone AS contact_phone
        FROM demands d
        JOIN enterprises e ON e.id = d.enterprise_id
        LEFT JOIN enterprise_contacts epc ON epc.enterprise_id = d.enterprise_id AND epc.is_primary
        LEFT JOIN members m ON m.id = d.owner_member_id
        LEFT JOIN departments dep ON dep.id = d.department_id
        """;

    /// <summary>
    /// What a list item shows and what decides its allowed actions, and nothing more: no long texts, no enterprise
    /// contact (the detail's <see cref="Select"/> has them). Columns a list row leaves out keep their defaults.
    /// </summary>
    public const string ListSelect = """
        SELECT d.id, d.branch_id, d.enterprise_id, e.name AS enterprise_name, d.number, d.category, d.source, d.title, d.urgent,
               d.status, d.owner_member_id, m.name AS owner_name, d.department_id, dep.name AS department_name,
               d.responsible_unit, d.responsible_unit_kind, d.responsible_person_kind, d.responsible_person_name,
               d.responsible_person_phone, d.responsible_user_id, d.due_date, d.extension_due_date, d.submitted_at, d.version
        """;

    /// <summary>The joins of <see cref="ListSelect"/>.</summary>
    public const string ListFrom = """
        FROM demands d
        JOIN enterprises e ON e.id = d.enterprise_id
        LEFT JOIN members m ON m.id = d.owner_member_id
        LEFT JOIN departments dep ON dep.id = d.department_id
        """;

    /// <summary>
    /// Who reaches which demands: commissioners and secretaries every demand of their branches, city users every one
    /// not held for review; a member
    /// those they own and those of the enterprises they are liaison for; a department liaison those transferred to their
    /// department; enterprise staff their own enterprise's.
    /// </summary>
    public static string ReachClause(CurrentUser user)
    {
        var parts = new List<string>();
        const string Reviewed = "d.status <> 'pending_review'";
        if (user.IsAnyOf(Roles.Commissioner, Roles.Secretary))
        {
            parts.Add("TRUE");
        }
        if (user.IsAnyOf(Roles.CityViewer, Roles.CityAdmin))
        {
            parts.Add(Reviewed);
        }
        if (user.IsInRole(Roles.Member) && user.MemberId is not null)
        {
            parts.Add($"((d.owner_member_id = @ReachMemberId OR e.liaison_member_id = @ReachMemberId) AND {Reviewed})");
        }
        if (user.IsInRole(Roles.DepartmentLiaison) && user.DepartmentId is not null)
        {
            parts.Add($"(d.department_id = @ReachDepartmentId AND {Reviewed})");
        }
        if (user.IsInRole(Roles.Staff) && user.EnterpriseId is not null)
        {
            // A demand held for review is seen by the contact who submitted it, and by no other contact.
            parts.Add($"(d.enterprise_id = @ReachEnterpriseId AND ({Reviewed} OR d.submitted_by = @ReachUserId))");
        }
        return parts.Count == 0 ? "FALSE" : $"d.branch_id IN @ReachBranchIds AND ({string.Join(" OR ", parts)})";
    }

    public static DynamicParameters ReachParameters(CurrentUser user)
    {
        var p = new DynamicParameters();
        p.Add("ReachBranchIds", user.BranchIds);
        p.Add("ReachMemberId", user.MemberId);
        p.Add("ReachDepartmentId", user.DepartmentId);
        p.Add("ReachEnterpriseId", user.EnterpriseId);
        p.Add("ReachUserId", user.Id);
        return p;
    }

    /// <summary>Internal events and notes are for the task force; staff only ever see public ones.</summary>
    public static bool SeesInternal(CurrentUser user) =>
        user.IsAnyOf(Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.DepartmentLiaison, Roles.CityViewer, Roles.CityAdmin);

    public static async Task<DemandRow?> FindAsync(DbConnection connection, DbTransaction? tx, long id, CurrentUser user, CancellationToken ct)
    {
        var p = ReachParameters(user);
        p.Add("id", id);
        return await connection.QuerySingleOrDefaultAsync<DemandRow>(new CommandDefinition(
            $"{Select} WHERE d.id = @id AND {ReachClause(user)}", p, tx, cancellationToken: ct));
    }

    /// <summary>
    /// The first step of an action a feature adds to a demand (吹哨 报到, 信用修复): the demand within the user's reach that
    /// also <paramref name="fits"/> the feature (its source, its category), or the answer to give instead — 404 when out
    /// of reach, the feature's own refusal when it does not fit.
    /// </summary>
    public static async Task<DemandInReach> ReachAsync(DbConnection connection, long id, CurrentUser user, Func<DemandRow, IResult?>? fits,
        CancellationToken ct)
    {
        var demand = await FindAsync(connection, null, id, user, ct);
        if (demand is null)
        {
            return new DemandInReach(null, Problems.NotFound());
        }
        return fits?.Invoke(demand) is { } refusal ? new DemandInReach(null, refusal) : new DemandInReach(demand, null);
    }

    /// <summary>The caller's part in <paramref name="d"/> (the caller reaches it).</summary>
    public static DemandActor ActorOf(CurrentUser user, DemandRow d) => new(
        Manager: user.IsAnyOf(Roles.Commissioner, Roles.Secretary) && user.BranchIds.Contains(d.BranchId),
        Owner: (d.OwnerMemberId is { } owner && user.MemberId == owner)
            || (d.DepartmentId is { } department && user.IsInRole(Roles.DepartmentLiaison) && user.DepartmentId == department),
        StaffOfEnterprise: user.IsInRole(Roles.Staff) && user.EnterpriseId == d.EnterpriseId);

    public static IReadOnlyList<string> AllowedActions(CurrentUser user, DemandRow d) =>
        DemandPermissions.Allowed(d.Status, d.ExtensionDueDate is not null, ActorOf(user, d));

    public static async Task<DemandDetail> DetailAsync(DbConnection connection, DemandRow d, CurrentUser user, DateTimeOffset now, CancellationToken ct)
    {
        var internalToo = SeesInternal(user);
        var events = (await connection.QueryAsync<EventRow>(new CommandDefinition($"""
            SELECT ev.id, ev.kind, ev.visibility, {PersonNames.Actor} AS actor_name,
                   ev.text, ev.created_at,
                   (SELECT JSON_ARRAYAGG(a.attachment_id) FROM demand_event_attachments a WHERE a.event_id = ev.id) AS attachment_ids
            FROM demand_events ev LEFT JOIN users u ON u.id = ev.actor_user_id
            WHERE ev.demand_id = @Id AND (@internalToo OR ev.visibility = 'public')
            ORDER BY ev.id
            """, new { d.Id, internalToo }, cancellationToken: ct))).Select(e => e.ToEvent()).ToList();
        return new DemandDetail(d.Id, d.Number, d.BranchId, d.EnterpriseId, d.EnterpriseName, d.Category, d.Source, d.Title, d.Description, d.Urgent,
            d.ExpectedBy is { } eb ? DateOnly.FromDateTime(eb) : null, d.Status, internalToo ? d.ContentCheck : null, d.Objective, d.MeasureList,
            d.OwnerMemberId is { } o ? new PersonRef(o, d.OwnerName ?? "") : null,
            d.DepartmentId is { } dep ? new PersonRef(dep, d.DepartmentName ?? "") : null,
            d.ResponsibleUnit, d.Due, d.IsOverdue(now),
            internalToo && d.ExtensionDueDate is { } x ? new ExtensionView(DateOnly.FromDateTime(x), d.ExtensionReason ?? "") : null,
            d.Resolution, d.Solved is { } solved ? new RatingView(solved, d.Satisfaction ?? 0, d.RatingComment) : null, d.ReopenCount, d.ClosingReason,
            d.SubmittedAt, d.AcceptedAt, d.ResolvedAt, d.ClosedAt, d.Version, events, d.Responsible, AllowedActions(user, d),
            d.ContactName is { } contact
                ? new EnterpriseContactView(contact, d.ContactTitle, user.SeesFullPhoneNumbers ? d.ContactPhone : Infrastructure.Validation.PhoneNumbers.Mask(d.ContactPhone))
                : null);
    }

    public static Task<long> AppendEventAsync(DbConnection connection, DbTransaction tx, long demandId, long? actorUserId, string kind, string visibility,
        string? text, IReadOnlyCollection<long>? attachmentIds, DateTimeOffset now, CancellationToken ct) =>
        AppendEventAsync(connection, tx, demandId, actorUserId, kind, visibility, text, null, attachmentIds, now, ct);

    /// <summary>
    /// Appends a timeline event. <paramref name="details"/> is machine-readable JSON for what statistics read back
    /// (a confirmation's rating, the due date a resolution was measured against, the meeting behind a decision).
    /// </summary>
    public static async Task<long> AppendEventAsync(DbConnection connection, DbTransaction tx, long demandId, long? actorUserId, string kind, string visibility,
        string? text, string? details, IReadOnlyCollection<long>? attachmentIds, DateTimeOffset now, CancellationToken ct)
    {
        var eventId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
            VALUES (@demandId, @actorUserId, @kind, @visibility, @text, @details, @now);
            SELECT LAST_INSERT_ID();
            """, new { demandId, actorUserId, kind, visibility, text, details, now = now.UtcDateTime }, tx, cancellationToken: ct));
        if (attachmentIds is { Count: > 0 })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO demand_event_attachments (event_id, attachment_id) VALUES (@eventId, @attachmentId)",
                attachmentIds.Distinct().Select(a => new { eventId, attachmentId = a }), tx, cancellationToken: ct));
        }
        return eventId;
    }

    /// <summary>True when every id is an attachment this user uploaded (only your own uploads can be attached).</summary>
    public static async Task<bool> OwnsAttachmentsAsync(DbConnection connection, DbTransaction tx, long userId, long[]? ids, CancellationToken ct)
    {
        if (ids is not { Length: > 0 })
        {
            return true;
        }
        var distinct = ids.Distinct().ToArray();
        var owned = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM attachments WHERE id IN @distinct AND uploaded_by = @userId", new { distinct, userId }, tx, cancellationToken: ct));
        return owned == distinct.Length;
    }

    private sealed class EventRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string Visibility { get; init; } = "";
        public string? ActorName { get; init; }
        public string? Text { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public string? AttachmentIds { get; init; }

        public TimelineEvent ToEvent() => new(Id, Kind, Visibility, ActorName, Text,
            Infrastructure.Database.IdLists.Parse(AttachmentIds), CreatedAt);
    }
}
