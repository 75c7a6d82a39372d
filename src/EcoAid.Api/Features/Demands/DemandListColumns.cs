namespace EcoAid.Api.Features.Demands;

/// <summary>
/// 责任单位 and 责任人 as one assignment left them: the unit's kind and name, the person's kind and name, and the phone of a
/// person of another body. Timeline events that set them keep one in their details, so a report can show the pair as it
/// stood at the end of a month.
/// </summary>
public sealed record ResponsibleSnapshot(string UnitKind, string Unit, string? PersonKind, string? Person, string? Phone);

/// <summary>
/// How a demand fills the columns of the lists the branch files (清单, the report's 台账): one place, so that a change to
/// who is responsible for a demand changes every list at once.
/// </summary>
internal static class DemandListColumns
{
    /// <summary>责任单位: the structured unit set on acceptance (the member's unit, the department, or another body), else the department.</summary>
    public static string? ResponsibleUnit(DemandRow d) => d.ResponsibleUnit ?? d.DepartmentName;

    /// <summary>
    /// 责任人: the structured person set on acceptance (the member, the department's liaison, or a person of another body
    /// with their phone, as the bureau's list has it); for rows from before the structured columns, the claiming member,
    /// else the department.
    /// </summary>
    public static string? ResponsiblePerson(DemandRow d) =>
        ResponsiblePerson(d.ResponsiblePersonKind, d.ResponsiblePersonName, d.ResponsiblePersonPhone) ?? d.OwnerName ?? d.DepartmentName;

    /// <summary>责任单位 of a snapshot (a report's 台账 as of a moment).</summary>
    public static string ResponsibleUnit(ResponsibleSnapshot s) => s.Unit;

    /// <summary>责任人 of a snapshot (a report's 台账 as of a moment).</summary>
    public static string? ResponsiblePerson(ResponsibleSnapshot s) => ResponsiblePerson(s.PersonKind, s.Person, s.Phone);

    /// <summary>The one rule: a person of another body is shown with their phone, "王强（13800000000）"; anyone else by name.</summary>
    public static string? ResponsiblePerson(string? personKind, string? name, string? phone) =>
        string.IsNullOrWhiteSpace(name) ? null
        : personKind == "other" && phone is { Length: > 0 } ? $"{name}（{phone}）"
        : name;

    /// <summary>The snapshot of a demand's current 责任单位/责任人; null before it was accepted.</summary>
    public static ResponsibleSnapshot? Snapshot(DemandRow d) => ResponsibleUnit(d) is { } unit
        ? new ResponsibleSnapshot(d.ResponsibleUnitKind ?? (d.DepartmentId is not null ? "department" : "branch"), unit,
            d.ResponsiblePersonKind, d.ResponsiblePersonName ?? d.OwnerName ?? d.DepartmentName, d.ResponsiblePersonKind == "other" ? d.ResponsiblePersonPhone : null)
        : null;

    /// <summary>认领/移交: claimed by a member of the branch, or transferred to a department of the bureau.</summary>
    public static string? Acceptance(DemandRow d) => d.DepartmentId is not null ? "移交" : d.OwnerMemberId is not null ? "认领" : null;

    public static string AcceptanceName(string? acceptedAs) => acceptedAs switch { "claimed" => "认领", "transferred" => "移交", _ => "" };
}
