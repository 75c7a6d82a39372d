namespace EcoAid.Api.Features.Demands;

/// <summary>The caller's part in one demand, as far as the workflow cares (computed from roles and the demand row).</summary>
/// <param name="Manager">A commissioner or the secretary of the demand's branch.</param>
/// <param name="Owner">The member who owns it, or a liaison of the department it was transferred to.</param>
/// <param name="StaffOfEnterprise">A contact person of the enterprise that raised it.</param>
public sealed record DemandActor(bool Manager, bool Owner, bool StaffOfEnterprise);

/// <summary>
/// What the caller may do to a demand now: the workflow actions (their wire names, as in <c>allowedActions</c>) that
/// the state machine allows in the demand's state and that the caller's part permits. The endpoints check the same
/// rules through <see cref="Permits"/>, so the buttons the app shows and the answers it gets cannot disagree.
/// </summary>
public static class DemandPermissions
{
    /// <summary>One workflow action: its wire name, the state-machine action(s) behind it, and who may do it.</summary>
    public sealed record Rule(string Name, DemandAction[] Actions, Func<DemandActor, bool, bool> Who);

    /// <summary>Every workflow action the HTTP API offers. The bool passed to <see cref="Rule.Who"/> is "an extension request is pending".</summary>
    public static readonly IReadOnlyList<Rule> Rules =
    [
        new("reviewAccept", [DemandAction.ReviewAccept], (a, _) => a.Manager),
        new("reviewReturn", [DemandAction.ReviewReturn], (a, _) => a.Manager),
        new("accept", [DemandAction.Accept], (a, _) => a.Manager),
        new("progress", [DemandAction.Progress], (a, _) => a.Owner || a.Manager),
        new("urge", [DemandAction.Urge], (a, _) => a.Manager),
        new("requestExtension", [DemandAction.RequestExtension], (a, pending) => a.Owner && !pending),
        new("approveExtension", [DemandAction.DecideExtension], (a, pending) => a.Manager && pending),
        new("rejectExtension", [DemandAction.DecideExtension], (a, pending) => a.Manager && pending),
        new("setDueDate", [DemandAction.SetDueDate], (a, _) => a.Manager),
        new("setResponsible", [DemandAction.Reassign], (a, _) => a.Manager),
        new("resolve", [DemandAction.Resolve], (a, _) => a.Owner),
        new("confirm", [DemandAction.ConfirmSolved, DemandAction.ConfirmUnsolved], (a, _) => a.StaffOfEnterprise),
        new("return", [DemandAction.Return], (a, _) => a.Manager),
        new("withdraw", [DemandAction.Withdraw], (a, _) => a.StaffOfEnterprise),
    ];

    /// <summary>The names of the actions the caller may take now, in the order of <see cref="Rules"/>.</summary>
    public static IReadOnlyList<string> Allowed(string status, bool extensionPending, DemandActor actor) =>
        Rules.Where(r => Permits(r, status, extensionPending, actor)).Select(r => r.Name).ToList();

    public static bool Permits(Rule rule, string status, bool extensionPending, DemandActor actor) =>
        rule.Actions.Any(a => DemandStateMachine.Next(status, a) is not null) && rule.Who(actor, extensionPending);
}
