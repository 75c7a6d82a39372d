using System.Globalization;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Infrastructure.Export;

namespace EcoAid.Api.Features.Meetings;

/// <summary>The minutes (会商纪要) as a workbook: the meeting, its agenda, its decisions.</summary>
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
        return XlsxWriter.Write(
        [
            new XlsxSheet("会商概况", ["项目", "内容"], overview),
            new XlsxSheet("议题", ["序号", "类型", "诉求编号", "企业", "诉求", "当前状态", "完成时限", "说明"], agenda),
            new XlsxSheet("议定事项", ["序号", "诉求编号", "诉求", "决定", "内容", "新的完成时限", "决定人", "时间"], decisions),
        ]);
    }
}
