namespace EcoAid.Api.Features.Demands;

/// <summary>The states of a demand (诉求), as they appear on the wire.</summary>
public static class DemandStatus
{
    /// <summary>WeChat's content check called it risky or asked for a review: a commissioner or the secretary looks first.</summary>
    public const string PendingReview = "pending_review";
    public const string Submitted = "submitted";
    public const string Accepted = "accepted";
    public const string Resolved = "resolved";
    public const string Closed = "closed";
    public const string Returned = "returned";
    public const string Withdrawn = "withdrawn";

    public static readonly IReadOnlyList<string> All = [PendingReview, Submitted, Accepted, Resolved, Closed, Returned, Withdrawn];

    /// <summary>States in which the demand is still being worked.</summary>
    public static readonly IReadOnlyList<string> Open = [PendingReview, Submitted, Accepted, Resolved];
}

/// <summary>What can be done to a demand.</summary>
public enum DemandAction
{
    Accept,
    Progress,
    Urge,
    RequestExtension,
    DecideExtension,
    SetDueDate,
    Resolve,
    ConfirmSolved,
    ConfirmUnsolved,
    Return,
    Withdraw,
    /// <summary>Hand an accepted demand to another member or department (a meeting decision).</summary>
    Reassign,
    /// <summary>Raise the demand to key supervision (重点督办; a meeting decision).</summary>
    Escalate,
    /// <summary>An internal note on an open demand (a meeting decision).</summary>
    Note,
    /// <summary>A person looked at a demand held for review and let it into the normal flow.</summary>
    ReviewAccept,
    /// <summary>A person looked at a demand held for review and returned it with a reason.</summary>
    ReviewReturn,
}

/// <summary>
/// The demand lifecycle: (pending_review →) submitted → accepted → resolved → closed; resolved → accepted again when the enterprise is
/// not satisfied (reopen); submitted → returned (not in remit); any open state → withdrawn by the enterprise.
/// Pure: it knows states and actions, not people or the database.
/// </summary>
public static class DemandStateMachine
{
    /// <summary>The state after <paramref name="action"/>, or null when the action is not allowed in <paramref name="status"/>.</summary>
    public static string? Next(string status, DemandAction action) => (status, action) switch
    {
        (DemandStatus.PendingReview, DemandAction.ReviewAccept) => DemandStatus.Submitted,
        (DemandStatus.PendingReview, DemandAction.ReviewReturn) => DemandStatus.Returned,
        (DemandStatus.Submitted, DemandAction.Accept) => DemandStatus.Accepted,
        (DemandStatus.Submitted, DemandAction.Return) => DemandStatus.Returned,
        (DemandStatus.Submitted, DemandAction.Escalate or DemandAction.Note) => DemandStatus.Submitted,
        (DemandStatus.Accepted, DemandAction.Progress or DemandAction.Urge or DemandAction.RequestExtension
            or DemandAction.DecideExtension or DemandAction.SetDueDate or DemandAction.Reassign
            or DemandAction.Escalate or DemandAction.Note) => DemandStatus.Accepted,
        (DemandStatus.Resolved, DemandAction.Note) => DemandStatus.Resolved,
        (DemandStatus.Accepted, DemandAction.Resolve) => DemandStatus.Resolved,
        (DemandStatus.Resolved, DemandAction.ConfirmSolved) => DemandStatus.Closed,
        (DemandStatus.Resolved, DemandAction.ConfirmUnsolved) => DemandStatus.Accepted,
        (DemandStatus.PendingReview or DemandStatus.Submitted or DemandStatus.Accepted or DemandStatus.Resolved, DemandAction.Withdraw) => DemandStatus.Withdrawn,
        _ => null,
    };

    public static bool IsOpen(string status) => DemandStatus.Open.Contains(status);
}
