using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dapper;
using EcoAid.Wechat.Sandbox;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using MySqlConnector;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>
/// The real service on the fixture's database, its WeChat client pointed at the sandbox over loopback. Time is a
/// <see cref="FakeTimeProvider"/> shared with nothing else, so tests can let sessions and invites expire.
/// </summary>
public sealed class EcoAidApp(EcoAidFixture fixture, Action<IDictionary<string, string?>>? configure = null, DateTimeOffset? start = null)
    : WebApplicationFactory<Program>
{
    /// <summary>2026-03-02 09:00 Shanghai unless the test starts it earlier (a fake clock only moves forward).</summary>
    public FakeTimeProvider Clock { get; } = new(start ?? new DateTimeOffset(2026, 3, 2, 1, 0, 0, TimeSpan.Zero));

    public WechatSandbox Sandbox => fixture.Sandbox;

    /// <summary>The hosting environment the service starts in (tests of the production refusals change it).</summary>
    public string EnvironmentName { get; init; } = "Testing";

    /// <summary>Every log line the service writes, at every level, when a test asks for them (tests that nothing secret is logged).</summary>
    public LogCapture? Logs { get; init; }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:EcoAid"] = fixture.Database.ConnectionString,
            ["Database:MigrateOnStartup"] = "true",
            ["Wechat:ApiBaseUrl"] = fixture.SandboxServer.BaseAddress.AbsoluteUri,
            ["Wechat:MiniProgram:AppId"] = EcoAidFixture.AppId,
            ["Wechat:MiniProgram:AppSecret"] = EcoAidFixture.AppSecret,
            ["Wechat:Timeout"] = "00:00:02",
            ["Wechat:OfficialAccount:AppId"] = EcoAidFixture.OaAppId,
            ["Wechat:OfficialAccount:AppSecret"] = EcoAidFixture.OaAppSecret,
            ["Wechat:OfficialAccount:Token"] = EcoAidFixture.OaToken,
            ["Wechat:OfficialAccount:EncodingAesKey"] = EcoAidFixture.OaEncodingAesKey,
            // Tests run the dispatcher and the scheduler themselves, so a moved clock never races them.
            ["Notifications:Dispatcher:Enabled"] = "false",
            ["Notifications:Reminders:Enabled"] = "false",
            ["Workers:Enabled"] = "false",
            ["Docs:Enabled"] = "true",
            // Production answers 503 after 2 s without a database; a test machine shared by many runs gets more slack.
            ["Database:ConnectTimeout"] = "00:00:15",
            ["Database:CommandTimeout"] = "00:01:00",
            // Every test logs in from the same (absent) address: the limits are tested on their own, with small numbers.
            ["RateLimits:LoginsPerMinutePerAddress"] = "1000000",
            ["RateLimits:LoginsPerMinutePerUser"] = "1000000",
            ["RateLimits:UploadsPerMinutePerUser"] = "1000000",
            ["RateLimits:SubmissionsPerMinutePerUser"] = "1000000",
        };
        TestTemplates.AddTo(settings);
        configure?.Invoke(settings);
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(settings));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(EnvironmentName);
        // The tests decide their own settings: an environment's file (appsettings.Development.json is the dev run's) stays out.
        builder.ConfigureAppConfiguration((_, config) =>
        {
            foreach (var file in config.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>()
                         .Where(s => s.Path == $"appsettings.{EnvironmentName}.json").ToList())
            {
                config.Sources.Remove(file);
            }
        });
        builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(Clock)));
        if (Logs is { } logs)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(logs).AddFilter<LogCapture>(null, Microsoft.Extensions.Logging.LogLevel.Trace));
        }
    }

    /// <summary>Logs in through the sandbox as <paramref name="openId"/> and returns a client carrying the token.</summary>
    public async Task<HttpClient> LoginAsAsync(string openId)
    {
        var client = CreateClient();
        var code = Sandbox.IssueLoginCode(EcoAidFixture.AppId, openId);
        var response = await client.PostAsJsonAsync("/api/auth/login", new { code }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var login = await response.Content.ReadFromJsonAsync<LoginBody>(TestContext.Current.CancellationToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", login!.Token);
        return client;
    }

    private sealed record LoginBody(string Token);

    /// <summary>The client_msg_id the dispatcher sends for an outbox row: the database's id, a dash, the row id.</summary>
    public async Task<string> ClientMsgIdAsync(long rowId) =>
        Api.Infrastructure.Database.DatabaseIdentity.ClientMsgId(
            await Services.GetRequiredService<Api.Infrastructure.Database.DatabaseIdentity>().TokenAsync(TestContext.Current.CancellationToken), rowId);

    public async Task<MySqlConnection> OpenDatabaseAsync()
    {
        _ = Services; // make sure the host (and so the migrations) has started
        return await fixture.Database.OpenAsync();
    }
}

/// <summary>Rows that tests set up directly; each call makes new, unique rows.</summary>
public sealed class World(EcoAidApp app)
{
    private static int serial;

    public static string Unique(string prefix) => $"{prefix}{Interlocked.Increment(ref serial)}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 12, 60)];

    public async Task<(long CityId, long BranchId)> BranchAsync(string? city = null)
    {
        await using var db = await app.OpenDatabaseAsync();
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var cityName = city ?? Unique("市");
        await db.ExecuteAsync("INSERT INTO cities (name, created_at) VALUES (@cityName, @now) ON DUPLICATE KEY UPDATE name = name", new { cityName, now });
        var cityId = await db.ExecuteScalarAsync<long>("SELECT id FROM cities WHERE name = @cityName", new { cityName });
        var branchId = await db.ExecuteScalarAsync<long>(
            "INSERT INTO party_branches (city_id, name, created_at, updated_at) VALUES (@cityId, @name, @now, @now); SELECT LAST_INSERT_ID();",
            new { cityId, name = Unique("党支部"), now });
        return (cityId, branchId);
    }

    public async Task<long> MemberAsync(long branchId, string name = "测试成员")
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO members (branch_id, name, title, task_force_role, phone, created_at, updated_at)
            VALUES (@branchId, @name, '技术骨干', 'member', '13912345678', @now, @now); SELECT LAST_INSERT_ID();
            """, new { branchId, name, now = app.Clock.GetUtcNow().UtcDateTime });
    }

    public async Task<long> DepartmentAsync(long branchId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO departments (branch_id, name, created_at, updated_at) VALUES (@branchId, @name, @now, @now); SELECT LAST_INSERT_ID();
            """, new { branchId, name = Unique("科室"), now = app.Clock.GetUtcNow().UtcDateTime });
    }

    private static int codeSerial = Random.Shared.Next(0, 90_000_000);

    /// <summary>A fresh valid credit code (region 000000, which no registrar has).</summary>
    public static string CreditCode()
    {
        var body = $"91000000T{Interlocked.Increment(ref codeSerial):00000000}";
        return body + Features.Organisation.Uscc.CheckCharacter(body);
    }

    public async Task<long> EnterpriseAsync(long branchId, long? liaisonMemberId = null)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<long>("""
            INSERT INTO enterprises (branch_id, name, credit_code, contact_phone, liaison_member_id, created_at, updated_at)
            VALUES (@branchId, @name, @code, '13712345678', @liaisonMemberId, @now, @now); SELECT LAST_INSERT_ID();
            """, new { branchId, name = Unique("测试企业"), code = CreditCode(), liaisonMemberId, now = app.Clock.GetUtcNow().UtcDateTime });
    }

    /// <summary>A logged-in user of <paramref name="role"/> in the branch (or city, for city roles), with what the role needs linked.</summary>
    public async Task<HttpClient> UserAsync(string role, long cityId, long branchId, long? enterpriseId = null, long? memberId = null, long? departmentId = null)
    {
        var openId = Unique("o_");
        var client = await app.LoginAsAsync(openId);
        var cityLevel = role is "city_viewer" or "city_admin";
        await using var db = await app.OpenDatabaseAsync();
        await db.ExecuteAsync("""
            UPDATE users SET city_id = @cityId, branch_id = @branchId, enterprise_id = @enterpriseId, member_id = @memberId, department_id = @departmentId
            WHERE openid = @openId;
            INSERT INTO user_roles (user_id, role, granted_at) SELECT id, @role, @now FROM users WHERE openid = @openId;
            """, new
        {
            cityId, branchId = cityLevel ? (long?)null : branchId,
            enterpriseId = role == "staff" ? enterpriseId ?? await EnterpriseAsync(branchId) : (long?)null,
            memberId = role is "member" or "commissioner" or "secretary" ? memberId ?? await MemberAsync(branchId) : (long?)null,
            departmentId = role == "department_liaison" ? departmentId ?? await DepartmentAsync(branchId) : (long?)null,
            openId, role, now = app.Clock.GetUtcNow().UtcDateTime,
        });
        return client;
    }
}
