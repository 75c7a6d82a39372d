using EcoAid.Api.Infrastructure.Export;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Reports;

/// <summary>
/// The workbook writer streams: a sheet's rows reach the output while they are still being enumerated (from a database
/// reader, in the exports), rather than when the workbook is closed, and the result opens as before.
/// </summary>
public class SpreadsheetStreamingTests
{
    [Fact]
    public void RowsReachTheOutputWhileTheSheetIsStillBeingWrittenAndTheWorkbookOpens()
    {
        const int Rows = 30_000;
        using var output = new MemoryStream();
        long writtenAtHalf = -1;
        IEnumerable<IReadOnlyList<string?>> Lines()
        {
            for (var i = 1; i <= Rows; i++)
            {
                if (i == Rows / 2)
                {
                    writtenAtHalf = output.Length;
                }
                yield return [i.ToString(System.Globalization.CultureInfo.InvariantCulture), $"SQ2026-{i:D5}", "危险废物暂存间标识不全，台账记录不完整，请求现场指导。"];
            }
        }

        Spreadsheet.Write(output, [
            new SheetSpec("清单", "生态润百企 企业诉求问题清单", ["填报单位：测试支部"], ["序号", "编号", "问题描述"], [6, 14, 40], Lines()),
            new SheetSpec("说明", "", [], ["项目"], [20], [["第二张表"]]),
        ]);

        // Half the rows (over 2 MB of sheet XML) are compressed into the output by then; a writer that buffered the
        // sheet until the package closed would have written nothing yet.
        Assert.True(writtenAtHalf > 100_000, $"{writtenAtHalf} bytes written when half the rows had been enumerated");
        var sheets = Xlsx.Open(output.ToArray());
        Assert.Equal(["清单", "说明"], sheets.Select(s => s.Name));
        Assert.Equal(["生态润百企 企业诉求问题清单", "填报单位：测试支部"], sheets[0].TitleBlock);
        Assert.Equal(1 + Rows, sheets[0].Table.Count);
        Assert.Equal(["序号", "编号", "问题描述"], sheets[0].Table[0]);
        Assert.Equal([Rows.ToString(System.Globalization.CultureInfo.InvariantCulture), $"SQ2026-{Rows:D5}", "危险废物暂存间标识不全，台账记录不完整，请求现场指导。"],
            sheets[0].Table[^1]);
        Assert.Equal("'清单'!$3:$3", sheets[0].PrintTitles);
        Assert.Equal([["项目"], ["第二张表"]], sheets[1].Table);
        Assert.Equal("'说明'!$1:$1", sheets[1].PrintTitles);
    }
}
