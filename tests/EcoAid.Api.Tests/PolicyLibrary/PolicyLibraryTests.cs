using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;
using static EcoAid.Api.Tests.PolicyLibrary.PolicyWorld;

namespace EcoAid.Api.Tests.PolicyLibrary;

public class PolicyLibraryTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnonymousReadersSeeOnlyPublishedDocumentsAndDraftsAre404()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        var id = await w.DraftAsync(Doc($"{marker}草稿文件"));

        Assert.Equal(0, (await w.SearchAsync(w.Anonymous, marker)).GetProperty("total").GetInt64());
        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync($"/api/policies/{id}", Ct), HttpStatusCode.NotFound, "not_found");

        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{id}/publish", null, Ct));
        Assert.Equal([id], Ids(await w.SearchAsync(w.Anonymous, marker)));
        var detail = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies/{id}", Ct));
        Assert.Equal($"{marker}草稿文件", detail.GetProperty("title").GetString());
        Assert.Equal("法规标准", detail.GetProperty("categoryName").GetString());

        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{id}/unpublish", null, Ct));
        Assert.Empty(Ids(await w.SearchAsync(w.Anonymous, marker)));
        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync($"/api/policies/{id}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await w.Admin.PostAsync($"/api/policies/{id}/unpublish", null, Ct), HttpStatusCode.Conflict, "policy.invalid_transition");
    }

    [Fact]
    public async Task SearchFindsChineseSubstringsInEachFieldAndRanksTitleHitsFirst()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        // Published in this order so that recency alone would put them the other way round.
        var inTitle = await w.PublishedAsync(Doc($"关于{marker}的通知"));
        var inSummary = await w.PublishedAsync(Doc("危险废物贮存说明", summary: $"摘要里提到{marker}。"));
        var inBody = await w.PublishedAsync(Doc("活性炭更换要求", body: $"<p>正文第一段。</p><p>第二段写到<strong>{marker}</strong>为止。</p>"));

        Assert.Equal([inTitle, inSummary, inBody], Ids(await w.SearchAsync(w.Anonymous, marker)));
        // A substring from the middle of the word finds the same three.
        Assert.Equal([inTitle, inSummary, inBody], Ids(await w.SearchAsync(w.Anonymous, marker[1..3])));
        // Markup is not text: the tag around the word in the body does not break it up, and tag names are not found.
        Assert.DoesNotContain(inBody, Ids(await w.SearchAsync(w.Anonymous, $"strong>{marker}")));

        var onlyExplainers = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(marker)}&category=explainer", Ct));
        Assert.Equal(0, onlyExplainers.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task ATermInNearlyEveryDocumentIsPagedFromOneRankingWithExactTotals()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        // A word most documents hold (as 危险废物 is in a real library), in every field, plus a document holding each
        // two-character piece but never the word, and the word's synonym in a body.
        var inBody = new List<long>();
        for (var k = 0; k < 12; k++)
        {
            inBody.Add(await w.PublishedAsync(Doc($"第{k}号说明", summary: "摘要", body: $"<p>第{k}段写到{marker}的贮存。</p>")));
        }
        var inSummary = new List<long>();
        for (var k = 0; k < 5; k++)
        {
            inSummary.Add(await w.PublishedAsync(Doc($"第{k}号要点", summary: $"{marker}要点{k}")));
        }
        var inTitle = new List<long>();
        for (var k = 0; k < 4; k++)
        {
            inTitle.Add(await w.PublishedAsync(Doc($"{marker}指南{k}", body: $"<p>正文也有{marker}。</p>")));
        }
        var scattered = await w.PublishedAsync(Doc("无关", body: $"<p>{marker[..2]}与{marker[1..3]}及{marker[2..]}</p>"));
        inTitle.Reverse();
        inSummary.Reverse();
        inBody.Reverse();
        long[] expected = [.. inTitle, .. inSummary, .. inBody];

        var all = await w.SearchAsync(w.Anonymous, marker);
        Assert.Equal(expected, Ids(all));
        Assert.Equal(expected.Length, all.GetProperty("total").GetInt64());
        Assert.DoesNotContain(scattered, Ids(all));
        // Every other page and page size misses the answer cache: the same order and total, page by page.
        var paged = new List<long>();
        for (var page = 1; page <= 5; page++)
        {
            var answer = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(marker)}&page={page}&pageSize=5", Ct));
            Assert.Equal(expected.Length, answer.GetProperty("total").GetInt64());
            paged.AddRange(Ids(answer));
        }
        Assert.Equal(expected, paged);
        var beyond = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(marker)}&page=9&pageSize=5", Ct));
        Assert.Empty(Ids(beyond));
        Assert.Equal(expected.Length, beyond.GetProperty("total").GetInt64());

        // A change to the library ranks again: an unpublished document leaves every page and the total.
        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{inTitle[0]}/unpublish", null, Ct));
        var after = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(marker)}&page=1&pageSize=3", Ct));
        Assert.Equal(expected[1..4], Ids(after));
        Assert.Equal(expected.Length - 1, after.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task TheIndexFindsSubstringsOnlyAndFollowsEdits()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        // Every two-character piece of "{marker}" is in the title of `scattered`, but never the whole word.
        var whole = await w.PublishedAsync(Doc($"{marker}管理办法"));
        var scattered = await w.PublishedAsync(Doc($"{marker[..2]}与{marker[1..3]}及{marker[2..]}"));

        Assert.Equal([whole], Ids(await w.SearchAsync(w.Anonymous, marker)));
        Assert.Equal([whole, scattered], Ids(await w.SearchAsync(w.Anonymous, marker[..2])).Order().ToArray());
        // One character: every document holding it, in any field.
        Assert.Contains(scattered, Ids(await w.SearchAsync(w.Anonymous, marker[3..])));
        // Width and case folding, as the case-insensitive match did: full-width Latin finds half-width.
        var latin = await w.PublishedAsync(Doc($"{marker}VOCs治理"));
        Assert.Equal([latin], Ids(await w.SearchAsync(w.Anonymous, $"{marker}ｖｏｃｓ")));

        // An edit re-cuts the index in its own transaction: the old title is no longer found, the new one is.
        var manage = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/{whole}/manage", Ct));
        await Expect(HttpStatusCode.OK, await w.Admin.PutAsJsonAsync($"/api/policies/{whole}",
            new { title = $"改名后的{marker[..2]}文件", category = "laws_standards", summary = "摘要", body = "<p>正文</p>", tags = Array.Empty<string>(),
                  revision = manage.GetProperty("revision").GetInt32() }, Ct));
        Assert.Equal([latin], Ids(await w.SearchAsync(w.Anonymous, marker)));
        Assert.Equal([whole], Ids(await w.SearchAsync(w.Anonymous, $"改名后的{marker[..2]}")));
    }

    [Fact]
    public async Task SynonymsFromTheTableWidenTheQuery()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        var full = await w.PublishedAsync(Doc($"{marker}挥发性有机物治理指南"));
        var abbreviated = await w.PublishedAsync(Doc($"{marker}VOCs排查清单", summary: "摘要"));
        var inBody = await w.PublishedAsync(Doc("无关标题", summary: "摘要", body: $"<p>{marker}挥发性有机物的收集。</p>"));

        // Either name finds all three; title hits still rank before body hits.
        var byAbbreviation = Ids(await w.SearchAsync(w.Anonymous, $"{marker}VOCs"));
        Assert.Equal([full, abbreviated], byAbbreviation[..2].Order().ToArray());
        Assert.Equal(inBody, byAbbreviation[2]);
        Assert.Equal(3, Ids(await w.SearchAsync(w.Anonymous, $"{marker}挥发性有机物")).Length);

        // A new group is data: added to the table, it takes effect once the instance has read the table again (at most one
        // Policies:VersionCheckInterval later, as a change made on another instance) on the next search that misses the cache.
        var word = Marker();
        var other = Marker();
        var found = await w.PublishedAsync(Doc($"说明{other}"));
        Assert.Empty(Ids(await w.SearchAsync(w.Anonymous, word)));
        await using (var connection = new MySqlConnector.MySqlConnection(fixture.Database.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new MySqlConnector.MySqlCommand(
                "INSERT INTO policy_search_synonyms (group_id, term) SELECT COALESCE(MAX(group_id), 0) + 1, @a FROM policy_search_synonyms; "
                + "INSERT INTO policy_search_synonyms (group_id, term) SELECT MAX(group_id), @b FROM policy_search_synonyms", connection);
            command.Parameters.AddWithValue("@a", word);
            command.Parameters.AddWithValue("@b", other);
            await command.ExecuteNonQueryAsync(Ct);
        }
        Assert.Empty(Ids(await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(word)}&pageSize=98", Ct))));
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([found], Ids(await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(word)}&pageSize=99", Ct))));
    }

    [Fact]
    public async Task LikeWildcardsInTheQueryAreLiteral()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        var literal = await w.PublishedAsync(Doc($"{marker}_达标率100%"));
        var other = await w.PublishedAsync(Doc($"{marker}X达标率100"));

        Assert.Equal([literal], Ids(await w.SearchAsync(w.Anonymous, $"{marker}_")));
        var percent = Ids(await w.SearchAsync(w.Anonymous, $"{marker}_达标率100%"));
        Assert.Equal([literal], percent);
        Assert.Empty(Ids(await w.SearchAsync(w.Anonymous, $"{marker}%100")));
        Assert.Contains(other, Ids(await w.SearchAsync(w.Anonymous, $"{marker}X")));
        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync($"/api/policies?q={new string('查', 51)}", Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync("/api/policies?category=nonsense", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task ScriptHandlersForeignFramesAndJavascriptUrlsNeverReachReaders()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        const string body = """
            <p onclick="steal()" style="position:fixed">第一段</p><script>alert('x')</script>
            <a href="javascript:alert(1)">坏链接</a><a href="https://www.mee.gov.cn/" onmouseover="x()">生态环境部</a>
            <iframe src="https://evil.example/"></iframe><img src="x" onerror="alert(2)"><svg onload="alert(3)"><circle/></svg>
            """;
        var id = await w.PublishedAsync(Doc("净化测试", body: body));

        var html = (await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies/{id}", Ct))).GetProperty("bodyHtml").GetString()!;
        Assert.Contains("<p>第一段</p>", html, StringComparison.Ordinal);
        Assert.Contains("坏链接", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://www.mee.gov.cn/\">生态环境部</a>", html, StringComparison.Ordinal);
        foreach (var banned in new[] { "script", "onclick", "onmouseover", "onerror", "onload", "javascript", "iframe", "svg", "style", "<img", "evil" })
        {
            Assert.DoesNotContain(banned, html, StringComparison.OrdinalIgnoreCase);
        }
        // What is stored is the sanitised form: the administrator sees exactly what readers get.
        var managed = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/{id}/manage", Ct));
        Assert.Equal(html, managed.GetProperty("body").GetString());
    }

    [Fact]
    public async Task EditsKeepTheirHistoryAndAStaleRevisionIsRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.PublishedAsync(Doc("第一版标题"));
        var edit = new { title = "第二版标题", category = "credit_repair", summary = "新摘要", body = "<p>新正文</p>", revision = 2 };

        var edited = await Expect(HttpStatusCode.OK, await w.Admin.PutAsJsonAsync($"/api/policies/{id}", edit, Ct));
        Assert.Equal(3, edited.GetProperty("revision").GetInt32());
        await ProblemAssert.IsProblemAsync(await w.Admin.PutAsJsonAsync($"/api/policies/{id}", edit, Ct), HttpStatusCode.Conflict, "policy.edited_meanwhile");

        var history = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/{id}/revisions", Ct));
        var revisions = history.GetProperty("items").EnumerateArray().Select(r => (r.GetProperty("revision").GetInt32(), r.GetProperty("action").GetString(), r.GetProperty("title").GetString())).ToList();
        Assert.Equal([(3, "edited", "第二版标题"), (2, "published", "第一版标题"), (1, "created", "第一版标题")], revisions);
        Assert.Equal("第二版标题", (await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/policies/{id}", Ct))).GetProperty("title").GetString());
    }

    [Fact]
    public async Task AdministratorOfAnotherBranchGets404()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.DraftAsync(Doc("本支部的文件"));
        var world = new World(app);
        var (cityId, otherBranch) = await world.BranchAsync();
        var otherAdmin = await world.UserAsync("admin", cityId, otherBranch);

        await ProblemAssert.IsProblemAsync(await otherAdmin.GetAsync($"/api/policies/{id}/manage", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await otherAdmin.PostAsync($"/api/policies/{id}/publish", null, Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await otherAdmin.GetAsync($"/api/policies/{id}/qrcode", Ct), HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain(id, Ids(await Expect(HttpStatusCode.OK, await otherAdmin.GetAsync("/api/policies/manage?pageSize=100", Ct))));
    }

    [Fact]
    public async Task AnEtagThatStillMatchesGets304AndAnEditChangesIt()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        var id = await w.PublishedAsync(Doc($"{marker}缓存"));

        var first = await w.Anonymous.GetAsync($"/api/policies/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;
        Assert.Contains("no-cache", first.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.True(first.Headers.CacheControl!.Public);

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/policies/{id}");
        again.Headers.IfNoneMatch.Add(etag);
        var notModified = await w.Anonymous.SendAsync(again, Ct);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal(etag, notModified.Headers.ETag);

        var list = await w.Anonymous.GetAsync($"/api/policies?q={Uri.EscapeDataString(marker)}", Ct);
        using var listAgain = new HttpRequestMessage(HttpMethod.Get, $"/api/policies?q={Uri.EscapeDataString(marker)}");
        listAgain.Headers.IfNoneMatch.Add(list.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await w.Anonymous.SendAsync(listAgain, Ct)).StatusCode);

        await Expect(HttpStatusCode.OK, await w.Admin.PutAsJsonAsync($"/api/policies/{id}", new { title = $"{marker}已修改", category = "funding", body = "<p>改</p>" }, Ct));
        using var afterEdit = new HttpRequestMessage(HttpMethod.Get, $"/api/policies/{id}");
        afterEdit.Headers.IfNoneMatch.Add(etag);
        var changed = await w.Anonymous.SendAsync(afterEdit, Ct);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
    }

    [Fact]
    public async Task APublishOnOneInstanceIsSeenOnAnotherWithinTwoCheckIntervals()
    {
        await using var first = new EcoAidApp(fixture);
        await using var second = new EcoAidApp(fixture);
        var w = await CreateAsync(first);
        var reader = second.CreateClient();
        var marker = Marker();
        var id = await w.DraftAsync(Doc($"{marker}第一版"));

        // The second instance reads (and caches) the library before the publish.
        Assert.Empty(Ids(await w.SearchAsync(reader, marker)));
        await ProblemAssert.IsProblemAsync(await reader.GetAsync($"/api/policies/{id}", Ct), HttpStatusCode.NotFound, "not_found");

        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{id}/publish", null, Ct));
        Assert.Equal([id], Ids(await w.SearchAsync(w.Anonymous, marker))); // the publishing instance knows at once

        // Within the check interval (1 s) the second instance still answers from its cache...
        Assert.Empty(Ids(await w.SearchAsync(reader, marker)));
        // ...and within two intervals the publish is there.
        second.Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([id], Ids(await w.SearchAsync(reader, marker)));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync($"/api/policies/{id}", Ct)).StatusCode);

        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{id}/unpublish", null, Ct));
        second.Clock.Advance(TimeSpan.FromSeconds(2));
        await ProblemAssert.IsProblemAsync(await reader.GetAsync($"/api/policies/{id}", Ct), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task ViewsAreCountedPerDayIncludingRevalidations()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.PublishedAsync(Doc("浏览计数"));

        EntityTagHeaderValue? etag = null;
        for (var k = 0; k < 3; k++)
        {
            etag = (await w.Anonymous.GetAsync($"/api/policies/{id}", Ct)).Headers.ETag;
        }
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, $"/api/policies/{id}");
        revalidate.Headers.IfNoneMatch.Add(etag!);
        Assert.Equal(HttpStatusCode.NotModified, (await w.Anonymous.SendAsync(revalidate, Ct)).StatusCode);
        await w.Anonymous.GetAsync($"/api/policies/{id + 100000}", Ct); // a miss counts nothing
        await w.FlushCountersAsync();

        var stats = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/stats?policyId={id}", Ct));
        Assert.Equal(4, stats.GetProperty("views").GetInt64());
        Assert.Equal(4, stats.GetProperty("days").EnumerateArray().Last().GetProperty("views").GetInt64());
        var document = Assert.Single(stats.GetProperty("documents").EnumerateArray());
        Assert.Equal(4, document.GetProperty("views").GetInt64());
    }

    [Fact]
    public async Task CreatingWithAnIdempotencyKeyTwiceMakesOneDraft()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var marker = Marker();
        var key = Guid.NewGuid().ToString();
        async Task<JsonElement> Create()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/policies") { Content = JsonContent.Create(Doc($"{marker}幂等")) };
            request.Headers.Add("Idempotency-Key", key);
            return await Expect(HttpStatusCode.Created, await w.Admin.SendAsync(request, Ct));
        }

        var a = await Create();
        var b = await Create();
        Assert.Equal(a.GetProperty("id").GetInt64(), b.GetProperty("id").GetInt64());
        var managed = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/manage?q={Uri.EscapeDataString(marker)}", Ct));
        Assert.Equal(1, managed.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task ValidationNamesTheFieldsInChinese()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var response = await w.Admin.PostAsJsonAsync("/api/policies", new { title = "", category = "other", body = "<script>x()</script>" }, Ct);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("title", out _));
        Assert.True(errors.TryGetProperty("category", out _));
        Assert.Contains("为空", errors.GetProperty("body")[0].GetString(), StringComparison.Ordinal);
    }
}
