using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Features.Stats;

/// <summary>A rate with the counts behind it. No denominator → <c>value</c> is null (never NaN, never an error).</summary>
public sealed record Rate(double? Value, int Numerator, int Denominator)
{
    public static Rate Of(int numerator, int denominator) =>
        denominator == 0 ? new Rate(null, 0, 0) : new Rate(Math.Round((double)numerator / denominator, 4), numerator, denominator);
}

internal sealed record SubmittedFact(long DemandId, long BranchId, long EnterpriseId, long? OwnerMemberId, string Category, string Source, string Status,
    DateTimeOffset SubmittedAt, DateTimeOffset? AcceptedAt);

/// <summary>One resolution (办结): a <c>resolved</c> timeline event, with the due date in force when it happened.</summary>
internal sealed record ResolutionFact(long DemandId, long BranchId, long EnterpriseId, long? OwnerMemberId, DateTimeOffset ResolvedAt, DateOnly? DueDate);

/// <summary>One confirmation by the enterprise: a <c>confirmed</c> (solved) or <c>reopened</c> (not solved) timeline event.</summary>
internal sealed record ConfirmationFact(long DemandId, long BranchId, long EnterpriseId, long? OwnerMemberId, DateTimeOffset At, bool Solved, int? Satisfaction);

internal sealed record VisitFact(long VisitId, long BranchId, long EnterpriseId, IReadOnlyList<long> MemberIds);

/// <summary>
/// The programme's four rates, as defined in miniprogram-api-docs/stats.md. A period is <c>[from 00:00, to + 1 day
/// 00:00)</c> Asia/Shanghai; each rate is reported with its numerator and denominator.
/// </summary>
internal static class Kpis
{
    /// <summary>Ratings 4 (基本满意) and 5 (满意) count as satisfied; 1–3 do not.</summary>
    public const int SatisfiedFrom = 4;

    /// <summary>
    /// 响应率: of the demands submitted in the period whose response limit has passed (at <paramref name="now"/>) or that
    /// were accepted, those accepted (claimed or transferred) within <paramref name="limit"/> of submission.
    /// A demand still waiting inside its limit is not counted yet.
    /// </summary>
    public static Rate Response(IEnumerable<SubmittedFact> submitted, TimeSpan limit, DateTimeOffset now)
    {
        var due = submitted.Where(d => d.AcceptedAt is not null || d.SubmittedAt + limit <= now).ToList();
        return Rate.Of(due.Count(d => d.AcceptedAt is { } accepted && accepted - d.SubmittedAt <= limit), due.Count);
    }

    /// <summary>
    /// 按期办结率: of the resolutions in the period, those on or before the due date in force at the time (after approved
    /// extensions), comparing Shanghai dates. A demand resolved, reopened and resolved again counts each time.
    /// </summary>
    public static Rate OnTime(IEnumerable<ResolutionFact> resolutions)
    {
        var all = resolutions.ToList();
        return Rate.Of(all.Count(r => r.DueDate is not { } due || Periods.DateOf(r.ResolvedAt) <= due), all.Count);
    }

    /// <summary>解决率: of the confirmations received in the period, those answering "solved".</summary>
    public static Rate Resolution(IEnumerable<ConfirmationFact> confirmations)
    {
        var all = confirmations.ToList();
        return Rate.Of(all.Count(c => c.Solved), all.Count);
    }

    /// <summary>满意率: of the ratings received in the period (one per confirmation), those of 4 or 5.</summary>
    public static Rate Satisfaction(IEnumerable<ConfirmationFact> confirmations)
    {
        var rated = confirmations.Where(c => c.Satisfaction is not null).ToList();
        return Rate.Of(rated.Count(c => c.Satisfaction >= SatisfiedFrom), rated.Count);
    }
}

/// <summary>The facts of a period the rates are computed from, read once for every branch in scope.</summary>
internal sealed class StatsFacts
{
    public required List<SubmittedFact> Submitted { get; init; }
    public required List<ResolutionFact> Resolutions { get; init; }
    public required List<ConfirmationFact> Confirmations { get; init; }
    public required List<VisitFact> Visits { get; init; }

    public static async Task<StatsFacts> LoadAsync(DbConnection connection, IReadOnlyList<long> branchIds, DateTime fromUtc, DateTime toUtc, CancellationToken ct)
    {
        var visitFrom = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(fromUtc, Calendar.WorkingCalendar.Shanghai));
        var visitTo = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(toUtc, Calendar.WorkingCalendar.Shanghai)).AddDays(-1);
        using var results = await connection.QueryMultipleAsync(new CommandDefinition("""
            SELECT d.id AS demand_id, d.branch_id, d.enterprise_id, d.owner_member_id, d.category, d.source, d.status, d.submitted_at, d.accepted_at
            FROM demands d WHERE d.branch_id IN @branchIds AND d.submitted_at >= @fromUtc AND d.submitted_at < @toUtc;
            SELECT ev.demand_id, d.branch_id, d.enterprise_id, d.owner_member_id, ev.kind, ev.details, ev.created_at,
                   d.due_date AS row_due_date, d.satisfaction AS row_satisfaction
            FROM demand_events ev JOIN demands d ON d.id = ev.demand_id
            WHERE ev.kind IN ('resolved', 'confirmed', 'reopened') AND ev.created_at >= @fromUtc AND ev.created_at < @toUtc AND d.branch_id IN @branchIds;
            SELECT v.id AS visit_id, v.branch_id, v.enterprise_id,
                   (SELECT JSON_ARRAYAGG(vm.member_id) FROM visit_members vm WHERE vm.visit_id = v.id) AS member_ids
            FROM visits v WHERE v.branch_id IN @branchIds AND v.visited_on BETWEEN @visitFrom AND @visitTo;
            """, new
        {
            branchIds, fromUtc, toUtc, visitFrom = visitFrom.ToDateTime(TimeOnly.MinValue), visitTo = visitTo.ToDateTime(TimeOnly.MinValue),
        }, cancellationToken: ct));
        var submitted = (await results.ReadAsync<SubmittedRow>()).Select(d => new SubmittedFact(d.DemandId, d.BranchId, d.EnterpriseId, d.OwnerMemberId,
            d.Category, d.Source, d.Status, d.SubmittedAt, d.AcceptedAt)).ToList();
        var events = (await results.ReadAsync<EventRow>()).ToList();
        var visits = (await results.ReadAsync<(long VisitId, long BranchId, long EnterpriseId, string? MemberIds)>())
            .Select(v => new VisitFact(v.VisitId, v.BranchId, v.EnterpriseId, Infrastructure.Database.IdLists.Parse(v.MemberIds))).ToList();

        var resolutions = events.Where(e => e.Kind == "resolved").Select(e => new ResolutionFact(e.DemandId, e.BranchId, e.EnterpriseId, e.OwnerMemberId,
            e.CreatedAt, EventDetails.ReadResolution(e.Details) is { } r ? r.DueDate : e.RowDue)).ToList();
        var confirmations = events.Where(e => e.Kind != "resolved").Select(e =>
        {
            // Events written before details existed: "confirmed" is final, so the row still holds its rating;
            // an old "reopened" was not solved, with a rating the row may since have lost.
            var read = EventDetails.ReadConfirmation(e.Details) ?? new EventDetails.ConfirmationDetails(e.Kind == "confirmed",
                e.Kind == "confirmed" ? e.RowSatisfaction : null);
            return new ConfirmationFact(e.DemandId, e.BranchId, e.EnterpriseId, e.OwnerMemberId, e.CreatedAt, read.Solved, read.Satisfaction);
        }).ToList();
        return new StatsFacts { Submitted = submitted, Resolutions = resolutions, Confirmations = confirmations, Visits = visits };
    }

    private sealed class SubmittedRow
    {
        public long DemandId { get; init; }
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long? OwnerMemberId { get; init; }
        public string Category { get; init; } = "";
        public string Source { get; init; } = "";
        public string Status { get; init; } = "";
        public DateTimeOffset SubmittedAt { get; init; }
        public DateTimeOffset? AcceptedAt { get; init; }
    }

    private sealed class EventRow
    {
        public long DemandId { get; init; }
        public long BranchId { get; init; }
        public long EnterpriseId { get; init; }
        public long? OwnerMemberId { get; init; }
        public string Kind { get; init; } = "";
        public string? Details { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTime? RowDueDate { get; init; }
        public int? RowSatisfaction { get; init; }

        public DateOnly? RowDue => RowDueDate is { } d ? DateOnly.FromDateTime(d) : null;
    }
}
