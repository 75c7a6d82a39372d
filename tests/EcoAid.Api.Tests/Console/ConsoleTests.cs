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
        browser.Screenshot("dashboard");

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
        browser.Screenshot("demand-detail");

        // Another branch's demand opened by URL: the 404 page with the API's Chinese detail.
        var other = await DemandWorld.CreateAsync(browser.App);
        var foreign = await other.SubmitAsync();
        browser.Open($"#/demands/{foreign}");
        var notFound = browser.Wait(By.Id("not-found"));
        Assert.Contains("不存在", notFound.Text);

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
        browser.Screenshot("projector");

        var detail = await world.DetailAsync(world.Secretary, id);
        Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "urged"
            && e.GetProperty("text").GetString()!.Contains("由服务专员每周跟踪"));
    }
}

/// <summary>Browser tests run one at a time: each starts a Chromium, and the machine has few cores.</summary>
[CollectionDefinition(nameof(ConsoleBrowserCollection), DisableParallelization = true)]
public sealed class ConsoleBrowserCollection;
