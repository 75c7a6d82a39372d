using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;
using OpenQA.Selenium;

namespace EcoAid.Api.Tests.Console;

/// <summary>
/// The console on the dev run's demo data (Demo:Seed, the steps scripts/run.sh loads) on a fixed clock: every desk persona
/// the login page offers logs in by its button and opens every page it is shown — each renders without an error, with no
/// raw code or empty value showing, nothing wider than a 1366-pixel screen, and no serious or critical axe violation. The
/// README's screenshots are taken here, from the demo data.
/// </summary>
[Collection(nameof(ConsoleBrowserCollection))]
public class ConsoleDemoTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every desk persona of the demo (all but the enterprise's 王芳), as the login page names them.</summary>
    public static readonly string[] DeskPersonas =
        ["demo-secretary", "demo-commissioner", "demo-member", "demo-liaison", "demo-admin", "demo-city-viewer", "demo-city-admin"];

    /// <summary>Counts the page's requests in flight, so a check waits for every part of a page to have answered.</summary>
    private const string TrackFetches = """
        if (!window.__ecoPending) {
          window.__ecoPending = { n: 0 };
          const original = window.fetch;
          window.fetch = (...args) => { window.__ecoPending.n++; return original(...args).finally(() => { window.__ecoPending.n--; }); };
        }
        """;

    private static void LoginAs(ConsoleBrowser browser, string openId)
    {
        browser.Open();
        browser.Wait(By.CssSelector($"button[data-openid='{openId}']")).Click();
        browser.Wait(By.CssSelector("#nav a"));
        browser.Driver.ExecuteScript(TrackFetches);
    }

    private static void Logout(ConsoleBrowser browser)
    {
        browser.Open("#/"); // the projector view hides the header and its logout button
        browser.Driver.FindElement(By.Id("logout")).Click();
        browser.WaitUntil(d => d.FindElements(By.CssSelector("#login-code[src]")).Count == 1, what: "the login page after logout");
    }

    /// <summary>Opens a hash route and waits until the page has its heading and no request is in flight (twice in a row).</summary>
    private static void OpenAndSettle(ConsoleBrowser browser, string hash)
    {
        browser.Driver.ExecuteScript("document.getElementById('main').replaceChildren();");
        browser.Open(hash);
        browser.Driver.ExecuteScript(TrackFetches); // a new document when the route was opened by a full load
        var quiet = 0;
        browser.WaitUntil(d =>
        {
            var settled = Convert.ToBoolean(((IJavaScriptExecutor)d).ExecuteScript("""
                const main = document.getElementById('main');
                return !!main.querySelector('h1') && window.__ecoPending.n === 0
                  && ![...main.querySelectorAll('.card .n')].some(n => n.textContent === '…');
                """));
            quiet = settled ? quiet + 1 : 0;
            return quiet >= 2;
        }, 20, "the page " + hash + " to settle");
    }

    /// <summary>The page rendered: no error shown, no raw value, nothing wider than the window, and axe finds nothing serious.</summary>
    private static string AssertPageIsClean(ConsoleBrowser browser, string persona, string hash)
    {
        var where = persona + " " + hash;
        var title = browser.Driver.FindElement(By.CssSelector("#main h1")).Text;
        Assert.False(title is "出错了" or "未找到", where + ": " + browser.Driver.FindElement(By.Id("main")).Text);
        var errors = browser.Driver.FindElements(By.CssSelector("#main .error")).Select(e => e.Text.Trim()).Where(t => t.Length > 0).ToList();
        Assert.True(errors.Count == 0, where + " shows an error: " + string.Join(" | ", errors));
        var text = browser.Driver.FindElement(By.Id("main")).Text;
        foreach (var raw in new[] { "undefined", "null", "NaN", "[object Object]", "Invalid Date" })
        {
            Assert.False(text.Contains(raw, StringComparison.Ordinal), $"{where} shows “{raw}”: {text[..Math.Min(text.Length, 600)]}");
        }
        var overflow = Convert.ToInt64(browser.Driver.ExecuteScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth;"));
        Assert.True(overflow <= 0, $"{where} is {overflow} px wider than the window");
        browser.AssertAccessible(where);
        return title;
    }

    private static IEnumerable<string> FirstLinks(ConsoleBrowser browser, string css) =>
        browser.Driver.FindElements(By.CssSelector(css)).Select(a => a.GetAttribute("href")!.Split('#')[1]);

    [Fact]
    public async Task EveryDeskPersonaOfTheDemoOpensEveryPageItIsShownAndTheReadmeScreenshotsAreTakenFromTheDemo()
    {
        // Monday 2026-03-02, 09:00 in Shanghai: the demo's present slice (open items, last month's meeting) is dated from it.
        await using var browser = ConsoleBrowser.Start(fixture, configure: s => s["Demo:Seed"] = "true", environment: "Development");
        var secretary = await browser.App.LoginAsAsync("demo-secretary");
        var demands = await secretary.GetFromJsonAsync<JsonElement>("/api/demands?pageSize=100", Ct);
        Assert.True(demands.GetProperty("total").GetInt64() >= 10, "the demo's demands are loaded");
        long DemandOf(string number) => demands.GetProperty("items").EnumerateArray().First(d => d.GetProperty("number").GetString() == number).GetProperty("id").GetInt64();
        var meetings = await secretary.GetFromJsonAsync<JsonElement>("/api/meetings?pageSize=50", Ct);
        var november = meetings.GetProperty("items").EnumerateArray().First(m => m.GetProperty("month").GetString() == "2024-11").GetProperty("id").GetInt64();

        // The login page offers every desk persona of the demo (and the enterprise contact, who is refused).
        browser.Open();
        browser.Wait(By.CssSelector("button[data-openid]"));
        var offered = browser.Driver.FindElements(By.CssSelector("button[data-openid]")).Select(b => b.GetAttribute("data-openid")!).ToList();
        Assert.Equal(DeskPersonas.Order(), offered.Where(o => o != "demo-staff").Order());
        browser.AssertAccessible("login (demo)");

        var visited = new List<string>();
        foreach (var persona in DeskPersonas)
        {
            LoginAs(browser, persona);
            var routes = browser.Driver.FindElements(By.CssSelector("#nav a")).Select(a => a.GetAttribute("href")!.Split('#')[1]).ToList();
            Assert.Contains("/", routes);
            foreach (var route in routes)
            {
                OpenAndSettle(browser, "#" + route);
                visited.Add(persona + " " + route + " " + AssertPageIsClean(browser, persona, route));
                // Beyond the navigation: the first demand of the persona's list, the first meeting and its projector view.
                var more = route switch
                {
                    "/demands" => FirstLinks(browser, "table tbody a[href^='#/demands/']").Take(1).ToList(),
                    "/meetings" => FirstLinks(browser, "table tbody a[href^='#/meetings/']").Take(2).ToList(),
                    _ => [],
                };
                foreach (var inner in more)
                {
                    OpenAndSettle(browser, "#" + inner);
                    visited.Add(persona + " " + inner + " " + AssertPageIsClean(browser, persona, inner));
                }
            }
            Logout(browser);
        }
        Assert.Contains(visited, v => v.StartsWith("demo-city-admin /audit", StringComparison.Ordinal));
        Assert.Contains(visited, v => v.StartsWith("demo-admin /policies", StringComparison.Ordinal));
        Assert.Contains(visited, v => v.StartsWith("demo-liaison /demands/", StringComparison.Ordinal));
        Assert.Contains(visited, v => v.StartsWith("demo-commissioner /meetings/", StringComparison.Ordinal) && v.Contains("/projector"));

        // The README's screenshots, from the demo: the commissioner's 工作台 and a demand in progress, the secretary's
        // statistics for the 2024 programme and November's meeting on a 1920×1080 projector.
        LoginAs(browser, "demo-commissioner");
        OpenAndSettle(browser, "#/");
        browser.Screenshot("dashboard");
        OpenAndSettle(browser, "#/demands/" + DemandOf("SQ2026-0001")); // in progress: the actions the commissioner may take
        browser.Screenshot("demand-detail");
        Logout(browser);
        LoginAs(browser, "demo-secretary");
        OpenAndSettle(browser, "#/stats?from=2024-09-01&to=2024-12-31");
        browser.Wait(By.CssSelector("svg.chart rect"));
        browser.Screenshot("stats");
        browser.Driver.Manage().Window.Size = new System.Drawing.Size(1920, 1080);
        OpenAndSettle(browser, $"#/meetings/{november}/projector?item=1");
        AssertPageIsClean(browser, "demo-secretary at 1920×1080", "projector");
        Assert.Contains("SQ2024-0005", browser.Driver.FindElement(By.CssSelector(".projector-view .item")).Text);
        browser.Screenshot("projector");
    }
}
