using System.Net;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace EcoAid.Api.Tests.Console;

/// <summary>
/// The service on a real loopback port (the browser cannot reach an in-memory test server) and Debian's Chromium driven
/// by Debian's chromedriver — nothing is downloaded: Selenium Manager is bypassed by naming both binaries.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public EcoAidApp App { get; }
    public ChromeDriver Driver { get; }
    public Uri BaseAddress { get; }

    private ConsoleBrowser(EcoAidApp app, ChromeDriver driver, Uri baseAddress)
    {
        App = app;
        Driver = driver;
        BaseAddress = baseAddress;
    }

    public static string ChromiumPath => Environment.GetEnvironmentVariable("ECOAID_CHROMIUM") ?? "/usr/bin/chromium";
    public static string DriverPath => Environment.GetEnvironmentVariable("ECOAID_CHROMEDRIVER") ?? "/usr/bin/chromedriver";

    /// <param name="environment">The hosting environment (the demo data loads only in Development); Testing unless given.</param>
    public static ConsoleBrowser Start(EcoAidFixture fixture, int width = 1366, int height = 768, Action<IDictionary<string, string?>>? configure = null,
        string? environment = null)
    {
        var app = new EcoAidApp(fixture, configure) { EnvironmentName = environment ?? "Testing" };
        app.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        app.StartServer();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException($"Chromium ({ChromiumPath}) and chromedriver ({DriverPath}) are needed: scripts/test.sh installs them (chromium, chromium-driver).");
        }
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", $"--window-size={width},{height}",
            "--lang=zh-CN", "--force-device-scale-factor=1");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
        return new ConsoleBrowser(app, driver, new Uri(address));
    }

    public void Open(string hashPath = "") => Driver.Navigate().GoToUrl(new Uri(BaseAddress, "/console/" + hashPath));

    public IWebElement Wait(By by, int seconds = 15)
    {
        IWebElement? element = null;
        WaitUntil(d =>
        {
            var found = d.FindElements(by);
            element = found.Count > 0 && found[0].Displayed ? found[0] : null;
            return element is not null;
        }, seconds, by.ToString());
        return element!;
    }

    /// <summary>Waits for <paramref name="condition"/>; on timeout the message shows what the page said instead.</summary>
    public void WaitUntil(Func<IWebDriver, bool> condition, int seconds = 15, string? what = null)
    {
        try
        {
            var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds));
            // The page re-renders a part after each answer: an element found just before that is gone; look again.
            wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
            wait.Until(condition);
        }
        catch (WebDriverTimeoutException e)
        {
            var text = Driver.FindElements(By.TagName("body")).FirstOrDefault()?.Text ?? Driver.PageSource;
            throw new WebDriverTimeoutException($"Waited {seconds} s for {what ?? "a condition"} at {Driver.Url}; the page shows: {text[..Math.Min(text.Length, 1500)]}", e);
        }
    }

    /// <summary>Opens the login page and returns the ticket its code shows.</summary>
    public string ShowLoginCode(bool open = true)
    {
        if (open)
        {
            Open();
        }
        Wait(By.CssSelector("#login-code[src]"));
        return (string)Driver.ExecuteScript("return document.getElementById('main').dataset.ticket;")!;
    }

    /// <summary>Logs the browser in: the mini-program user behind <paramref name="miniProgram"/> scans and confirms.</summary>
    public async Task LoginAsync(HttpClient miniProgram)
    {
        var ticket = ShowLoginCode();
        var response = await miniProgram.PostAsync($"/api/console-login/{ticket}/confirm", null, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Wait(By.CssSelector("#nav a"));
    }

    /// <summary>Runs axe-core (from the committed npm lockfile) in the page: the serious and critical violations.</summary>
    public IReadOnlyList<string> AccessibilityProblems()
    {
        var axe = Path.Combine(RepoRoot, "tests", "browser", "node_modules", "axe-core", "axe.min.js");
        if (!File.Exists(axe))
        {
            throw new InvalidOperationException("axe-core is missing: scripts/test.sh runs `npm ci` in tests/browser.");
        }
        Driver.ExecuteScript(File.ReadAllText(axe));
        var result = Driver.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
              .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))
              .catch(e => done(['axe failed: ' + e]));
            """);
        return ((IEnumerable<object>)result!).Select(o => o.ToString()!).ToList();
    }

    /// <summary>Fails with the violations when axe-core finds a serious or critical one in the page.</summary>
    public void AssertAccessible(string page)
    {
        var problems = AccessibilityProblems();
        Assert.True(problems.Count == 0, page + ": " + string.Join("; ", problems));
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EcoAid.Wechat.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("The repository root was not found above the test binaries.");
        }
    }

    /// <summary>Saves a screenshot of the whole page (the window grown to its height) under docs/console/ for the README.</summary>
    public void Screenshot(string name)
    {
        var dir = Path.Combine(RepoRoot, "docs", "console");
        Directory.CreateDirectory(dir);
        var window = Driver.Manage().Window;
        var size = window.Size;
        var chrome = size.Height - Convert.ToInt32(Driver.ExecuteScript("return window.innerHeight;"));
        var height = Convert.ToInt32(Driver.ExecuteScript("return document.documentElement.scrollHeight;"));
        window.Size = new System.Drawing.Size(size.Width, Math.Max(size.Height, Math.Min(height + chrome, 3000)));
        Driver.ExecuteScript("window.scrollTo(0, 0);");
        Driver.GetScreenshot().SaveAsFile(Path.Combine(dir, name + ".png"));
        window.Size = size;
    }

    public async ValueTask DisposeAsync()
    {
        Driver.Quit();
        Driver.Dispose();
        await App.DisposeAsync();
    }
}
