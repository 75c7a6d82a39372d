namespace EcoAid.Api.Infrastructure.Validation;

/// <summary>
/// The Chinese words people see for the codes the API speaks. A code without an entry here is shown as it is, so a
/// new code should get its word in the same change.
/// </summary>
public static class Words
{
    private static readonly Dictionary<string, string> Common = new(StringComparer.Ordinal)
    {
        // Roles.
        ["staff"] = "企业联系人", ["member"] = "专班成员", ["commissioner"] = "服务专员", ["secretary"] = "支部书记",
        ["department_liaison"] = "科室联络人", ["admin"] = "管理员", ["city_viewer"] = "市局查看人员", ["city_admin"] = "市级管理员",
        ["leader"] = "专班组长",
        // Progress entries and who may read them.
        ["progress"] = "办理进展", ["onsite"] = "现场帮扶", ["expert"] = "专家指导", ["note"] = "备注",
        ["public"] = "企业可见", ["internal"] = "仅内部可见",
        // The calendar.
        ["holiday"] = "放假", ["workday"] = "调休上班",
        // 首违不罚: how much harm was done.
        ["none"] = "无危害后果", ["minor"] = "危害后果轻微", ["serious"] = "危害后果严重",
        // Policy documents.
        ["draft"] = "草稿", ["published"] = "已发布", ["unpublished"] = "已撤下",
    };

    /// <summary>The word for <paramref name="code"/>: from <paramref name="labels"/> first, then the shared list, else the code.</summary>
    public static string Of(string code, IReadOnlyDictionary<string, string>? labels = null) =>
        labels is not null && labels.TryGetValue(code, out var word) ? word : Common.TryGetValue(code, out var common) ? common : code;

    /// <summary>"污染治理、环评审批、…": the allowed values as people read them.</summary>
    public static string List(IEnumerable<string> codes, IReadOnlyDictionary<string, string>? labels = null) =>
        string.Join("、", codes.Select(c => Of(c, labels)));
}
