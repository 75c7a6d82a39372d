using EcoAid.Api.Features.Reports;

namespace EcoAid.Api.Tests.Reports;

/// <summary>The line above the monthly report's list: what it holds, and where a part was cut at ReportFiles.ListPerPart.</summary>
public class ReportListNoteTests
{
    [Theory]
    [InlineData(12, 3, "本表列出本月新收集的诉求 12 件，以及此前收集、本月办结的诉求 3 件。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    [InlineData(0, 0, "本月无新收集的诉求，此前收集的诉求本月无办结。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    [InlineData(0, 2, "本月无新收集的诉求；列出此前收集、本月办结的诉求 2 件。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    [InlineData(7, 0, "本表列出本月新收集的诉求 7 件；此前收集的诉求本月无办结。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    [InlineData(50, 51, "本表列出本月新收集的诉求 50 件，以及此前收集、本月办结的诉求 51 件中最先办结的 50 件。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    [InlineData(4254, 1390, "本表列出本月新收集的诉求 4254 件中最先收集的 50 件，以及此前收集、本月办结的诉求 1390 件中最先办结的 50 件。全部诉求的逐件情况请在后台「诉求清单」页查询。")]
    public void SaysWhatTheListHoldsAndWhereItWasCut(int newThisMonth, int closedEarlier, string expected) =>
        Assert.Equal(expected, ReportFiles.ListNote(newThisMonth, closedEarlier));
}
