using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using MiniExcelLibs;

namespace EcoAid.Api.Tests.Supervision;

public class SupervisionImportTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(DemandWorld W, string Name, string Code, long OtherId, string OtherName);

    private static async Task<Setup> SetupAsync(EcoAidApp app)
    {
        var w = await DemandWorld.CreateAsync(app);
        var other = await new World(app).EnterpriseAsync(w.BranchId);
        await using var db = await app.OpenDatabaseAsync();
        var (name, code) = await db.QuerySingleAsync<(string, string)>("SELECT name, credit_code FROM enterprises WHERE id = @EnterpriseId", new { w.EnterpriseId });
        var otherName = await db.ExecuteScalarAsync<string>("SELECT name FROM enterprises WHERE id = @other", new { other });
        return new Setup(w, name, code, other, otherName!);
    }

    private static string[] Row(string seq, string name, string code, string description, string deadline) =>
        [seq, "江苏省/徐州市/邳州市", name, code, "危险废物", description, "2026-02-10", "2026-02-20", deadline, ""];

    private static async Task<JsonElement> UploadAsync(HttpClient client, byte[] file, HttpStatusCode expected = HttpStatusCode.Created) =>
        await HttpExpect.JsonAsync(expected, await client.PostAsync("/api/supervision/batches", ListXlsx.Form(file), Ct));

    private static async Task<int> DemandsOfBranchAsync(EcoAidApp app, long branchId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demands WHERE branch_id = @branchId", new { branchId });
    }

    [Fact]
    public async Task ACleanListIsMatchedByCodeAndNameAndImportingItTwiceCreatesNothingNew()
    {
        await using var app = new EcoAidApp(fixture);
        var s = await SetupAsync(app);
        var file = ListXlsx.Build(ListXlsx.StandardHeader,
        [
            Row("1", "名称写法不同也按代码匹配", s.Code, "危险废物贮存间标识不全", "2026-04-30"),
            Row("2", s.OtherName, "", "喷漆废气收集不到位", "2026年5月底"),
        ]);

        var preview = await UploadAsync(s.W.Commissioner, file);
        Assert.Equal("preview", preview.GetProperty("status").GetString());
        Assert.Equal(2, preview.GetProperty("matched").GetInt32());
        var rows = preview.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(s.W.EnterpriseId, rows[0].GetProperty("enterpriseId").GetInt64());
        Assert.Contains(rows[0].GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("按信用代码匹配到"));
        Assert.Equal(s.OtherId, rows[1].GetProperty("enterpriseId").GetInt64());
        Assert.Equal("2026-05-31", rows[1].GetProperty("deadline").GetString());
        Assert.Equal(0, await DemandsOfBranchAsync(app, s.W.BranchId));

        var batchId = preview.GetProperty("id").GetInt64();
        var applied = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct));
        Assert.Equal(2, applied.GetProperty("created").GetInt32());
        var demandId = applied.GetProperty("items")[0].GetProperty("demandId").GetInt64();
        var demand = await s.W.DetailAsync(s.W.Commissioner, demandId);
        Assert.Equal("mee_assignment", demand.GetProperty("source").GetString());
        Assert.Equal("2026-04-30", demand.GetProperty("dueDate").GetString());
        Assert.Contains("第 2 行", demand.GetProperty("description").GetString());

        // The same file again: the batch it already is, and applying it again creates nothing.
        var again = await UploadAsync(s.W.Commissioner, file, HttpStatusCode.OK);
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(batchId, again.GetProperty("id").GetInt64());
        var twice = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct));
        Assert.Equal(0, twice.GetProperty("created").GetInt32());
        Assert.Equal(2, twice.GetProperty("alreadyImported").GetInt32());
        Assert.Equal(2, await DemandsOfBranchAsync(app, s.W.BranchId));
    }

    [Fact]
    public async Task AMovedAndRenamedColumnIsFoundOrCorrectedBeforeApplying()
    {
        await using var app = new EcoAidApp(fixture);
        var s = await SetupAsync(app);
        // The description comes first under a name the import does not know; the enterprise column is called 单位名称.
        var file = ListXlsx.Build(["问题详情", "序号", "单位名称", "整改期限"], [["台账记录不完整", "1", s.Name, "2026/4/15"]]);

        var preview = await UploadAsync(s.W.Commissioner, file);
        var columns = preview.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("field").GetString()).ToList();
        Assert.Equal([null, "seq", "enterpriseName", "deadline"], columns);
        Assert.Contains("问题描述", preview.GetProperty("mappingProblems")[0].GetString());
        var batchId = preview.GetProperty("id").GetInt64();
        await ProblemAssert.IsProblemAsync(await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct),
            HttpStatusCode.UnprocessableEntity, "supervision.mapping_incomplete");

        var corrected = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PutAsJsonAsync($"/api/supervision/batches/{batchId}/mapping",
            new { columns = new[] { "description", "seq", "enterpriseName", "deadline" } }, Ct));
        Assert.Equal(0, corrected.GetProperty("mappingProblems").GetArrayLength());
        Assert.Equal("台账记录不完整", corrected.GetProperty("rows")[0].GetProperty("description").GetString());
        Assert.Equal("2026-04-15", corrected.GetProperty("rows")[0].GetProperty("deadline").GetString());
        var applied = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct));
        Assert.Equal(1, applied.GetProperty("created").GetInt32());
        var changed = Assert.Single(await AuditLook.OfBranchAsync(app, s.W.BranchId, "supervision_mapping_changed"));
        Assert.Equal(batchId, changed.SubjectId());
        Assert.Equal("description", changed.GetProperty("detail").GetProperty("columns")[0].GetString());
    }

    [Fact]
    public async Task AnUnknownEnterpriseAndALooseNameWaitForAChoiceAndNothingIsImportedUntilThen()
    {
        await using var app = new EcoAidApp(fixture);
        var s = await SetupAsync(app);
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE enterprises SET name = @name WHERE id = @OtherId", new { name = World.Unique("江苏某某家具") + "有限公司", s.OtherId });
        }
        string otherName;
        await using (var db = await app.OpenDatabaseAsync())
        {
            otherName = (await db.ExecuteScalarAsync<string>("SELECT name FROM enterprises WHERE id = @OtherId", new { s.OtherId }))!;
        }
        var loose = otherName.Replace("江苏", "").Replace("有限公司", "厂");
        var file = ListXlsx.Build(ListXlsx.StandardHeader,
        [
            Row("1", loose, "", "喷漆作业不规范", "2026-05-31"),
            Row("2", "从未登记过的企业" + Guid.NewGuid().ToString("N")[..6], "", "雨污分流不彻底", "立行立改"),
        ]);
        var preview = await UploadAsync(s.W.Commissioner, file);
        var rows = preview.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal("choose", rows[0].GetProperty("match").GetString());
        Assert.Equal(s.OtherId, rows[0].GetProperty("candidates")[0].GetProperty("enterpriseId").GetInt64());
        Assert.Equal("unmatched", rows[1].GetProperty("match").GetString());
        Assert.Contains(rows[1].GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("立行立改"));

        var batchId = preview.GetProperty("id").GetInt64();
        var refused = await ProblemAssert.IsProblemAsync(await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct),
            HttpStatusCode.UnprocessableEntity, "supervision.rows_unresolved");
        Assert.Contains("第 2 行", refused.GetProperty("detail").GetString());
        Assert.Equal(0, await DemandsOfBranchAsync(app, s.W.BranchId));

        var applied = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply",
            new { choices = new object[] { new { rowNumber = 2, enterpriseId = s.OtherId }, new { rowNumber = 3, skip = true } } }, Ct));
        Assert.Equal(1, applied.GetProperty("created").GetInt32());
        Assert.Equal(1, applied.GetProperty("skipped").GetInt32());
        Assert.Equal(s.OtherId, applied.GetProperty("items")[0].GetProperty("enterpriseId").GetInt64());
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        { "not_xlsx", "supervision.not_xlsx" },
        { "renamed_zip", "supervision.not_xlsx" },
        { "zip_bomb", "supervision.file_too_large_unpacked" },
        { "ten_thousand_rows", "supervision.too_many_rows" },
        { "formulas", "supervision.formulas" },
        { "merged_header", "supervision.merged_header" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task ABadFileIsRefusedInChineseAndNothingIsKept(string kind, string code)
    {
        // The bomb is tried against a small unpack limit, so the test stays quick; the other files use the defaults.
        await using var app = new EcoAidApp(fixture, c =>
        {
            if (kind == "zip_bomb")
            {
                c["Supervision:MaxUploadBytes"] = "1048576";
                c["Supervision:MaxUnpackedBytes"] = "4194304";
            }
        });
        var s = await SetupAsync(app);
        string[] row = Row("1", s.Name, "", "危废标识不全", "2026-04-30");
        var file = kind switch
        {
            "not_xlsx" => "%PDF-1.7 这不是表格"u8.ToArray(),
            "renamed_zip" => RenamedZip(),
            "zip_bomb" => ListXlsx.Build(ListXlsx.StandardHeader, [row], padding: ("xl/media/padding.bin", 16L << 20)),
            "ten_thousand_rows" => ListXlsx.Build(ListXlsx.StandardHeader, Enumerable.Range(1, 10_000).Select(i => (IReadOnlyList<string>)Row(i.ToString(), s.Name, "", $"问题{i}", "2026-04-30"))),
            "formulas" => ListXlsx.Build(ListXlsx.StandardHeader, [row], formulaCell: "K2"),
            _ => ListXlsx.Build(ListXlsx.StandardHeader, [row], mergeRange: "A1:B1"),
        };
        var problem = await ProblemAssert.IsProblemAsync(await s.W.Commissioner.PostAsync("/api/supervision/batches", ListXlsx.Form(file), Ct),
            HttpStatusCode.UnprocessableEntity, code);
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", problem.GetProperty("detail").GetString());
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM mee_batches WHERE branch_id = @BranchId", new { s.W.BranchId }));
    }

    private static byte[] RenamedZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(zip.CreateEntry("readme.txt").Open());
            writer.Write("an ordinary zip renamed to .xlsx");
        }
        return buffer.ToArray();
    }

    [Fact]
    public async Task AResolvedItemIsClosedOutWithEvidenceAndTheBatchExportsInItsOwnColumns()
    {
        await using var app = new EcoAidApp(fixture);
        var s = await SetupAsync(app);
        var file = ListXlsx.Build(ListXlsx.StandardHeader,
            [Row("1", s.Name, s.Code, "危险废物贮存间标识不全", "2026-04-30"), Row("2", s.OtherName, "", "喷漆废气收集不到位", "2026-05-31")]);
        var batchId = (await UploadAsync(s.W.Commissioner, file)).GetProperty("id").GetInt64();
        var applied = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/batches/{batchId}/apply", new { }, Ct));
        var item = applied.GetProperty("items")[0];
        var itemId = item.GetProperty("itemId").GetInt64();
        var demandId = item.GetProperty("demandId").GetInt64();
        var closeOut = new { evidence = "现场复核：标识已补齐，台账完整", verifier = "陈磊" };

        await ProblemAssert.IsProblemAsync(await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/items/{itemId}/close-out", closeOut, Ct),
            HttpStatusCode.Conflict, "supervision.not_resolved");
        await DemandWorld.Expect(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/demands/{demandId}/accept", s.W.ClaimPlan(), Ct));
        await DemandWorld.Expect(HttpStatusCode.OK, await s.W.Owner.PostAsJsonAsync($"/api/demands/{demandId}/resolve", new { summary = "标识和台账已整改到位" }, Ct));

        // Another branch's commissioner does not see the item.
        var stranger = await DemandWorld.CreateAsync(app);
        await ProblemAssert.IsProblemAsync(await stranger.Commissioner.PostAsJsonAsync($"/api/supervision/items/{itemId}/close-out", closeOut, Ct),
            HttpStatusCode.NotFound, "not_found");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Commissioner.GetAsync($"/api/supervision/batches/{batchId}", Ct)).StatusCode);

        var closed = await HttpExpect.JsonAsync(HttpStatusCode.OK, await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/items/{itemId}/close-out", closeOut, Ct));
        Assert.True(closed.GetProperty("closedOut").GetBoolean());
        Assert.Equal("陈磊", closed.GetProperty("verifier").GetString());
        await ProblemAssert.IsProblemAsync(await s.W.Commissioner.PostAsJsonAsync($"/api/supervision/items/{itemId}/close-out", closeOut, Ct),
            HttpStatusCode.Conflict, "supervision.already_closed_out");
        var timeline = (await s.W.DetailAsync(s.W.Staff, demandId)).GetProperty("timeline").EnumerateArray();
        Assert.Contains(timeline, e => e.GetProperty("kind").GetString() == "mee_closed_out" && e.GetProperty("text").GetString()!.Contains("陈磊"));

        var export = await s.W.Commissioner.GetAsync($"/api/supervision/batches/{batchId}/export", Ct);
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var bytes = await export.Content.ReadAsByteArrayAsync(Ct);
        var sheet = MiniExcel.Query(new MemoryStream(bytes), useHeaderRow: false, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
        var header = sheet[0].Values.Select(v => v?.ToString()).ToList();
        Assert.Equal([.. ListXlsx.StandardHeader, "是否销号"], header);
        Assert.Equal(s.Name, sheet[1]["C"]?.ToString());
        Assert.Contains("销号", sheet[1]["J"]?.ToString());
        Assert.Equal("是", sheet[1]["K"]?.ToString());
        Assert.Contains("整改中", sheet[2]["J"]?.ToString());
        Assert.Equal("否", sheet[2]["K"]?.ToString());

        // The upload, the apply, the 销号 and the export are in the branch's audit trail; the refused attempts are not.
        var commissionerId = await s.W.UserIdOfAsync(s.W.Commissioner);
        var uploaded = Assert.Single(await AuditLook.OfBranchAsync(app, s.W.BranchId, "supervision_list_uploaded"));
        Assert.Equal((batchId, commissionerId, 2), (uploaded.SubjectId(), uploaded.GetProperty("actorUserId").GetInt64(),
            uploaded.GetProperty("detail").GetProperty("rows").GetInt32()));
        var appliedEvent = Assert.Single(await AuditLook.OfBranchAsync(app, s.W.BranchId, "supervision_applied"));
        Assert.Equal((batchId, 2), (appliedEvent.SubjectId(), appliedEvent.GetProperty("detail").GetProperty("created").GetInt32()));
        Assert.Contains(demandId, appliedEvent.GetProperty("detail").GetProperty("demandIds").EnumerateArray().Select(d => d.GetInt64()));
        var closedOut = Assert.Single(await AuditLook.OfBranchAsync(app, s.W.BranchId, "supervision_closed_out"));
        Assert.Equal((itemId, demandId), (closedOut.SubjectId(), closedOut.GetProperty("detail").GetProperty("demandId").GetInt64()));
        var exported = Assert.Single(await AuditLook.OfBranchAsync(app, s.W.BranchId, "export"));
        Assert.Equal(("supervision_batch", batchId, "xlsx"), (exported.GetProperty("subjectType").GetString(), exported.SubjectId(),
            exported.GetProperty("detail").GetProperty("format").GetString()));
        Assert.Empty(await AuditLook.OfBranchAsync(app, stranger.BranchId, "supervision_closed_out"));
    }
}
