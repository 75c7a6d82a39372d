using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Demands;

public class DemandIntakeTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<int> CountDemandsAsync(EcoAidApp app, long enterpriseId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demands WHERE enterprise_id = @enterpriseId", new { enterpriseId });
    }

    [Fact]
    public async Task TwentyParallelSubmissionsWithOneKeyMakeOneDemand()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand()) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await w.Staff.SendAsync(request, Ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(Ct));
        }, Ct)));

        Assert.Equal(1, await CountDemandsAsync(app, w.EnterpriseId));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"{r.StatusCode}: {r.Body}"));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetInt64()).ToList();
        Assert.NotEmpty(created);
        Assert.Single(created.Distinct());

        // A later retry gets the first answer again.
        using var retry = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand()) };
        retry.Headers.Add("Idempotency-Key", key);
        var replay = await w.Staff.SendAsync(retry, Ct);
        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal(created[0], (await replay.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64());
        Assert.Equal($"/api/demands/{created[0]}", replay.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task ParallelSubmissionsAreNumberedWithoutGapsAndTheNumberIsTakenLast()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);

        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => w.SubmitAsync(), Ct)));
        // A submission refused inside the transaction (an attachment that is not the user's) takes no number.
        var refused = await w.Staff.PostAsJsonAsync("/api/demands",
            new { category = "other", title = "带附件", description = "见照片", attachmentIds = new[] { long.MaxValue } }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var last = await w.SubmitAsync();

        await using var db = await app.OpenDatabaseAsync();
        var rows = (await db.QueryAsync<(long Id, string Number)>("SELECT id, number FROM demands WHERE branch_id = @BranchId ORDER BY id",
            new { w.BranchId })).ToList();
        var year = rows[0].Number[2..6];
        var sequences = rows.Select(r => int.Parse(r.Number[7..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 9).ToArray(), sequences);
        Assert.All(rows, r => Assert.Matches($"^SQ{year}-\\d{{4}}$", r.Number));
        Assert.Equal($"SQ{year}-0009", rows.Single(r => r.Id == last).Number);
        Assert.Equal(ids.Append(last).Order().ToArray(), rows.Select(r => r.Id).ToArray());

        // Past 9999 the number grows a digit rather than wrapping (the same as the answer's format).
        await db.ExecuteAsync("UPDATE demand_numbers SET last = 9999 WHERE branch_id = @BranchId", new { w.BranchId });
        var big = await w.SubmitAsync();
        Assert.Equal($"SQ{year}-10000", (await w.DetailAsync(w.Commissioner, big)).GetProperty("number").GetString());
    }

    [Fact]
    public async Task ManyUsersOfOneBranchSubmitAtOnceAndEachGetsItsOwnNumberAndNotice()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var commissionerMember = await world.MemberAsync(branchId, "服务专员");
        await world.UserAsync("commissioner", cityId, branchId, memberId: commissionerMember);
        const int Users = 24;
        // Each contact of an enterprise of its own (no liaison), so each demand tells exactly one person: the commissioner.
        var staff = new List<HttpClient>();
        for (var i = 0; i < Users; i++)
        {
            staff.Add(await world.UserAsync("staff", cityId, branchId, enterpriseId: await world.EnterpriseAsync(branchId)));
        }
        var keys = Enumerable.Range(0, Users).Select(_ => Guid.NewGuid().ToString()).ToArray();
        async Task<(HttpStatusCode Status, string Body)> Submit(int i)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand($"并发提交{i}")) };
            request.Headers.Add("Idempotency-Key", keys[i]);
            var response = await staff[i].SendAsync(request, Ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
        }

        var answers = await Task.WhenAll(Enumerable.Range(0, Users).Select(i => Task.Run(() => Submit(i), Ct)));

        Assert.All(answers, a => Assert.True(a.Status == HttpStatusCode.Created, $"{a.Status}: {a.Body}"));
        var created = answers.Select(a => JsonDocument.Parse(a.Body).RootElement).Select(e => (Id: e.GetProperty("id").GetInt64(), Number: e.GetProperty("number").GetString()!)).ToList();
        await using var db = await app.OpenDatabaseAsync();
        var rows = (await db.QueryAsync<(long Id, string Number)>("SELECT id, number FROM demands WHERE branch_id = @branchId", new { branchId })).ToList();
        // Gap-free per branch and year: exactly 1..Users, each once, and each answer names its demand's stored number.
        Assert.Equal(Users, rows.Count);
        var year = rows[0].Number[2..6];
        Assert.All(rows, r => Assert.Matches($"^SQ{year}-\\d{{4}}$", r.Number));
        Assert.Equal(Enumerable.Range(1, Users).ToArray(), rows.Select(r => int.Parse(r.Number[7..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray());
        Assert.Equal(rows.OrderBy(r => r.Id).ToList(), created.OrderBy(c => c.Id).ToList());

        // One outbox row per demand, for the commissioner, carrying the demand's real number (not the provisional one).
        var outbox = (await db.QueryAsync<(long DemandId, string Kind, string Type, long RecipientId, string Payload)>("""
            SELECT o.demand_id, o.kind, o.recipient_type, o.recipient_id, o.payload FROM notification_outbox o JOIN demands d ON d.id = o.demand_id
            WHERE d.branch_id = @branchId
            """, new { branchId })).ToList();
        Assert.Equal(rows.Select(r => r.Id).Order(), outbox.Select(o => o.DemandId).Order());
        Assert.All(outbox, o =>
        {
            Assert.Equal(("demand_submitted", "member", commissionerMember), (o.Kind, o.Type, o.RecipientId));
            Assert.Equal(rows.Single(r => r.Id == o.DemandId).Number, JsonDocument.Parse(o.Payload).RootElement.GetProperty("number").GetString());
        });

        // Each key's stored answer carries the real number too: a retry replays it.
        var replay = await Submit(5);
        Assert.Equal(HttpStatusCode.Created, replay.Status);
        Assert.Equal(answers[5].Body, replay.Body);
        Assert.Equal(Users, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demands WHERE branch_id = @branchId", new { branchId }));
    }

    [Fact]
    public async Task SameKeyWithAnotherBodyIs422()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> Send(string title)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand(title)) };
            request.Headers.Add("Idempotency-Key", key);
            return await w.Staff.SendAsync(request, Ct);
        }

        Assert.Equal(HttpStatusCode.Created, (await Send("第一个")).StatusCode);
        await ProblemAssert.IsProblemAsync(await Send("第二个"), HttpStatusCode.UnprocessableEntity, "idempotency.key_reused");
        Assert.Equal(1, await CountDemandsAsync(app, w.EnterpriseId));
    }

    [Theory]
    [InlineData("'; DROP TABLE demands; --")]
    [InlineData("Robert\"); DELETE FROM users WHERE (\"1\"=\"1")]
    [InlineData("厂区废气🏭排放超标😤，𠮷野家旁边")]
    [InlineData("100% 达标_率 \\ 反斜杠")]
    public async Task TextIsStoredAndReturnedExactly(string text)
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.SubmitAsync(new { category = "other", title = text, description = text + "\n第二行" });

        var detail = await w.DetailAsync(w.Staff, id);
        Assert.Equal(text, detail.GetProperty("title").GetString());
        Assert.Equal(text + "\n第二行", detail.GetProperty("description").GetString());
        var found = await w.Commissioner.GetFromJsonAsync<JsonElement>($"/api/demands?q={Uri.EscapeDataString(text[..4])}", Ct);
        Assert.Contains(found.GetProperty("items").EnumerateArray(), d => d.GetProperty("id").GetInt64() == id);
    }

    [Fact]
    public async Task AWrongChoiceIsExplainedInWordsNotCodes()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);

        var problem = await ProblemAssert.IsProblemAsync(await w.Staff.PostAsJsonAsync("/api/demands",
            new { category = "pollution", title = "危废暂存间", description = "标识不全" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        var message = problem.GetProperty("errors").GetProperty("category")[0].GetString()!;
        Assert.Equal("取值必须是以下之一：污染治理、环评审批、信用修复、项目审批、资金申报、荣誉评定、信访投诉、政策咨询、其他。", message);

        var id = await w.AcceptedAsync();
        var progress = await ProblemAssert.IsProblemAsync(await w.Owner.PostAsJsonAsync($"/api/demands/{id}/progress",
            new { kind = "visit", text = "已到现场", visibility = "everyone" }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.Equal("取值必须是以下之一：办理进展、现场帮扶、专家指导、备注。", progress.GetProperty("errors").GetProperty("kind")[0].GetString());
        Assert.Equal("取值必须是以下之一：企业可见、仅内部可见。", progress.GetProperty("errors").GetProperty("visibility")[0].GetString());
    }

    [Fact]
    public async Task OverLongTextIsRefusedNotCut()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);

        var response = await w.Staff.PostAsJsonAsync("/api/demands",
            new { category = "other", title = new string('长', 101), description = string.Concat(Enumerable.Repeat("😀", 2001)) }, Ct);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("title", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("description", out _));
        Assert.Equal(0, await CountDemandsAsync(app, w.EnterpriseId));
    }

    [Fact]
    public async Task EmojiCountAsOneCharacterEach()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        await w.SubmitAsync(new { category = "other", title = string.Concat(Enumerable.Repeat("😀", 100)), description = "ok" });
    }

    [Fact]
    public async Task DailyCapHoldsPerUser()
    {
        await using var app = new EcoAidApp(fixture, s => s["Demands:DailyLimitPerUser"] = "3");
        var w = await DemandWorld.CreateAsync(app);
        for (var i = 0; i < 3; i++)
        {
            await w.SubmitAsync();
        }

        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsJsonAsync("/api/demands", DemandWorld.NewDemand(), Ct),
            HttpStatusCode.TooManyRequests, "demand.daily_limit");
        Assert.Equal(3, await CountDemandsAsync(app, w.EnterpriseId));
        app.Clock.Advance(TimeSpan.FromDays(1));
        await w.SubmitAsync();
    }

    [Fact]
    public async Task ReachIsScopedForEveryRole()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var other = await DemandWorld.CreateAsync(app); // another branch
        var id = await w.AcceptedAsync();
        var world = new World(app);
        var neighbourEnterprise = await world.EnterpriseAsync(w.BranchId);
        var (cityId, _) = await world.BranchAsync();
        var neighbourStaff = await world.UserAsync("staff", cityId, w.BranchId, enterpriseId: neighbourEnterprise);
        var strangerMember = await world.UserAsync("member", cityId, w.BranchId);

        bool IsStaff(HttpClient client) => client == neighbourStaff || client == other.Staff; // staff may never record progress: 403 before reach
        foreach (var outsider in new[] { neighbourStaff, strangerMember, other.Commissioner, other.Staff, other.DepartmentLiaison })
        {
            await ProblemAssert.IsProblemAsync(await outsider.GetAsync($"/api/demands/{id}", Ct), HttpStatusCode.NotFound, "not_found");
            await ProblemAssert.IsProblemAsync(await outsider.PostAsJsonAsync($"/api/demands/{id}/progress",
                new { kind = "note", text = "x", visibility = "internal" }, Ct), IsStaff(outsider) ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound,
                IsStaff(outsider) ? "auth.forbidden" : "not_found");
            var list = await outsider.GetFromJsonAsync<JsonElement>("/api/demands?pageSize=100", Ct);
            Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), d => d.GetProperty("id").GetInt64() == id);
        }
        foreach (var insider in new[] { w.Staff, w.Owner, w.Liaison, w.Commissioner, w.Secretary })
        {
            Assert.Equal(HttpStatusCode.OK, (await insider.GetAsync($"/api/demands/{id}", Ct)).StatusCode);
        }
        // Transferred elsewhere, the department liaison of this branch does not reach it.
        await ProblemAssert.IsProblemAsync(await w.DepartmentLiaison.GetAsync($"/api/demands/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        // Staff never see internal detail such as the content-check state.
        Assert.Equal(JsonValueKind.Null, (await w.DetailAsync(w.Staff, id)).GetProperty("contentCheck").ValueKind);
    }

    [Fact]
    public async Task FiltersNarrowTheList()
    {
        await using var app = new EcoAidApp(fixture, s => s["Auth:SessionLifetime"] = "60.00:00:00");
        var w = await DemandWorld.CreateAsync(app);
        var submitted = await w.SubmitAsync();
        var accepted = await w.AcceptedAsync();
        var credit = await w.SubmitAsync(new { category = "credit_repair", title = "信用修复", description = "申请信用修复" });

        async Task<long[]> Ids(HttpClient client, string query) =>
            (await client.GetFromJsonAsync<JsonElement>($"/api/demands?pageSize=100&{query}", Ct))
                .GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetInt64()).ToArray();

        Assert.Equal([credit, submitted], await Ids(w.Commissioner, "status=submitted"));
        Assert.Equal([credit], await Ids(w.Commissioner, "category=credit_repair"));
        Assert.Equal([accepted], await Ids(w.Owner, "owner=me"));
        Assert.Empty(await Ids(w.Commissioner, "overdue=true"));
        app.Clock.Advance(TimeSpan.FromDays(40));
        Assert.Equal([accepted], await Ids(w.Commissioner, "overdue=true"));
        await ProblemAssert.IsProblemAsync(await w.Commissioner.GetAsync("/api/demands?status=lost", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task DueByListsTheDemandsDueFromTodayThroughThatDayCountedByTheServer()
    {
        await using var app = new EcoAidApp(fixture); // Monday 2026-03-02 in Shanghai
        var w = await DemandWorld.CreateAsync(app);
        async Task<long> AcceptedDue(string dueDate)
        {
            var id = await w.SubmitAsync();
            await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", new
            {
                objective = "规范危废暂存，完善台账", measures = new[] { "现场指导危废暂存间设置" }, ownerMemberId = w.OwnerMemberId, dueDate,
            }, Ct));
            return id;
        }
        var thursday = await AcceptedDue("2026-03-05");
        var nextMonday = await AcceptedDue("2026-03-09");
        var later = await AcceptedDue("2026-03-20");
        await w.SubmitAsync(); // not accepted: no due date, never due soon
        async Task<JsonElement> Get(string query) => await w.Commissioner.GetFromJsonAsync<JsonElement>($"/api/demands?{query}", Ct);
        static long[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetInt64()).ToArray();

        // Today through seven days on: both ends count; the total is the server's, whatever the page size.
        var week = await Get("dueBy=2026-03-09&pageSize=1");
        Assert.Equal(2, week.GetProperty("total").GetInt64());
        Assert.Equal([nextMonday], Ids(week));
        Assert.Equal([nextMonday, thursday], Ids(await Get("dueBy=2026-03-09&pageSize=100")));
        Assert.Equal([nextMonday, thursday], Ids(await Get("dueBy=2026-03-09&cursor=&includeTotal=true&pageSize=100")));
        Assert.Equal([later, nextMonday, thursday], Ids(await Get("dueBy=2026-03-31&pageSize=100")));
        Assert.Empty(Ids(await Get("dueBy=2026-03-04&pageSize=100")));
        Assert.Equal([nextMonday], Ids(await w.Owner.GetFromJsonAsync<JsonElement>("/api/demands?dueBy=2026-03-09&pageSize=1&page=1", Ct)));

        // Four days on, Thursday's is overdue: overdue=true lists it, dueBy no longer does.
        app.Clock.Advance(TimeSpan.FromDays(4));
        Assert.Equal([nextMonday], Ids(await Get("dueBy=2026-03-13&pageSize=100")));
        Assert.Equal([thursday], Ids(await Get("overdue=true&pageSize=100")));

        // Not a yyyy-MM-dd date: a Chinese problem that names the field.
        foreach (var bad in new[] { "2026-3-9", "tomorrow", "2026-02-30", "" })
        {
            var problem = await ProblemAssert.IsProblemAsync(await w.Commissioner.GetAsync($"/api/demands?dueBy={Uri.EscapeDataString(bad)}", Ct),
                HttpStatusCode.BadRequest, "validation.failed");
            Assert.Contains("yyyy-MM-dd", problem.GetProperty("errors").GetProperty("dueBy")[0].GetString());
        }
    }

    [Fact]
    public async Task ACursorWalksTheSameListAsPageNumbersAndCountsOnlyWhenAsked()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var submitted = new List<long>();
        for (var k = 0; k < 7; k++)
        {
            submitted.Add(await w.SubmitAsync());
            if (k % 3 == 0)
            {
                app.Clock.Advance(TimeSpan.FromMinutes(1)); // some share a submission instant, some do not
            }
        }
        async Task<JsonElement> Get(string query) => await w.Commissioner.GetFromJsonAsync<JsonElement>($"/api/demands?{query}", Ct);
        static long[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetInt64()).ToArray();

        var all = await Get("pageSize=100");
        Assert.Equal(7, all.GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, all.GetProperty("nextCursor").ValueKind);
        var expected = Ids(all);
        Assert.Equal(submitted.AsEnumerable().Reverse(), expected);

        // Page numbers, as before (with a total), and the cursor, page by page: the same rows in the same order.
        var byNumber = new List<long>();
        for (var page = 1; page <= 3; page++)
        {
            var answer = await Get($"page={page}&pageSize=3");
            Assert.Equal(7, answer.GetProperty("total").GetInt64());
            Assert.Equal(page, answer.GetProperty("page").GetInt32());
            byNumber.AddRange(Ids(answer));
        }
        Assert.Equal(expected, byNumber);
        var byCursor = new List<long>();
        var cursor = "";
        var pages = 0;
        while (cursor is not null && pages++ < 10)
        {
            var answer = await Get($"pageSize=3&cursor={Uri.EscapeDataString(cursor)}");
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("total").ValueKind); // counted only when asked
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("page").ValueKind);
            byCursor.AddRange(Ids(answer));
            cursor = answer.GetProperty("nextCursor").GetString();
        }
        Assert.Equal(3, pages);
        Assert.Equal(expected, byCursor);
        // The page-number answer's nextCursor continues where that page ended.
        var first = await Get("page=1&pageSize=4");
        var rest = await Get($"pageSize=10&includeTotal=true&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}");
        Assert.Equal(expected[4..], Ids(rest));
        Assert.Equal(7, rest.GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, (await Get("page=2&pageSize=3&includeTotal=false")).GetProperty("total").ValueKind);
        // Filters apply to cursor pages as to numbered ones; a cursor from elsewhere is refused.
        Assert.Equal(expected, Ids(await Get("cursor=&pageSize=100&status=submitted")));
        await ProblemAssert.IsProblemAsync(await w.Commissioner.GetAsync("/api/demands?cursor=bm90LWEtY3Vyc29y", Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await w.Commissioner.GetAsync("/api/demands?cursor=&page=2", Ct), HttpStatusCode.BadRequest, "validation.failed");
        // Staff see their enterprise's demands the same way.
        Assert.Equal(expected, Ids(await w.Staff.GetFromJsonAsync<JsonElement>("/api/demands?cursor=&pageSize=100", Ct)));
    }

    [Fact]
    public async Task AListItemShowsWhatTheDetailShowsForEveryRole()
    {
        // The list reads fewer columns than the detail (DemandStore.ListSelect): what both show must agree, for every
        // role that reads lists, on demands in each state (submitted, accepted, resolved, transferred to a department).
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        await w.SubmitAsync(new { category = "eia_approval", title = "环评咨询", description = "请求指导环评手续。", urgent = true });
        await w.AcceptedAsync();
        await w.ResolvedAsync();
        var transferred = await w.SubmitAsync();
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{transferred}/accept",
            new { objective = "移交科室办理", measures = new[] { "科室指导" }, departmentId = w.DepartmentId, dueInWorkingDays = 5 }, Ct));
        string[] shared = ["id", "number", "enterpriseId", "enterpriseName", "category", "source", "title", "status", "urgent", "dueDate",
            "overdue", "submittedAt", "responsible", "version", "allowedActions"];
        var seen = 0;
        foreach (var client in new[] { w.Staff, w.Commissioner, w.Owner, w.Liaison, w.DepartmentLiaison, w.Secretary })
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/api/demands?pageSize=100", Ct);
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                var detail = await w.DetailAsync(client, item.GetProperty("id").GetInt64());
                foreach (var name in shared)
                {
                    Assert.Equal(detail.GetProperty(name).GetRawText(), item.GetProperty(name).GetRawText());
                }
                Assert.Equal(detail.GetProperty("owner") is { ValueKind: JsonValueKind.Object } o ? o.GetProperty("name").GetString() : null,
                    item.GetProperty("ownerName").GetString());
                Assert.Equal(detail.GetProperty("department") is { ValueKind: JsonValueKind.Object } d ? d.GetProperty("name").GetString() : null,
                    item.GetProperty("departmentName").GetString());
                seen++;
            }
        }
        Assert.True(seen >= 10, $"only {seen} list items compared");
    }

    [Fact]
    public async Task TheTotalIsExactAfterEveryWriteWhicheverInstanceMadeIt()
    {
        // Two instances on one database: each keeps its own counts (DemandCounts), and a write on either is seen by both.
        await using var app = new EcoAidApp(fixture);
        await using var second = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var elsewhere = second.CreateClient();
        elsewhere.DefaultRequestHeaders.Authorization = w.Commissioner.DefaultRequestHeaders.Authorization;
        async Task<long> Total(HttpClient client, string filter = "") =>
            (await client.GetFromJsonAsync<JsonElement>($"/api/demands?page=1&pageSize=1{filter}", Ct)).GetProperty("total").GetInt64();
        async Task<long> Counted(string status)
        {
            await using var db = await app.OpenDatabaseAsync();
            return await db.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM demands WHERE branch_id = @BranchId AND status LIKE @status",
                new { w.BranchId, status });
        }
        async Task SameOnBoth()
        {
            foreach (var client in new[] { w.Commissioner, elsewhere, w.Commissioner, elsewhere }) // twice each: counted, then kept
            {
                Assert.Equal(await Counted("%"), await Total(client));
                Assert.Equal(await Counted("submitted"), await Total(client, "&status=submitted"));
                Assert.Equal(await Counted("accepted"), await Total(client, "&status=accepted"));
            }
        }

        var first = await w.SubmitAsync();
        await SameOnBoth();
        await w.SubmitAsync(); // submitted on the first instance, counted on both
        await SameOnBoth();
        await Expect(HttpStatusCode.OK, await elsewhere.PostAsJsonAsync($"/api/demands/{first}/accept", w.ClaimPlan(), Ct)); // a step on the second
        await SameOnBoth();
        Assert.Equal(1, await Total(w.Owner, "&owner=me")); // a member's reach is counted each time
        await Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{first}/urge", new { text = "请加快" }, Ct));
        await SameOnBoth();
        await Expect(HttpStatusCode.OK, await w.Staff.PostAsJsonAsync($"/api/demands/{first}/withdraw", new { reason = "已自行解决" }, Ct));
        await SameOnBoth();
        Assert.Equal(2, await Total(elsewhere));
        Assert.Equal(0, await Total(elsewhere, "&status=accepted"));
    }

    private static Task<JsonElement> Expect(HttpStatusCode status, HttpResponseMessage response) => HttpExpect.JsonAsync(status, response);

    [Fact]
    public async Task WorkingDayDeadlinesSkipHolidaysAndCountMakeUpDays()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("city_admin", cityId, branchId); // the national calendar is city-level data
        // The fake clock starts on Monday 2 March 2026 (Shanghai). Make Tue–Thu holidays and Saturday 7 March a workday.
        foreach (var day in new[] { "2026-03-03", "2026-03-04", "2026-03-05" })
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/calendar/{day}", new { kind = "holiday", name = "测试假期" }, Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/calendar/2026-03-07", new { kind = "workday", name = "调休上班" }, Ct)).StatusCode);
        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync("/api/calendar/2026-03-09", new { kind = "workday", name = "周一调休？" }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        var id = await w.SubmitAsync();

        var accepted = await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", w.ClaimPlan(3), Ct));

        // Fri 6, Sat 7 (make-up), Mon 9.
        Assert.Equal("2026-03-09", accepted.GetProperty("dueDate").GetString());
        foreach (var day in new[] { "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-07" })
        {
            Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/calendar/{day}", Ct)).StatusCode);
        }
    }

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0];

    private static MultipartFormDataContent FileForm(byte[] bytes, string name, string contentType)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { file, "file", name } };
    }

    [Fact]
    public async Task AttachmentsAreSniffedCappedAndReadOnlyInReach()
    {
        var folder = Path.Combine(Path.GetTempPath(), "ecoaid-attachments-" + Guid.NewGuid().ToString("N"));
        await using var app = new EcoAidApp(fixture, s => { s["Attachments:Directory"] = folder; s["Attachments:MaxBytes"] = "4096"; });
        var w = await DemandWorld.CreateAsync(app);
        var other = await DemandWorld.CreateAsync(app);

        var uploaded = await DemandWorld.Expect(HttpStatusCode.Created, await w.Staff.PostAsync("/api/attachments", FileForm(Png, "现场照片.jpg", "image/jpeg"), Ct));
        Assert.Equal("image/png", uploaded.GetProperty("contentType").GetString()); // what the bytes say, not the name
        var attachmentId = uploaded.GetProperty("id").GetInt64();
        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsync("/api/attachments", FileForm("MZ not an image"u8.ToArray(), "photo.png", "image/png"), Ct),
            HttpStatusCode.UnsupportedMediaType, "attachment.unsupported_type");
        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsync("/api/attachments", FileForm([.. Png, .. new byte[5000]], "big.png", "image/png"), Ct),
            HttpStatusCode.RequestEntityTooLarge, "request.too_large");
        var pdf = await w.Staff.PostAsync("/api/attachments", FileForm("%PDF-1.7\n%\u00e2\u00e3"u8.ToArray(), "材料.pdf", "application/pdf"), Ct);
        Assert.Equal(HttpStatusCode.Created, pdf.StatusCode);

        var id = await w.SubmitAsync(new { category = "other", title = "带附件", description = "见照片", attachmentIds = new[] { attachmentId } });
        var bytes = await (await w.Commissioner.GetAsync($"/api/attachments/{attachmentId}", Ct)).Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(Png, bytes);
        await ProblemAssert.IsProblemAsync(await other.Commissioner.GetAsync($"/api/attachments/{attachmentId}", Ct), HttpStatusCode.NotFound, "not_found");
        // Someone else's upload cannot be attached.
        await ProblemAssert.IsProblemAsync(await other.Staff.PostAsJsonAsync("/api/demands",
            new { category = "other", title = "借用附件", description = "x", attachmentIds = new[] { attachmentId } }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        Assert.Single((await w.DetailAsync(w.Staff, id)).GetProperty("timeline")[0].GetProperty("attachmentIds").EnumerateArray());
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task ExportOpensAsASpreadsheetWithTheBureausColumns()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.AcceptedAsync();
        var number = (await w.DetailAsync(w.Commissioner, id)).GetProperty("number").GetString()!;

        var response = await w.Commissioner.GetAsync("/api/demands/export?format=xlsx", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType!.MediaType);
        var table = Xlsx.Read(await response.Content.ReadAsByteArrayAsync(Ct)).Single();
        var xml = string.Join("|", table.SelectMany(r => r));
        foreach (var column in new[] { "编号", "企业名称", "问题类别", "问题描述", "工作目标", "思路举措", "责任单位", "责任人", "完成时限", "办理状态" })
        {
            Assert.Contains(column, xml);
        }
        Assert.Contains(number, xml);
        Assert.Contains("现场指导危废暂存间设置", xml);

        var csv = await w.Commissioner.GetStringAsync("/api/demands/export?format=csv", Ct);
        Assert.Contains(number, csv);
        await ProblemAssert.IsProblemAsync(await w.Staff.GetAsync("/api/demands/export", Ct), HttpStatusCode.Forbidden, "auth.forbidden");
    }

    [Fact]
    public async Task ExportListsEveryDemandInReachOldestFirstPastTenThousandInBothFormats()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var newest = await w.AcceptedAsync();
        var newestNumber = (await w.DetailAsync(w.Commissioner, newest)).GetProperty("number").GetString()!;
        const int Bulk = 10_050; // past the 10,000 rows the export used to stop at
        const string Digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 " +
            "UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        string liaisonName;
        await using (var db = await app.OpenDatabaseAsync())
        {
            var submitter = await db.ExecuteScalarAsync<long>("SELECT submitted_by FROM demands WHERE id = @newest", new { newest });
            liaisonName = (await db.ExecuteScalarAsync<string>("SELECT name FROM members WHERE id = @LiaisonMemberId", new { w.LiaisonMemberId }))!;
            await db.ExecuteAsync($"""
                INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, status, content_check,
                                     submitted_by, submitted_at, updated_at)
                SELECT @BranchId, @EnterpriseId, CONCAT('SQ-BULK-', LPAD(n, 5, '0')), 'other', 'mini_program', CONCAT('批量诉求', n), '用于导出全部诉求',
                       FALSE, 'submitted', 'passed', @submitter, @now - INTERVAL n MINUTE, @now
                FROM (SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
                      FROM {Digits} a CROSS JOIN {Digits} b CROSS JOIN {Digits} c CROSS JOIN {Digits} e CROSS JOIN {Digits} f) numbers
                WHERE n <= {Bulk}
                """, new { w.BranchId, w.EnterpriseId, submitter, now = app.Clock.GetUtcNow().UtcDateTime });
        }

        var bytes = await w.Commissioner.GetByteArrayAsync("/api/demands/export?format=csv", Ct);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]); // the BOM, so Excel reads the Chinese as UTF-8
        // Every row ends its last quoted cell with CRLF; a cell's own line breaks (the measures) are LF only.
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + Bulk + 1, lines.Length);
        Assert.StartsWith("\"序号\",\"编号\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"\"1\",\"SQ-BULK-{Bulk}\"", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"\"{Bulk + 1}\",\"{newestNumber}\"", lines[^1], StringComparison.Ordinal);

        var xlsx = await w.Commissioner.GetAsync("/api/demands/export?format=xlsx", Ct);
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        var table = Xlsx.Read(await xlsx.Content.ReadAsByteArrayAsync(Ct)).Single();
        Assert.Equal(1 + Bulk + 1, table.Count);
        Assert.Equal(["1", $"SQ-BULK-{Bulk}"], table[1].Take(2));
        Assert.Equal([(Bulk + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), newestNumber], table[^1].Take(2));
        Assert.Equal(liaisonName, table[1][3]); // 包挂成员: the enterprise's liaison, on every row
        Assert.Equal(liaisonName, table[^1][3]);

        await using var check = await app.OpenDatabaseAsync();
        var counted = await check.QueryAsync<int>("""
            SELECT CAST(JSON_VALUE(detail, '$.rows') AS UNSIGNED) FROM audit_events
            WHERE kind = 'export' AND subject_type = 'demand_list' AND branch_id = @BranchId ORDER BY id
            """, new { w.BranchId });
        Assert.Equal([Bulk + 1, Bulk + 1], counted);
    }
}
