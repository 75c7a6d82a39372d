using System.Globalization;
using System.Text.RegularExpressions;

namespace EcoAid.Api.Features.Supervision;

/// <summary>
/// The fields a 监督帮扶 list carries and the headers they go by. Batches name their columns a little differently
/// (企业名称 or 单位名称, 整改时限 or 完成时限), so each header is matched against known names; what is not recognised is
/// kept (and exported back) but not read. The commissioner can correct the mapping before applying.
/// </summary>
public static partial class ListColumns
{
    public sealed record Field(string Code, string Name, string[] Headers);

    public static readonly IReadOnlyList<Field> Fields =
    [
        new("seq", "序号", ["序号", "编号", "问题编号"]),
        new("region", "省/市/区县", ["省/市/区县", "省市县", "省市区县", "地区", "所在地区", "行政区划"]),
        new("province", "省", ["省", "省份", "省（区、市）"]),
        new("city", "市", ["市", "地市", "设区市", "城市"]),
        new("county", "区县", ["区县", "县区", "县（市、区）", "区（县）", "县"]),
        new("enterpriseName", "企业名称", ["企业名称", "单位名称", "企业（单位）名称", "企业(单位)名称", "被检查单位", "企业"]),
        new("creditCode", "统一社会信用代码", ["统一社会信用代码", "社会信用代码", "信用代码", "统一代码"]),
        new("problemType", "问题类型", ["问题类型", "问题类别", "类型", "问题分类"]),
        new("description", "问题描述", ["问题描述", "存在问题", "问题内容", "主要问题", "问题"]),
        new("foundOn", "发现时间", ["发现时间", "检查时间", "发现日期"]),
        new("assignedOn", "交办时间", ["交办时间", "交办日期"]),
        new("deadline", "整改时限", ["整改时限", "完成时限", "整改期限", "整改完成时限"]),
        new("rectification", "整改情况", ["整改情况", "整改进展", "整改落实情况"]),
        new("closedOut", "是否销号", ["是否销号", "销号情况", "销号"]),
    ];

    public static readonly IReadOnlyDictionary<string, Field> ByCode = Fields.ToDictionary(f => f.Code);

    /// <summary>Fields without which a row cannot become a demand.</summary>
    public static readonly string[] Required = ["enterpriseName", "description"];

    /// <summary>The field each header stands for (null: not read). A field is given to the first column that names it.</summary>
    public static List<string?> Guess(IReadOnlyList<string> headers)
    {
        var taken = new HashSet<string>();
        return headers.Select(h =>
        {
            var key = Normalize(h);
            var field = Fields.FirstOrDefault(f => !taken.Contains(f.Code) && f.Headers.Any(name => Normalize(name) == key));
            if (field is null)
            {
                return null;
            }
            taken.Add(field.Code);
            return field.Code;
        }).ToList();
    }

    private static string Normalize(string header) =>
        WhitespaceOrStar().Replace(header, "").Replace('(', '（').Replace(')', '）').Replace('／', '/');

    /// <summary>
    /// A date as lists write them: 2026-06-30, 2026/6/30, 2026.6.30, 2026年6月30日, 20260630, an Excel serial number, or
    /// "2026年6月底" (the month's last day). Null for anything else (立行立改, 长期坚持…).
    /// </summary>
    public static DateOnly? ParseDate(string text)
    {
        var t = text.Trim();
        if (t.Length == 0)
        {
            return null;
        }
        var endOfMonth = MonthEnd().Match(t);
        if (endOfMonth.Success)
        {
            var y = int.Parse(endOfMonth.Groups[1].Value, CultureInfo.InvariantCulture);
            var m = int.Parse(endOfMonth.Groups[2].Value, CultureInfo.InvariantCulture);
            return m is >= 1 and <= 12 ? new DateOnly(y, m, DateTime.DaysInMonth(y, m)) : null;
        }
        var ymd = YearMonthDay().Match(t);
        if (ymd.Success)
        {
            var y = int.Parse(ymd.Groups[1].Value, CultureInfo.InvariantCulture);
            var m = int.Parse(ymd.Groups[2].Value, CultureInfo.InvariantCulture);
            var d = int.Parse(ymd.Groups[3].Value, CultureInfo.InvariantCulture);
            return m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m) ? new DateOnly(y, m, d) : null;
        }
        if (t.Length == 8 && DateOnly.TryParseExact(t, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var compact))
        {
            return compact;
        }
        // A date cell the library handed over as its serial number (days since 1899-12-30).
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 20000 and < 80000)
        {
            return DateOnly.FromDateTime(DateTime.FromOADate(Math.Floor(serial)));
        }
        return null;
    }

    [GeneratedRegex(@"\s|\*")]
    private static partial Regex WhitespaceOrStar();

    [GeneratedRegex(@"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*底(?:前)?$")]
    private static partial Regex MonthEnd();

    [GeneratedRegex(@"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(?:前|\d{1,2}:\d{2}(?::\d{2})?))?$")]
    private static partial Regex YearMonthDay();
}

/// <summary>Finds the registered enterprise a row means: by credit code, else by name, else candidates to choose from.</summary>
public static partial class EnterpriseMatcher
{
    public sealed record Registered(long Id, string Name, string CreditCode);

    /// <summary>Enterprise names without spaces, with one kind of brackets, for exact comparison.</summary>
    public static string Plain(string name) => Spaces().Replace(name, "").Replace('(', '（').Replace(')', '）');

    /// <summary>The distinctive part of a name: without the place in front and the legal form behind.</summary>
    public static string Core(string name)
    {
        var core = Plain(name);
        core = LegalForm().Replace(core, "");
        core = Place().Replace(core, "");
        return core;
    }

    public static List<Registered> Candidates(string name, IReadOnlyList<Registered> registered)
    {
        var core = Core(name);
        if (core.Length < 2)
        {
            return [];
        }
        return registered.Where(e => Core(e.Name) is { Length: >= 2 } other && (other.Contains(core, StringComparison.Ordinal) || core.Contains(other, StringComparison.Ordinal)))
            .Take(10).ToList();
    }

    [GeneratedRegex(@"\s")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"(股份有限公司|有限责任公司|有限公司|集团|公司|（普通合伙）|厂)$")]
    private static partial Regex LegalForm();

    [GeneratedRegex(@"^(江苏省|江苏|徐州市|徐州|邳州市|邳州)+")]
    private static partial Regex Place();
}
