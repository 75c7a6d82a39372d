using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using OpenQA.Selenium;

namespace EcoAid.Api.Tests.Console;

/// <summary>The desk console in a real browser: login by scanning, the demand pages, the projector view, accessibility.</summary>
[Collection(nameof(ConsoleBrowserCollection))]
public class ConsoleTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HttpRequestMessage CookieRequest(HttpMethod method, string url, string session)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("Cookie", "ecoaid_console=" + session);
        return request;
    }

    [Fact]
    public async Task LoginByScanRefusesStaffExpiredAndReusedTicketsAndNeedsTheBrowserThatAsked()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var world = await DemandWorld.CreateAsync(browser.App);

        // Enterprise staff scan: a clear refusal, and the code stays usable for someone else.
        var ticket = browser.ShowLoginCode();
        browser.AssertAccessible("login");
        await ProblemAssert.IsProblemAsync(await world.Staff.PostAsync($"/api/console-login/{ticket}/confirm", null, Ct),
            HttpStatusCode.Forbidden, "console_login.role_not_allowed");

        // Another client (no binding cookie) cannot read the ticket's state or its code, nor exchange it.
        var stranger = browser.App.CreateClient();
        await ProblemAssert.IsProblemAsync(await stranger.GetAsync($"/api/console-login/{ticket}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await stranger.GetAsync($"/api/console-login/{ticket}/qrcode", Ct), HttpStatusCode.NotFound, "not_found");

        // The commissioner confirms: the browser logs in by itself.
        Assert.Equal(HttpStatusCode.NoContent, (await world.Commissioner.PostAsync($"/api/console-login/{ticket}/confirm", null, Ct)).StatusCode);
        browser.Wait(By.CssSelector("#nav a"));
        Assert.Contains("服务专员", browser.Driver.FindElement(By.Id("who")).Text);
        await ProblemAssert.IsProblemAsync(await stranger.PostAsync($"/api/console-login/{ticket}/session", null, Ct), HttpStatusCode.NotFound, "not_found");

        // The same code again: used.
        await ProblemAssert.IsProblemAsync(await world.Secretary.PostAsync($"/api/console-login/{ticket}/confirm", null, Ct),
            HttpStatusCode.Conflict, "console_login.used");

        // The cookie is HttpOnly and SameSite=Strict; a change with it but without the CSRF header is refused.
        var cookie = browser.Driver.Manage().Cookies.GetCookieNamed("ecoaid_console")!;
        Assert.True(cookie.IsHttpOnly);
        Assert.Equal("Strict", cookie.SameSite);
        await ProblemAssert.IsProblemAsync(await stranger.SendAsync(CookieRequest(HttpMethod.Post, "/api/console/logout", cookie.Value), Ct),
            HttpStatusCode.Forbidden, "console.csrf");
        Assert.Equal(HttpStatusCode.OK, (await stranger.SendAsync(CookieRequest(HttpMethod.Get, "/api/console/session", cookie.Value), Ct)).StatusCode);
        // The cookie is not a bearer token.
        var asBearer = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        asBearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cookie.Value);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.SendAsync(asBearer, Ct)).StatusCode);

        // Logout ends the session; a new code that nobody scans in time expires.
        browser.Driver.FindElement(By.Id("logout")).Click();
        browser.WaitUntil(d => d.FindElements(By.Id("login-code")).Count == 1 && !d.FindElement(By.Id("nav")).Displayed);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.SendAsync(CookieRequest(HttpMethod.Get, "/api/console/session", cookie.Value), Ct)).StatusCode);
        var late = browser.ShowLoginCode(open: false);
        browser.App.Clock.Advance(TimeSpan.FromMinutes(3));
        await ProblemAssert.IsProblemAsync(await world.Secretary.PostAsync($"/api/console-login/{late}/confirm", null, Ct),
            HttpStatusCode.Gone, "console_login.expired");
        browser.WaitUntil(d => d.FindElement(By.Id("login-status")).Text.Contains("已过期"));
    }

    [Fact]
    public async Task ADemandFromSubmissionToResolutionInTheBrowserKeyboardOnlyAndAnotherBranchsDemandIsNotFound()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var world = await DemandWorld.CreateAsync(browser.App);
        var id = await world.SubmitAsync(new { category = "pollution_control", title = "危废暂存间标识不全", description = "危险废物暂存间标识不全，台账不完整，请求现场指导。" });
        await world.SubmitAsync(new { category = "eia_approval", title = "扩建项目环评手续咨询", description = "计划扩建一条生产线，想了解环评审批流程和所需材料。" });
        await world.AcceptedAsync();
        await browser.LoginAsync(world.Commissioner);
        browser.WaitUntil(d => d.FindElements(By.CssSelector(".card .n")).Count > 0 && d.FindElements(By.CssSelector(".card .n")).All(n => n.Text != "…"));
        Assert.Contains("危废暂存间标识不全", browser.Driver.FindElement(By.CssSelector("section[aria-label='待受理']")).Text);
        browser.AssertAccessible("工作台");

        // 诉求清单: the new demand is listed, the list is searchable.
        browser.Open("#/demands?status=submitted");
        browser.Wait(By.LinkText("危废暂存间标识不全"));
        browser.AssertAccessible("诉求清单");

        // Triage with the keyboard alone: the accept button, then the plan form field by field.
        browser.Open($"#/demands/{id}");
        var accept = browser.Wait(By.CssSelector("button[data-action='accept']"));
        Assert.Equal(["accept", "return"], browser.Driver.FindElements(By.CssSelector("button[data-action]")).Select(b => b.GetAttribute("data-action")));
        accept.SendKeys(Keys.Enter);
        browser.Wait(By.Name("objective"));
        var active = () => browser.Driver.SwitchTo().ActiveElement();
        Assert.Equal("objective", active().GetAttribute("name"));
        active().SendKeys("规范危废暂存，完善台账");
        active().SendKeys(Keys.Tab);
        active().SendKeys("现场指导危废暂存间设置" + Keys.Shift + Keys.Enter + Keys.Shift + "复核台账");
        active().SendKeys(Keys.Tab); // 办理方式
        Assert.Equal("mode", active().GetAttribute("name"));
        active().SendKeys(Keys.ArrowDown); // 移交科室办理: the transfer names the department and its liaison handles it
        active().SendKeys(Keys.Tab);
        Assert.Equal("departmentId", active().GetAttribute("name"));
        active().SendKeys(Keys.Tab);
        active().SendKeys("邳州生态环境综合行政执法局法制宣传科");
        active().SendKeys(Keys.Tab);
        active().SendKeys("2026-03-20");
        active().SendKeys(Keys.Enter);
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#timeline li[data-kind='transferred'], #timeline li[data-kind='accepted']")).Count > 0);
        var detail = await world.DetailAsync(world.Commissioner, id);
        Assert.Equal("accepted", detail.GetProperty("status").GetString());
        Assert.Equal(world.DepartmentId, detail.GetProperty("department").GetProperty("id").GetInt64());

        // 督办 from the page, visible in the timeline.
        browser.Wait(By.CssSelector("button[data-action='urge']")).Click();
        browser.Wait(By.Name("text")).SendKeys("请本周内完成现场指导");
        browser.Driver.FindElement(By.CssSelector("#action-form button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#timeline li[data-kind='urged']")).Count == 1);

        // The department's liaison resolves it (in the mini-program); the console shows it in the timeline.
        await DemandWorld.Expect(HttpStatusCode.OK, await world.DepartmentLiaison.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "已完成现场指导，台账已补齐" }, Ct));
        browser.Driver.Navigate().Refresh();
        browser.Wait(By.CssSelector("#timeline li[data-kind='resolved']"));
        Assert.Contains("已完成现场指导", browser.Driver.FindElement(By.Id("timeline")).Text);
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("button[data-action]")));
        browser.AssertAccessible("诉求详情");

        // Another branch's demand opened by URL: the 404 page with the API's Chinese detail.
        var other = await DemandWorld.CreateAsync(browser.App);
        var foreign = await other.SubmitAsync();
        browser.Open($"#/demands/{foreign}");
        var notFound = browser.Wait(By.Id("not-found"));
        Assert.Contains("不存在", notFound.Text);

    }

    /// <summary>The data-action of each action button on the detail page, in order.</summary>
    private static List<string> ActionButtons(ConsoleBrowser browser) =>
        browser.Driver.FindElements(By.CssSelector("button[data-action]")).Select(b => b.GetAttribute("data-action")!).ToList();

    /// <summary>The API's allowedActions for the caller, less the enterprise's own (confirm, withdraw), which no desk page offers.</summary>
    private static async Task<List<string>> DeskActionsAsync(DemandWorld world, HttpClient client, long id) =>
        (await world.DetailAsync(client, id)).GetProperty("allowedActions").EnumerateArray().Select(a => a.GetString()!)
            .Where(a => a is not ("confirm" or "withdraw")).ToList();

    [Fact]
    public async Task TheOwnerAsksForMoreTimeTheCommissionerNamesAnotherBodyAndTheListPagesByCursor()
    {
        await using var browser = ConsoleBrowser.Start(fixture);
        var world = await DemandWorld.CreateAsync(browser.App);
        var id = await world.AcceptedAsync();
        var soon = await world.SubmitAsync(DemandWorld.NewDemand("雨污分流改造咨询"));
        await DemandWorld.Expect(HttpStatusCode.OK, await world.Commissioner.PostAsJsonAsync($"/api/demands/{soon}/accept", new
        {
            objective = "明确雨污分流改造方案", measures = new[] { "现场查看管网" }, ownerMemberId = world.OwnerMemberId, dueDate = "2026-03-06",
        }, Ct));
        for (var k = 0; k < 3; k++)
        {
            await world.SubmitAsync(DemandWorld.NewDemand("噪声监测咨询" + (k + 1)));
            browser.App.Clock.Advance(TimeSpan.FromMinutes(1));
        }

        // The member who owns it asks for more time: the form is there because the API lists requestExtension.
        await browser.LoginAsync(world.Owner);
        browser.Open($"#/demands/{id}");
        browser.Wait(By.CssSelector("button[data-action='requestExtension']"));
        Assert.Equal(await DeskActionsAsync(world, world.Owner, id), ActionButtons(browser));
        Assert.DoesNotContain("setResponsible", ActionButtons(browser));
        browser.Driver.FindElement(By.CssSelector("button[data-action='requestExtension']")).Click();
        browser.Wait(By.Name("dueDate")).SendKeys("2026-04-10");
        browser.Driver.FindElement(By.Name("reason")).SendKeys("企业设备到货推迟，需延后现场复核");
        browser.AssertAccessible("诉求详情（申请延期）");
        browser.Driver.FindElement(By.CssSelector("#action-form button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#timeline li[data-kind='extension_requested']")).Count == 1, what: "the extension request in the timeline");
        Assert.Contains("申请延期", browser.Driver.FindElement(By.CssSelector("#timeline li[data-kind='extension_requested']")).Text);
        var detail = await world.DetailAsync(world.Owner, id);
        Assert.Equal("2026-04-10", detail.GetProperty("pendingExtension").GetProperty("dueDate").GetString());
        // Pending now: the API no longer lists it, and the page no longer offers it.
        Assert.Equal(await DeskActionsAsync(world, world.Owner, id), ActionButtons(browser));
        Assert.DoesNotContain("requestExtension", ActionButtons(browser));
        browser.Driver.FindElement(By.Id("logout")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#login-code[src]")).Count == 1, what: "the login page after logout");

        // The commissioner: due within 7 days on the 工作台 is the server's count (dueBy), not one page filtered in the browser.
        await browser.LoginAsync(world.Commissioner);
        browser.Wait(By.CssSelector("section[aria-label='即将到期（7 天内）']"));
        browser.WaitUntil(d => d.FindElement(By.CssSelector("section[aria-label='即将到期（7 天内）'] .n")).Text != "…", what: "the due-soon card");
        var apiDueSoon = await DemandWorld.Expect(HttpStatusCode.OK, await world.Commissioner.GetAsync("/api/demands?dueBy=2026-03-09", Ct));
        Assert.Equal(1, apiDueSoon.GetProperty("total").GetInt64());
        Assert.Equal("1", browser.Driver.FindElement(By.CssSelector("section[aria-label='即将到期（7 天内）'] .n")).Text);
        Assert.Contains("雨污分流改造咨询（2026-03-06）", browser.Driver.FindElement(By.CssSelector("section[aria-label='即将到期（7 天内）']")).Text);

        // ...names another body as 责任单位 with its 责任人: the structured form the API takes, shown because it is listed.
        browser.Open($"#/demands/{id}");
        browser.Wait(By.CssSelector("button[data-action='setResponsible']"));
        Assert.Equal(await DeskActionsAsync(world, world.Commissioner, id), ActionButtons(browser));
        Assert.DoesNotContain("requestExtension", ActionButtons(browser));
        browser.Driver.FindElement(By.CssSelector("button[data-action='setResponsible']")).Click();
        browser.Wait(By.Name("unitName")).SendKeys("邳州市自然资源和规划局");
        browser.Driver.FindElement(By.Name("personName")).SendKeys("王强");
        browser.Driver.FindElement(By.Name("personPhone")).SendKeys("13800001111");
        browser.Driver.FindElement(By.Name("reason")).SendKeys("用地手续由自然资源部门办理");
        browser.AssertAccessible("诉求详情（指定责任单位）");
        browser.Driver.FindElement(By.CssSelector("#action-form button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#timeline li[data-kind='reassigned']")).Count == 1, what: "the new 责任单位 in the timeline");
        Assert.Contains("调整责任人", browser.Driver.FindElement(By.CssSelector("#timeline li[data-kind='reassigned']")).Text);
        var responsible = (await world.DetailAsync(world.Commissioner, id)).GetProperty("responsible");
        Assert.Equal("other", responsible.GetProperty("unitKind").GetString());
        Assert.Equal("邳州市自然资源和规划局", responsible.GetProperty("unitName").GetString());
        Assert.Equal("王强", responsible.GetProperty("personName").GetString());
        var plan = browser.Driver.FindElement(By.CssSelector("section[aria-labelledby='plan-title']")).Text;
        Assert.Contains("邳州市自然资源和规划局", plan);
        Assert.Contains("王强", plan);

        // 诉求清单 by the API's cursor: forward to the end and back, the rows the API lists in its order; the total when asked.
        var expected = (await DemandWorld.Expect(HttpStatusCode.OK, await world.Commissioner.GetAsync("/api/demands?pageSize=100", Ct)))
            .GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetInt64()).ToList();
        Assert.Equal(5, expected.Count);
        List<long> Rows() => browser.Driver.FindElements(By.CssSelector("table tbody a"))
            .Select(a => long.Parse(a.GetAttribute("href")!.Split("#/demands/")[1])).ToList();
        string Pager() => browser.Driver.FindElement(By.CssSelector("nav.pager span")).Text;
        browser.Open("#/demands?pageSize=2&includeTotal=true");
        browser.WaitUntil(d => Pager() == "第 1 / 3 页", what: "the first page");
        Assert.Contains("共 5 条", browser.Driver.FindElement(By.CssSelector("table caption")).Text);
        Assert.False(browser.Driver.FindElement(By.Id("pager-prev")).Enabled);
        var walked = Rows();
        var second = new List<long>();
        foreach (var n in new[] { 2, 3 })
        {
            browser.Driver.FindElement(By.Id("pager-next")).Click();
            browser.WaitUntil(d => Pager() == $"第 {n} / 3 页", what: $"page {n}");
            if (n == 2)
            {
                second = Rows();
            }
            walked.AddRange(Rows());
        }
        Assert.Equal(expected, walked);
        Assert.False(browser.Driver.FindElement(By.Id("pager-next")).Enabled);
        browser.Driver.FindElement(By.Id("pager-prev")).Click();
        browser.WaitUntil(d => Pager() == "第 2 / 3 页", what: "back to page 2");
        Assert.Equal(second, Rows());
        browser.Driver.FindElement(By.Id("pager-prev")).Click();
        browser.WaitUntil(d => Pager() == "第 1 / 3 页", what: "back to page 1");
        Assert.Equal(expected[..2], Rows());
        browser.AssertAccessible("诉求清单（分页）");
        // Not asked for the total: no count, the pages still walk.
        browser.Open("#/demands?pageSize=2");
        browser.WaitUntil(d => Pager() == "第 1 页", what: "a page without the total");
        Assert.DoesNotContain("共", browser.Driver.FindElement(By.CssSelector("table caption")).Text);
        Assert.True(browser.Driver.FindElement(By.Id("pager-next")).Enabled);
    }

    [Fact]
    public async Task AMeetingDecisionIsAppliedFromTheProjectorView()
    {
        await using var browser = ConsoleBrowser.Start(fixture, 1920, 1080);
        var world = await DemandWorld.CreateAsync(browser.App);
        var id = await world.AcceptedAsync(); // due in 10 working days: on the agenda as due soon
        var meeting = await DemandWorld.Expect(HttpStatusCode.Created, await world.Secretary.PostAsJsonAsync("/api/meetings", new { month = "2026-03" }, Ct));
        var meetingId = meeting.GetProperty("id").GetInt64();
        var agenda = meeting.GetProperty("agenda").EnumerateArray().ToList();
        var position = agenda.FindIndex(a => a.GetProperty("demand").ValueKind == JsonValueKind.Object && a.GetProperty("demand").GetProperty("id").GetInt64() == id);
        Assert.True(position >= 0, "the accepted demand is on the agenda");

        await browser.LoginAsync(world.Secretary);
        browser.Open($"#/meetings/{meetingId}/projector?item={position + 1}");
        browser.Wait(By.CssSelector(".projector-view"));
        Assert.Contains("危废暂存间不规范", browser.Driver.FindElement(By.CssSelector(".projector-view .item")).Text);
        browser.Driver.FindElement(By.Name("text")).SendKeys("由服务专员每周跟踪");
        browser.Driver.FindElement(By.CssSelector(".projector-view form button[type='submit']")).Click();
        browser.WaitUntil(d => d.FindElement(By.Id("decisions")).Text.Contains("由服务专员每周跟踪"));
        browser.AssertAccessible("投屏视图");

        var detail = await world.DetailAsync(world.Secretary, id);
        Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "urged"
            && e.GetProperty("text").GetString()!.Contains("由服务专员每周跟踪"));
    }
}

/// <summary>Browser tests run one at a time: each starts a Chromium, and the machine has few cores.</summary>
[CollectionDefinition(nameof(ConsoleBrowserCollection), DisableParallelization = true)]
public sealed class ConsoleBrowserCollection;
