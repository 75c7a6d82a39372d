namespace EcoAid.Api.Features.Demands;

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
    /// with their phone, as the bureau's list has it); for rows from before the structured columns, the claiming member.
    /// </summary>
    public static string? ResponsiblePerson(DemandRow d) => d.ResponsiblePersonLabel ?? d.DepartmentName;

    /// <summary>认领/移交: claimed by a member of the branch, or transferred to a department of the bureau.</summary>
    public static string? Acceptance(DemandRow d) => d.DepartmentId is not null ? "移交" : d.OwnerMemberId is not null ? "认领" : null;

    public static string AcceptanceName(string? acceptedAs) => acceptedAs switch { "claimed" => "认领", "transferred" => "移交", _ => "" };
}
