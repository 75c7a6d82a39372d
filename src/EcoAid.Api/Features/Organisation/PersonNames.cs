namespace EcoAid.Api.Features.Organisation;

/// <summary>
/// How people are named wherever the service prints a person (timelines, notifications, exports, reports, lists): the
/// one place that decides it, as SQL expressions over a <c>users</c> row aliased <c>u</c>, so that every query names
/// people alike. A user is called by the display name they set; else by their name in the registry (the task-force
/// member they are, or the enterprise contact they are: tied to their account, or with their verified phone); only when
/// none is known, by a neutral label for what they are. WeChat's placeholder "微信用户" is never printed.
/// </summary>
public static class PersonNames
{
    /// <summary>The display name a new account starts with (WeChat no longer gives the nickname): never shown as a name.</summary>
    public const string Placeholder = "微信用户";

    /// <summary>The name the user set, else the registry's: NULL when neither is known.</summary>
    public const string KnownName = $"""
        COALESCE(NULLIF(NULLIF(TRIM(u.display_name), ''), '{Placeholder}'),
                 (SELECT pn_m.name FROM members pn_m WHERE pn_m.id = u.member_id),
                 (SELECT pn_c.name FROM enterprise_contacts pn_c
                  WHERE pn_c.enterprise_id = u.enterprise_id AND (pn_c.user_id = u.id OR (pn_c.phone IS NOT NULL AND pn_c.phone = u.phone))
                  ORDER BY pn_c.user_id = u.id DESC, pn_c.is_primary DESC, pn_c.id LIMIT 1))
        """;

    private const string DepartmentName = "(SELECT pn_d.name FROM departments pn_d WHERE pn_d.id = u.department_id)";

    /// <summary>What a user without a known name is called: "企业联系人", "法制宣传科联络人" or "工作人员".</summary>
    public const string NeutralLabel = $"""
        CASE WHEN u.enterprise_id IS NOT NULL THEN '企业联系人'
             WHEN u.department_id IS NOT NULL THEN CONCAT({DepartmentName}, '联络人')
             ELSE '工作人员' END
        """;

    /// <summary>The name of the user <c>u</c>; NULL when there is no such user (a LEFT JOIN that found none).</summary>
    public const string Name = $"(CASE WHEN u.id IS NULL THEN NULL ELSE COALESCE({KnownName}, {NeutralLabel}) END)";

    /// <summary>
    /// The user <c>u</c> as a timeline names the one who acted: "刘洋" (a member), "王芳（企业联系人）", "孙静（法制宣传科联络人）";
    /// without a known name, "企业联系人", "法制宣传科联络人" or "工作人员".
    /// </summary>
    public const string Actor = $"""
        (CASE WHEN u.id IS NULL THEN NULL
              WHEN {KnownName} IS NULL THEN {NeutralLabel}
              WHEN u.member_id IS NOT NULL THEN {KnownName}
              WHEN u.enterprise_id IS NOT NULL THEN CONCAT({KnownName}, '（企业联系人）')
              WHEN u.department_id IS NOT NULL THEN CONCAT({KnownName}, '（', {DepartmentName}, '联络人）')
              ELSE {KnownName} END)
        """;

    /// <summary>
    /// The enterprise's person as a notification about its demand names them: the one who submitted it, when they are its
    /// contact (named as above); else its primary contact; else "企业联系人". Parameters <c>@personUserId</c>, <c>@personEnterpriseId</c>.
    /// </summary>
    public const string EnterprisePerson = $"""
        SELECT COALESCE(
            (SELECT {KnownName} FROM users u WHERE u.id = @personUserId AND u.enterprise_id = @personEnterpriseId),
            (SELECT pc.name FROM enterprise_contacts pc WHERE pc.enterprise_id = @personEnterpriseId AND pc.is_primary),
            '企业联系人')
        """;
}
