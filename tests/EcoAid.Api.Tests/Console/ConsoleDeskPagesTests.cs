using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using OpenQA.Selenium;

namespace EcoAid.Api.Tests.Console;

/// <summary>The console's desk pages in a real browser: 统计, 报告, 审核, 回访 and 审计, each checked against the API's own answers.</summary>
[Collection(nameof(ConsoleBrowserCollection))]
public class ConsoleDeskPagesTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Logout(ConsoleBrowser browser)
    {
        browser.Driver.FindElement(By.Id("logout")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#login-code[src]")).Count == 1, what: "the login page after logout");
    }

    [Fact]
    public async Task StatisticsDrawTheApisFiguresAndTheSecretaryIssuesAReportFromThePage()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var world = await DemandWorld.CreateAsync(browser.App);
        await world.SubmitAsync(new { category = "pollution_control", title = "污水站在线监测数据异常", description = "在线监测数据偶有跳变，请帮助排查原因。" });
        await world.SubmitAsync(new { category = "eia_approval", title = "技改项目环评手续咨询", description = "计划技改一条生产线，想了解环评审批的流程。" });
        await world.AcceptedAsync();
        await browser.LoginAsync(world.Secretary);

        // 统计: every bar carries the count the API gives for its category, in the API's order; the rates table shows
        // the numerator and denominator the API gives.
        browser.Open("#/stats?from=2026-03-01&to=2026-03-31");
        browser.Wait(By.CssSelector("svg.chart rect"));
        var overview = await DemandWorld.Expect(HttpStatusCode.OK, await world.Secretary.GetAsync("/api/stats/overview?from=2026-03-01&to=2026-03-31", Ct));
        var byCategory = overview.GetProperty("total").GetProperty("byCategory").EnumerateArray().Select(c => c.GetProperty("count").GetInt32()).ToList();
        var bars = browser.Driver.FindElements(By.CssSelector("figure.chart-figure"))[0].FindElements(By.TagName("rect"))
            .Select(r => int.Parse(r.GetAttribute("data-value")!)).ToList();
        Assert.Equal(byCategory, bars);
        Assert.Equal(3, byCategory.Sum());
        Assert.Contains(bars, b => b > 0);
        var widths = browser.Driver.FindElements(By.CssSelector("figure.chart-figure"))[0].FindElements(By.TagName("rect"))
            .Select(r => double.Parse(r.GetAttribute("width")!)).ToList();
        Assert.Contains(widths, w => w > 0); // drawn, not an empty frame
        var response = overview.GetProperty("total").GetProperty("rates").GetProperty("response");
        var rateRow = browser.Driver.FindElements(By.CssSelector("table tbody tr")).First(r => r.Text.StartsWith("响应率"));
        Assert.Contains(response.GetProperty("numerator").GetInt32().ToString(), rateRow.Text);
        Assert.Contains(response.GetProperty("denominator").GetInt32().ToString(), rateRow.Text);
        browser.AssertAccessible("统计");

        // 报告: the secretary issues this month's report; the page lists it with both files, and the files are the ones
        // the API stored.
        browser.Open("#/reports?month=2026-03");
        browser.Wait(By.Id("issue-report")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("a.file-link")).Count == 2, 30, "the issued report's two files");
        var reports = await DemandWorld.Expect(HttpStatusCode.OK, await world.Secretary.GetAsync("/api/reports", Ct));
        var issued = Assert.Single(reports.GetProperty("items").EnumerateArray());
        Assert.Equal("2026-03", issued.GetProperty("month").GetString());
        var links = browser.Driver.FindElements(By.CssSelector("a.file-link")).Select(a => new Uri(a.GetAttribute("href")!).AbsolutePath).Order().ToList();
        Assert.Equal(issued.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("url").GetString()!).Order().ToList(), links);
        // The three charts are drawn by the service and load in the page.
        browser.WaitUntil(d => d.FindElements(By.CssSelector(".report-charts img")).Count == 3
            && d.FindElements(By.CssSelector(".report-charts img")).All(i => Convert.ToInt64(((IJavaScriptExecutor)d).ExecuteScript("return arguments[0].naturalWidth;", i)) > 0),
            30, "the three charts");
        browser.AssertAccessible("报告");
        browser.Screenshot("reports");

        // A member sees neither page, and opening one by URL gives the 404 page.
        Logout(browser);
        await browser.LoginAsync(world.Owner);
        Assert.DoesNotContain(browser.Driver.FindElements(By.CssSelector("#nav a")), a => a.Text is "统计" or "报告" or "审计");
        browser.Open("#/stats");
        browser.Wait(By.Id("not-found"));
    }

    [Fact]
    public async Task AFlaggedDemandIsReviewedAVisitIsRecordedAndTheAdminReadsTheAuditTrail()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var app = browser.App;
        var world = await DemandWorld.CreateAsync(app);
        var word = World.Unique("偷排");
        app.Sandbox.ReviewWords[word] = 21000;
        var flagged = await DemandWorld.Expect(HttpStatusCode.Created, await world.Staff.PostAsJsonAsync("/api/demands",
            new { category = "petition", title = "反映周边企业夜间异味", description = $"夜间{word}，请核查" }, Ct));
        Assert.Equal("pending_review", flagged.GetProperty("status").GetString());
        var id = flagged.GetProperty("id").GetInt64();

        // 审核: the commissioner finds it, opens it, and the page offers exactly the actions the API lists.
        await browser.LoginAsync(world.Commissioner);
        browser.Open("#/review");
        browser.Wait(By.LinkText("反映周边企业夜间异味")).Click();
        browser.Wait(By.CssSelector("button[data-action='reviewAccept']"));
        var detail = await world.DetailAsync(world.Commissioner, id);
        Assert.Equal(detail.GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()).ToList(),
            browser.Driver.FindElements(By.CssSelector("button[data-action]")).Select(b => b.GetAttribute("data-action")).ToList());
        browser.AssertAccessible("审核");
        browser.Driver.FindElement(By.CssSelector("button[data-action='reviewAccept']")).Click();
        browser.Wait(By.CssSelector("#action-form button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("button[data-action='accept']")).Count == 1, what: "the accept button once reviewed");
        Assert.Equal("submitted", (await world.DetailAsync(world.Commissioner, id)).GetProperty("status").GetString());
        browser.Open("#/review");
        browser.Wait(By.Id("review-empty"));

        // 回访: the commissioner records a visit with the form; the list shows it as the API stored it.
        browser.Open("#/visits");
        var form = browser.Wait(By.CssSelector("form[aria-label='记录回访']"));
        browser.WaitUntil(d => d.FindElements(By.CssSelector("select[name='memberIds'] option")).Count > 0
            && d.FindElements(By.CssSelector("select[name='enterpriseId'] option")).Count > 0, what: "the enterprises and members");
        browser.Driver.FindElement(By.CssSelector("select[name='memberIds'] option")).Click();
        form.FindElement(By.Name("findings")).SendKeys("危废台账已补齐，暂存间标识已更新。");
        form.FindElement(By.CssSelector("button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElement(By.TagName("main")).Text.Contains("危废台账已补齐"), what: "the recorded visit in the list");
        var visits = await DemandWorld.Expect(HttpStatusCode.OK, await world.Commissioner.GetAsync("/api/visits", Ct));
        Assert.Contains(visits.GetProperty("items").EnumerateArray(), v => v.GetProperty("findings").GetString() == "危废台账已补齐，暂存间标识已更新。");
        browser.AssertAccessible("回访");

        // 审计: the branch's administrator reads the trail (the logins above are in it); the commissioner has no such page.
        Assert.DoesNotContain(browser.Driver.FindElements(By.CssSelector("#nav a")), a => a.Text == "审计");
        long cityId;
        await using (var connection = await app.OpenDatabaseAsync())
        {
            cityId = await connection.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { world.BranchId });
        }
        var admin = await new World(app).UserAsync("admin", cityId, world.BranchId);
        Logout(browser);
        await browser.LoginAsync(admin);
        // The administrator makes an invite for a member from the registry page: a one-time code.
        browser.Open("#/registry/members");
        browser.Wait(By.CssSelector("button[data-invite]")).Click();
        var code = browser.Wait(By.CssSelector("#invite-result .invite-code")).Text;
        Assert.False(string.IsNullOrWhiteSpace(code));
        browser.AssertAccessible("成员名录");

        // Both desk logins (the commissioner's and the administrator's) are in the trail, as the API lists them.
        browser.Open("#/audit?kind=login");
        browser.WaitUntil(d => d.FindElements(By.CssSelector("main table tbody tr")).Count > 0, what: "the audit rows");
        var events = await DemandWorld.Expect(HttpStatusCode.OK, await admin.GetAsync("/api/audit-events?kind=login&pageSize=50", Ct));
        Assert.Equal(events.GetProperty("items").GetArrayLength(), browser.Driver.FindElements(By.CssSelector("main table tbody tr")).Count);
        Assert.All(browser.Driver.FindElements(By.CssSelector("main table tbody tr")), r => Assert.Contains("登录", r.Text));
        Assert.True(events.GetProperty("items").GetArrayLength() >= 2, "the commissioner's and the administrator's desk logins");
        browser.Open("#/audit?kind=invite_created");
        browser.WaitUntil(d => d.FindElements(By.CssSelector("main table tbody tr")).Count == 1, what: "the invite in the trail");
        browser.AssertAccessible("审计");
        browser.Screenshot("audit");
    }

    [Fact]
    public async Task APolicyWithAScriptAndAnOnerrorIsPreviewedAndPublishedWithoutThemAndGetsItsPlacard()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var app = browser.App;
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        await browser.LoginAsync(admin);

        browser.Open("#/policies");
        browser.Wait(By.Id("new-policy")).Click();
        browser.Wait(By.Name("title")).SendKeys("危险废物规范化管理要点");
        browser.Driver.FindElement(By.Name("summary")).SendKeys("暂存、台账、转移联单三件事。");
        browser.Driver.FindElement(By.Name("body")).SendKeys(
            "<p>暂存间应当防风、防雨、防晒。</p><script>alert(1)</script><img src=\"x\" onerror=\"alert(2)\"><p>台账逐项登记。</p>");
        browser.Driver.FindElement(By.Name("source")).SendKeys("《危险废物贮存污染控制标准》（GB 18597—2023）");
        browser.Driver.FindElement(By.Id("save-policy")).Click();

        // The preview is the saved draft as readers get it: the text stays, the script and the handler are gone.
        var frame = browser.Wait(By.Id("policy-preview"));
        var srcdoc = frame.GetAttribute("srcdoc")!;
        Assert.Contains("暂存间应当防风、防雨、防晒。", srcdoc);
        Assert.Contains("台账逐项登记。", srcdoc);
        Assert.DoesNotContain("<script", srcdoc, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror", srcdoc, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", frame.GetAttribute("sandbox"));
        browser.AssertAccessible("政策库编辑");

        browser.Driver.FindElement(By.Id("publish")).Click();
        browser.Wait(By.Id("unpublish"));
        var id = long.Parse(browser.Driver.Url.Split('/').Last());
        var published = await DemandWorld.Expect(HttpStatusCode.OK, await app.CreateClient().GetAsync($"/api/policies/{id}", Ct));
        var html = published.GetProperty("bodyHtml").GetString()!;
        Assert.Equal(srcdoc[srcdoc.IndexOf("<p>", StringComparison.Ordinal)..], html);

        // A code for the gate, and its 公示牌 with the title, the code and the branch.
        browser.Driver.FindElement(By.Name("qrSource")).SendKeys("gate");
        browser.Driver.FindElement(By.CssSelector("#qr-title ~ form button[type='submit']")).Click();
        browser.Wait(By.Id("placard-link")).Click();
        var placard = browser.Wait(By.Id("placard"));
        Assert.Contains("危险废物规范化管理要点", placard.Text);
        browser.WaitUntil(d => Convert.ToInt64(((IJavaScriptExecutor)d).ExecuteScript(
            "return document.querySelector('#placard img').naturalWidth;")) > 0, 30, "the placard's code");
        Assert.Contains("gate", placard.FindElement(By.TagName("img")).GetAttribute("src"));
        browser.AssertAccessible("公示牌");
        browser.Screenshot("placard");
    }

    [Fact]
    public async Task TheCommissionerSendsAMaterialListAndSeesWhoReadIt()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var app = browser.App;
        var world = await DemandWorld.CreateAsync(app);
        long cityId;
        await using (var connection = await app.OpenDatabaseAsync())
        {
            cityId = await connection.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @BranchId", new { world.BranchId });
        }
        var admin = await new World(app).UserAsync("admin", cityId, world.BranchId);
        var title = World.Unique("环保专项资金申报指南");
        var policy = await DemandWorld.Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/policies",
            new { title, category = "funding", summary = "申报条件与材料。", body = "<p>申报条件、材料清单与时间安排。</p>" }, Ct));
        var policyId = policy.GetProperty("id").GetInt64();
        Assert.True((await admin.PostAsync($"/api/policies/{policyId}/publish", null, Ct)).IsSuccessStatusCode);

        await browser.LoginAsync(world.Commissioner);
        browser.Open($"#/materials?enterpriseId={world.EnterpriseId}");
        browser.Wait(By.Id("materials-empty"));
        browser.Driver.FindElement(By.CssSelector($"input[name='policyIds'][value='{policyId}']")).Click();
        browser.Driver.FindElement(By.Name("note")).SendKeys("请对照申报条件准备材料。");
        browser.Driver.FindElement(By.CssSelector("form[aria-label='送政策'] button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElement(By.TagName("main")).Text.Contains("请对照申报条件准备材料。"), what: "the sent list");
        var row = browser.Driver.FindElements(By.CssSelector("main table tbody tr")).Single();
        Assert.Contains(title, row.Text);
        Assert.EndsWith("未读", row.Text);
        browser.AssertAccessible("资料清单");

        // The enterprise's contact reads it in the mini-program; the console shows who and when.
        var mine = await DemandWorld.Expect(HttpStatusCode.OK, await world.Staff.GetAsync("/api/materials", Ct));
        var listId = mine.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetInt64();
        Assert.True((await world.Staff.PostAsync($"/api/materials/{listId}/read", null, Ct)).IsSuccessStatusCode);
        browser.Driver.Navigate().Refresh();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("main table tbody tr")).Count == 1
            && d.FindElement(By.CssSelector("main table tbody tr")).Text.Contains("已读"), what: "the read mark");
    }
}
