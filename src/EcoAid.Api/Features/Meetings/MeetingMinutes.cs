using System.Globalization;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Export;

namespace EcoAid.Api.Features.Meetings;

/// <summary>The minutes (会商纪要) as a printable workbook: the meeting, its agenda, its decisions.</summary>
internal static class MeetingMinutes
{
    public static byte[] Write(MeetingResponse m)
    {
        var generated = TimeZoneInfo.ConvertTime(m.GeneratedAt, WorkingCalendar.Shanghai).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
        IReadOnlyList<string?>[] overview =
        [
            ["支部", m.BranchName],
            ["会商月份", m.Month],
            ["召开日期", m.HeldOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "未填写"],
            ["地点", m.Location ?? "未填写"],
            ["议题生成时间", generated],
            ["议题数", m.Agenda.Count.ToString(CultureInfo.InvariantCulture)],
            ["议定事项数", m.Decisions.Count.ToString(CultureInfo.InvariantCulture)],
        ];
        var agenda = m.Agenda.Select(a => (IReadOnlyList<string?>)
        [
            a.Seq.ToString(CultureInfo.InvariantCulture), a.ReasonName, a.Demand?.Number, a.Enterprise.Name, a.Demand?.Title,
            a.Demand is { } d ? DemandWorkflow.StatusName(d.Status) : null, a.DueDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), a.Note,
        ]);
        var decisions = m.Decisions.Select((x, i) => (IReadOnlyList<string?>)
        [
            (i + 1).ToString(CultureInfo.InvariantCulture), x.Demand.Number, x.Demand.Title, x.KindName, x.Text,
            x.DueDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), x.DecidedBy.Name,
            TimeZoneInfo.ConvertTime(x.CreatedAt, WorkingCalendar.Shanghai).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        ]);
        var title = $"{m.BranchName}会商纪要（{m.Month}）";
        string[] lines = [$"议题生成时间：{generated}"];
        return Spreadsheet.Write(
        [
            new SheetSpec("会商概况", title, lines, ["项目", "内容"], [18, 60], overview),
            new SheetSpec("议题", title, lines, ["序号", "类型", "诉求编号", "企业", "诉求", "当前状态", "完成时限", "说明"], [6, 12, 14, 24, 28, 12, 12, 40], agenda),
            new SheetSpec("议定事项", title, lines, ["序号", "诉求编号", "诉求", "决定", "内容", "新的完成时限", "决定人", "时间"], [6, 14, 28, 12, 40, 14, 10, 17], decisions),
        ]);
    }
}
