using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using EcoAid.Api.Features.Reports;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using SkiaSharp;
using W = DocumentFormat.OpenXml.Wordprocessing;

namespace EcoAid.Api.Tests.Reports;

/// <summary>
/// Monthly reports as of a moment, issued and downloaded byte-identical; the seed's counts on crafted data; the files
/// opened with the Open XML SDK; the charts; the city's table. The clock stands at 2026-03-02 09:00 Shanghai unless a
/// test moves it.
/// </summary>
public class ReportTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> Figures(HttpClient client, string query) =>
        await DemandWorld.Expect(HttpStatusCode.OK, await client.GetAsync($"/api/stats/monthly-report?format=json&{query}", Ct));

    private static int Count(JsonElement list, string code) =>
        list.EnumerateArray().Single(x => x.GetProperty("code").GetString() == code).GetProperty("count").GetInt32();

    [Fact]
    public async Task AnIssuedReportKeepsItsFiguresAndDownloadsByteIdenticalWhileTheDemandsChangeAfterwards()
    {
        // The people log in on February 10 and stay logged in until March.
        await using var app = new EcoAidApp(fixture, s => s["Auth:SessionLifetime"] = "60.00:00:00", Crafted.Shanghai(2026, 2, 10, 10, 0));
        var w = await DemandWorld.CreateAsync(app);
        var claimed = await w.SubmitAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{claimed}/accept",
            new { objective = "完成整改", measures = new[] { "现场指导" }, ownerMemberId = w.OwnerMemberId, dueDate = "2026-02-20" }, Ct));
        var transferred = await w.SubmitAsync(DemandWorld.NewDemand("环评手续咨询"));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{transferred}/accept",
            new { objective = "办理环评手续", measures = new[] { "指导编制报告表" }, departmentId = w.DepartmentId, dueDate = "2026-02-25" }, Ct));
        var waiting = await w.SubmitAsync(DemandWorld.NewDemand("信用修复申请"));
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 2, 18, 10, 0));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{claimed}/resolve", new { summary = "已完成整改" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{claimed}/confirm", new { solved = true, satisfaction = 5 }, Ct));
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 2, 9, 0));

        var issued = await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/reports", new { month = "2026-02" }, Ct));

        var id = issued.GetProperty("id").GetInt64();
        Assert.Equal("branch", issued.GetProperty("scope").GetString());
        Assert.Equal("2026-02-28", issued.GetProperty("asOfDate").GetString());
        var total = issued.GetProperty("figures").GetProperty("total");
        Assert.Equal((3, 1, 1, 1, 1, 1), (total.GetProperty("collected").GetInt32(), total.GetProperty("claimed").GetInt32(),
            total.GetProperty("transferred").GetInt32(), total.GetProperty("closed").GetInt32(), total.GetProperty("inProgress").GetInt32(),
            total.GetProperty("overdue").GetInt32()));
        var files = issued.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("format").GetString()!);
        Assert.Equal(["docx", "xlsx"], files.Keys.Order().ToArray());
        var xlsx = await w.Secretary.GetAsync($"/api/reports/{id}/files/xlsx", Ct);
        var firstBytes = await xlsx.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(files["xlsx"].GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(firstBytes)));
        // The issuing and the download are in the audit trail, placed in the report's branch, with no more than ids and formats.
        await using (var audit = await app.OpenDatabaseAsync())
        {
            var events = (await audit.QueryAsync<(string Kind, long? BranchId, string? SubjectType, long? SubjectId, string Detail)>(
                "SELECT kind, branch_id, subject_type, subject_id, detail FROM audit_events WHERE subject_type = 'report' AND subject_id = @id ORDER BY id", new { id })).ToList();
            Assert.Equal([("report_issued", w.BranchId, "report", id), ("report_downloaded", w.BranchId, "report", id)],
                events.Select(e => (e.Kind, e.BranchId ?? 0, e.SubjectType, e.SubjectId ?? 0)).ToArray());
            Assert.Equal("xlsx", JsonDocument.Parse(events[1].Detail).RootElement.GetProperty("format").GetString());
        }
        Assert.Equal($"\"{files["xlsx"].GetProperty("sha256").GetString()}\"", xlsx.Headers.ETag?.Tag);
        var docx = await (await w.Secretary.GetAsync($"/api/reports/{id}/files/docx", Ct)).Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(files["docx"].GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(docx)));

        // Afterwards: the waiting demand is accepted with a late due date, the transferred one gets a new due date and is resolved.
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 3, 10, 0));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{waiting}/accept",
            new { objective = "修复信用", measures = new[] { "指导提交材料" }, ownerMemberId = w.OwnerMemberId, dueDate = "2026-12-18" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{transferred}/due-date", new { dueDate = "2026-06-30" }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.DepartmentLiaison.PostAsJsonAsync($"/api/demands/{transferred}/resolve", new { summary = "手续已办" }, Ct));

        var recomputed = await Figures(w.Secretary, "month=2026-02");
        Assert.Equal(issued.GetProperty("figures").GetProperty("total").GetRawText(), recomputed.GetProperty("total").GetRawText());
        Assert.Equal(issued.GetProperty("figures").GetProperty("trend").GetRawText(), recomputed.GetProperty("trend").GetRawText());
        // The February list still shows the waiting one as waiting, with no due date, and the transferred one's first due date.
        var list = Xlsx.Read(await (await w.Secretary.GetAsync("/api/stats/monthly-report?month=2026-02", Ct)).Content.ReadAsByteArrayAsync(Ct))[^1];
        var byTitle = list.Skip(1).ToDictionary(r => r[6].Split('：')[0]);
        Assert.Equal(("", "待受理"), (byTitle["信用修复申请"][10], byTitle["信用修复申请"][11]));
        Assert.Equal(("2026-02-25", "办理中（已逾期）", "移交"), (byTitle["环评手续咨询"][10], byTitle["环评手续咨询"][11], byTitle["环评手续咨询"][7]));
        // March, as of now, sees the changes.
        var march = await Figures(w.Secretary, "month=2026-03");
        Assert.Equal("2026-03-03", march.GetProperty("asOfDate").GetString());
        Assert.False(march.GetProperty("monthComplete").GetBoolean());
        Assert.Equal(2, march.GetProperty("total").GetProperty("claimed").GetInt32());

        Assert.Equal(firstBytes, await (await w.Secretary.GetAsync($"/api/reports/{id}/files/xlsx", Ct)).Content.ReadAsByteArrayAsync(Ct));
        var again = await DemandWorld.Expect(HttpStatusCode.Created, await w.Secretary.PostAsJsonAsync("/api/reports", new { month = "2026-03" }, Ct));
        var listed = await DemandWorld.Expect(HttpStatusCode.OK, await w.Secretary.GetAsync("/api/reports", Ct));
        Assert.Equal([again.GetProperty("id").GetInt64(), id], listed.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray());
        Assert.Equal("2026-03-03", listed.GetProperty("items")[0].GetProperty("asOfDate").GetString());

        // Out of reach: another branch's secretary, a member; a month that has not begun.
        var other = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await other.Secretary.GetAsync($"/api/reports/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await other.Secretary.GetAsync($"/api/reports/{id}/files/xlsx", Ct), HttpStatusCode.NotFound, "not_found");
        Assert.Equal(0, (await DemandWorld.Expect(HttpStatusCode.OK, await other.Secretary.GetAsync("/api/reports", Ct))).GetProperty("total").GetInt32());
        await ProblemAssert.IsProblemAsync(await w.Owner.PostAsJsonAsync("/api/reports", new { month = "2026-02" }, Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        await ProblemAssert.IsProblemAsync(await w.Secretary.PostAsJsonAsync("/api/reports", new { month = "2026-04" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task MonthEdgesFollowShanghaiTimeForSubmissionsAndForTimelineEvents()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        var january = await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 1, 31, 23, 30));
        var early = await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 1, 0, 30), "accepted", acceptedAt: Crafted.Shanghai(2026, 2, 28, 23, 30),
            due: new DateOnly(2026, 4, 1));
        await c.EventAsync(early, "submitted", Crafted.Shanghai(2026, 2, 1, 0, 30));
        await c.EventAsync(early, "claimed", Crafted.Shanghai(2026, 2, 28, 23, 30), null, "由甲认领办理，完成时限 2026-02-27");
        await c.EventAsync(early, "due_date_set", Crafted.Shanghai(2026, 3, 1, 0, 30), """{"dueDate":"2026-04-01"}""", "完成时限调整为 2026-04-01");
        var late = await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 2, 28, 23, 30), "accepted", acceptedAt: Crafted.Shanghai(2026, 3, 1, 0, 30));
        await c.EventAsync(late, "submitted", Crafted.Shanghai(2026, 2, 28, 23, 30));
        await c.EventAsync(late, "transferred", Crafted.Shanghai(2026, 3, 1, 0, 30), null, "移交某科办理，完成时限 2026-03-20");
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var feb = (await Figures(secretary, "month=2026-02")).GetProperty("total");
        Assert.Equal((3, 2), (feb.GetProperty("collected").GetInt32(), feb.GetProperty("newThisMonth").GetInt32()));
        Assert.Equal((1, 0, 1), (feb.GetProperty("claimed").GetInt32(), feb.GetProperty("transferred").GetInt32(), feb.GetProperty("overdue").GetInt32()));
        Assert.Equal((2, 1), (Count(feb.GetProperty("byStatus"), "submitted"), Count(feb.GetProperty("byStatus"), "accepted")));
        var jan = (await Figures(secretary, "month=2026-01")).GetProperty("total");
        Assert.Equal((1, 1), (jan.GetProperty("collected").GetInt32(), jan.GetProperty("newThisMonth").GetInt32()));
        var mar = (await Figures(secretary, "month=2026-03")).GetProperty("total");
        Assert.Equal((3, 0, 1, 1, 0), (mar.GetProperty("collected").GetInt32(), mar.GetProperty("newThisMonth").GetInt32(), mar.GetProperty("claimed").GetInt32(),
            mar.GetProperty("transferredThisMonth").GetInt32(), mar.GetProperty("overdue").GetInt32()));
        Assert.NotEqual(january, late);
    }

    [Fact]
    public async Task EachCountTheBranchReportsComesOutExactlyOnCraftedData()
    {
        await using var app = new EcoAidApp(fixture, start: Crafted.Shanghai(2026, 2, 20, 10, 0));
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, branchId) = await world.BranchAsync();
        var e = await world.EnterpriseAsync(branchId);
        var t = Crafted.Shanghai(2026, 2, 5, 9, 0);
        await c.DemandAsync(branchId, e, t, source: "whistle");
        await c.DemandAsync(branchId, e, t.AddDays(1), source: "whistle", category: "eia_approval");
        await c.DemandAsync(branchId, e, t.AddDays(2), source: "symposium", category: "credit_repair");
        await c.DemandAsync(branchId, e, Crafted.Shanghai(2026, 1, 20), source: "whistle");  // January: not this month's whistle
        await c.VisitAsync(branchId, e, new DateOnly(2026, 2, 10));
        await c.VisitAsync(branchId, e, new DateOnly(2026, 2, 20));
        var expert = await c.VisitAsync(branchId, e, new DateOnly(2026, 2, 12));
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE visits SET kind = 'expert' WHERE id = @expert", new { expert });
        }
        await c.MeetingAsync(branchId, new DateOnly(2026, 2, 1), Crafted.Shanghai(2026, 2, 25));
        var staff = await world.UserAsync("staff", cityId, branchId, enterpriseId: e);
        var staffId = (await staff.GetFromJsonAsync<JsonElement>("/api/me", Ct)).GetProperty("id").GetInt64();
        await using (var db = await app.OpenDatabaseAsync())
        {
            async Task<long> List(DateTimeOffset at) => await db.ExecuteScalarAsync<long>(
                "INSERT INTO material_lists (branch_id, enterprise_id, note, sent_by, sent_at) VALUES (@branchId, @e, NULL, @staffId, @at); SELECT LAST_INSERT_ID();",
                new { branchId, e, staffId, at = at.UtcDateTime });
            async Task Read(long list, DateTimeOffset at) => await db.ExecuteAsync(
                "INSERT INTO material_reads (list_id, user_id, read_at) VALUES (@list, @staffId, @at)", new { list, staffId, at = at.UtcDateTime });
            await Read(await List(Crafted.Shanghai(2026, 2, 3)), Crafted.Shanghai(2026, 2, 4));
            await Read(await List(Crafted.Shanghai(2026, 2, 27)), Crafted.Shanghai(2026, 3, 1, 0, 30));   // read in March
            await List(Crafted.Shanghai(2026, 2, 28, 12, 0));
            await List(Crafted.Shanghai(2026, 1, 31, 23, 30));                                           // January
        }
        app.Clock.SetUtcNow(Crafted.Shanghai(2026, 3, 2, 9, 0));
        var secretary = await world.UserAsync("secretary", cityId, branchId);

        var total = (await Figures(secretary, "month=2026-02")).GetProperty("total");

        Assert.Equal((3, 2, 3, 1, 1, 2), (total.GetProperty("materialListsSent").GetInt32(), total.GetProperty("whistles").GetInt32(),
            total.GetProperty("visits").GetInt32(), total.GetProperty("expertVisits").GetInt32(), total.GetProperty("meetings").GetInt32(),
            Count(total.GetProperty("newBySource"), "whistle")));
        Assert.Equal(1, total.GetProperty("materialListsRead").GetInt32());
        Assert.Equal(1, Count(total.GetProperty("newBySource"), "symposium"));
        var sheet = Xlsx.Read(await (await secretary.GetAsync("/api/stats/monthly-report?month=2026-02", Ct)).Content.ReadAsByteArrayAsync(Ct))[0]
            .ToDictionary(r => r[0], r => r[1]);
        Assert.Equal("2026年2月新收集问题 3 个（污染治理 1 个、环评审批 1 个、信用修复 1 个），收集方式为座谈 1 个、企业吹哨 2 个，其中企业吹哨 2 个；认领 0 个、移交 0 个，办结 0 个。" +
            "送政策资料清单 3 份（企业已阅 1 份），回访督查 3 次（其中专家上门 1 次），召开会商会 1 次。", sheet["本月情况"]);
        Assert.Equal("截至2026年2月28日，共收集 3 类 4 个问题，其中污染治理 2 个、环评审批 1 个、信用修复 1 个；待受理 4 个。支部认领 0 个、移交相关科室 0 个，无逾期问题。",
            sheet["总体情况"]);
    }

    [Fact]
    public async Task TheWorkInformationAndTheWorkbookOpenWithTheOpenXmlSdkWithTheirTextTablesPicturesAndPrintSetup()
    {
        Assert.True(ChartFont.Find(null) is not null, "No CJK font for the report charts: run `bash scripts/fonts.sh` (installs fonts-noto-cjk).");
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.ResolvedAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{id}/confirm", new { solved = true, satisfaction = 5 }, Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Secretary.PutAsJsonAsync($"/api/demands/{id}/typical-case",
            new { problem = "危废暂存间标识不全、台账缺失", measures = "党员上门指导，送去贮存标准和台账模板", outcome = "一周内完成整改，企业给出满意评价" }, Ct));
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PutAsJsonAsync($"/api/demands/{id}/typical-case",
            new { problem = "x", measures = "y", outcome = "z" }, Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        await ProblemAssert.IsProblemAsync(await w.Secretary.PutAsJsonAsync($"/api/demands/{id}/typical-case",
            new { problem = "", measures = "y", outcome = "z" }, Ct), HttpStatusCode.BadRequest, "validation.failed");

        var response = await w.Secretary.GetAsync("/api/stats/monthly-report?month=2026-03&format=docx", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document", response.Content.Headers.ContentType?.MediaType);
        using (var doc = WordprocessingDocument.Open(new MemoryStream(await response.Content.ReadAsByteArrayAsync(Ct)), false))
        {
            var body = doc.MainDocumentPart!.Document.Body!;
            var paragraphs = body.Elements<W.Paragraph>().Select(p => p.InnerText).ToList();
            Assert.EndsWith("生态润百企工作信息", paragraphs[0]);
            Assert.Equal("（2026年3月，截至2026年3月2日）", paragraphs[1]);
            foreach (var heading in new[] { "一、基本情况", "二、主要做法", "三、典型案例", "四、下步打算" })
            {
                Assert.Contains(heading, paragraphs);
            }
            Assert.True(paragraphs.Any(p => p.StartsWith("截至2026年3月2日，共收集 1 类 1 个问题，其中污染治理 1 个；已办结 1 个。", StringComparison.Ordinal)),
                string.Join("\n", paragraphs));
            Assert.Contains("举措：党员上门指导，送去贮存标准和台账模板", paragraphs);
            Assert.Contains(paragraphs, p => p.EndsWith("：危废暂存间不规范", StringComparison.Ordinal));
            var table = body.Elements<W.Table>().First();
            Assert.Equal(["累计收集问题", "1 个", "本月新收集", "1 个"], table.Elements<W.TableRow>().ElementAt(1).Elements<W.TableCell>().Select(x => x.InnerText).ToArray());
            var images = doc.MainDocumentPart.ImageParts.ToList();
            Assert.Equal(3, images.Count);
            foreach (var image in images)
            {
                using var stream = image.GetStream();
                using var bitmap = SKBitmap.Decode(stream);
                Assert.True(bitmap.Width >= 640 && bitmap.Height == 420);
            }
        }

        var workbook = Xlsx.Open(await (await w.Secretary.GetAsync("/api/stats/monthly-report?month=2026-03", Ct)).Content.ReadAsByteArrayAsync(Ct));
        var cases = workbook.Single(s => s.Name == "典型案例").Table;
        Assert.Equal(["危废暂存间标识不全、台账缺失", "党员上门指导，送去贮存标准和台账模板", "一周内完成整改，企业给出满意评价"], cases[1][4..7]);
        AssertPrintable(workbook.Single(s => s.Name == "诉求清单"));

        // The printable 清单: title block, the extra columns, and the print setup.
        var export = Xlsx.Open(await (await w.Commissioner.GetAsync("/api/demands/export", Ct)).Content.ReadAsByteArrayAsync(Ct)).Single();
        Assert.Equal("生态润百企 企业诉求问题清单", export.TitleBlock[0]);
        Assert.StartsWith("填报单位：党支部", export.TitleBlock[1]);
        Assert.Equal("填报日期：2026年3月2日", export.TitleBlock[2]);
        Assert.Equal(["序号", "编号", "企业名称", "包挂成员", "问题类别", "收集方式", "提交日期", "问题描述", "工作目标", "思路举措", "认领/移交", "责任单位", "责任人", "完成时限", "办理状态", "办理结果"],
            export.Table[0].ToArray());
        Assert.Equal(["包挂成员", "污染治理", "小程序", "2026-03-02"], new[] { export.Table[1][3], export.Table[1][4], export.Table[1][5], export.Table[1][6] });
        // A claim names the branch (the member has no unit of their own) as 责任单位 and the member as 责任人.
        Assert.Equal(("认领", export.TitleBlock[1]["填报单位：".Length..], "责任成员"), (export.Table[1][10], export.Table[1][11], export.Table[1][12]));
        AssertPrintable(export);
    }

    private static void AssertPrintable(Xlsx.SheetRead sheet)
    {
        var setup = sheet.Worksheet.Descendants<PageSetup>().Single();
        Assert.Equal(OrientationValues.Landscape, setup.Orientation!.Value);
        Assert.Equal(9u, setup.PaperSize!.Value);                                   // A4
        var pane = sheet.Worksheet.Descendants<Pane>().Single();
        Assert.Equal(PaneStateValues.Frozen, pane.State!.Value);
        var headerRow = (int)pane.VerticalSplit!.Value;
        Assert.Equal($"'{sheet.Name}'!${headerRow}:${headerRow}", sheet.PrintTitles);  // repeated on every page
        Assert.Equal(sheet.Table[0].Count, sheet.Worksheet.Descendants<Column>().Count(c => c.CustomWidth?.Value == true));
        Assert.NotEmpty(sheet.Worksheet.Descendants<MergeCell>());                     // the title spans the table
        var bodyStyles = sheet.Worksheet.Descendants<Row>().Where(r => r.RowIndex!.Value > headerRow).SelectMany(r => r.Elements<Cell>())
            .Select(c => c.StyleIndex!.Value).Distinct().ToList();
        Assert.Single(bodyStyles);
        Assert.NotEqual(0u, bodyStyles[0]);
    }

    /// <summary>How many pixels of the picture are close to the colour.</summary>
    private static int Pixels(byte[] png, string hex)
    {
        using var bitmap = SKBitmap.Decode(png);
        var target = SKColor.Parse(hex);
        var n = 0;
        for (var y = 0; y < bitmap.Height; y += 2)
        {
            for (var x = 0; x < bitmap.Width; x += 2)
            {
                var p = bitmap.GetPixel(x, y);
                if (Math.Abs(p.Red - target.Red) + Math.Abs(p.Green - target.Green) + Math.Abs(p.Blue - target.Blue) < 12)
                {
                    n++;
                }
            }
        }
        return n;
    }

    [Fact]
    public async Task ChartsArePngsWhoseSizeAndColoursFollowTheData()
    {
        Assert.True(ChartFont.Find(null) is not null, "No CJK font for the report charts: run `bash scripts/fonts.sh` (installs fonts-noto-cjk).");
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var (cityId, few) = await world.BranchAsync();
        var (_, many) = await world.BranchAsync();
        var e1 = await world.EnterpriseAsync(few);
        var e2 = await world.EnterpriseAsync(many);
        var t = Crafted.Shanghai(2026, 2, 10);
        await c.DemandAsync(few, e1, t, "accepted", acceptedAt: t.AddHours(1));
        foreach (var category in new[] { "pollution_control", "eia_approval", "credit_repair", "funding", "honor" })
        {
            await c.DemandAsync(many, e2, t, category: category);                     // never accepted: response rate 0
        }
        var fewSecretary = await world.UserAsync("secretary", cityId, few);
        var manySecretary = await world.UserAsync("secretary", cityId, many);

        async Task<byte[]> Chart(HttpClient client, string kind)
        {
            var response = await client.GetAsync($"/api/stats/charts/{kind}?month=2026-02", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
            var bytes = await response.Content.ReadAsByteArrayAsync(Ct);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
            return bytes;
        }
        using (var one = SKBitmap.Decode(await Chart(fewSecretary, "categories")))
        using (var five = SKBitmap.Decode(await Chart(manySecretary, "categories")))
        {
            Assert.Equal((640, 420), (one.Width, one.Height));
            Assert.Equal((800, 420), (five.Width, five.Height));
        }
        var good = await Chart(fewSecretary, "rates");
        var bad = await Chart(manySecretary, "rates");
        Assert.True(Pixels(good, "#2E7D32") > 500, "a 100 % response rate is drawn green");
        Assert.Equal(0, Pixels(good, "#C62828"));
        Assert.True(Pixels(bad, "#C62828") < Pixels(good, "#2E7D32"));
        Assert.True(Pixels(bad, "#9E9E9E") > 0 || Pixels(bad, "#C62828") >= 0);
        await Chart(fewSecretary, "months");
        await ProblemAssert.IsProblemAsync(await fewSecretary.GetAsync("/api/stats/charts/pie?month=2026-02", Ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task TheCitySeesItsBranchesSideBySideSortedAndIssuesTheCityReport()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var c = new Crafted(app);
        var city = World.Unique("市");
        var (cityId, small) = await world.BranchAsync(city);
        var (_, big) = await world.BranchAsync(city);
        var (otherCity, elsewhere) = await world.BranchAsync();
        var t = Crafted.Shanghai(2026, 2, 10);
        await c.DemandAsync(small, await world.EnterpriseAsync(small), t, "accepted", acceptedAt: t.AddHours(1));
        var e = await world.EnterpriseAsync(big);
        for (var i = 0; i < 3; i++)
        {
            await c.DemandAsync(big, e, t);
        }
        await c.DemandAsync(elsewhere, await world.EnterpriseAsync(elsewhere), t);
        var viewer = await world.UserAsync("city_viewer", cityId, small);
        var admin = await world.UserAsync("city_admin", cityId, small);
        var secretary = await world.UserAsync("secretary", cityId, small);

        var table = await DemandWorld.Expect(HttpStatusCode.OK, await viewer.GetAsync("/api/stats/branches?month=2026-02", Ct));
        Assert.Equal([big, small], table.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("branchId").GetInt64()).ToArray());
        Assert.Equal([3, 1], table.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("collected").GetInt32()).ToArray());
        var byResponse = await DemandWorld.Expect(HttpStatusCode.OK, await viewer.GetAsync("/api/stats/branches?month=2026-02&sort=response&order=desc", Ct));
        Assert.Equal([small, big], byResponse.GetProperty("branches").EnumerateArray().Select(b => b.GetProperty("branchId").GetInt64()).ToArray());
        var rate = byResponse.GetProperty("branches")[1].GetProperty("rates").GetProperty("response");
        Assert.Equal((0, 3), (rate.GetProperty("numerator").GetInt32(), rate.GetProperty("denominator").GetInt32()));
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync("/api/stats/branches", Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        await ProblemAssert.IsProblemAsync(await viewer.GetAsync("/api/stats/branches?sort=size", Ct), HttpStatusCode.BadRequest, "validation.failed");

        await ProblemAssert.IsProblemAsync(await viewer.PostAsJsonAsync("/api/reports", new { month = "2026-02" }, Ct), HttpStatusCode.Forbidden, "auth.forbidden");
        var issued = await DemandWorld.Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/reports", new { month = "2026-02" }, Ct));
        Assert.Equal("city", issued.GetProperty("scope").GetString());
        Assert.Equal(4, issued.GetProperty("figures").GetProperty("total").GetProperty("collected").GetInt32());
        var id = issued.GetProperty("id").GetInt64();
        var sheets = Xlsx.Open(await (await viewer.GetAsync($"/api/reports/{id}/files/xlsx", Ct)).Content.ReadAsByteArrayAsync(Ct));
        var branches = sheets.Single(s => s.Name == "各支部").Table;
        Assert.Equal(3, branches.Count);
        Assert.Equal("0%（0/3）", branches.Single(r => r[1] == "3")[13]);
        await ProblemAssert.IsProblemAsync(await secretary.GetAsync($"/api/reports/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        var outsider = await world.UserAsync("city_viewer", otherCity, elsewhere);
        await ProblemAssert.IsProblemAsync(await outsider.GetAsync($"/api/reports/{id}/files/docx", Ct), HttpStatusCode.NotFound, "not_found");
    }
}
