using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Auth;

public class LoginTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoginWithFreshCodeReturnsTokenAndUserButNoSessionKey()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        var openId = World.Unique("o_login");
        var code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, openId);

        var response = await client.PostAsJsonAsync("/api/auth/login", new { code }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("session", text, StringComparison.OrdinalIgnoreCase);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.True(body.GetProperty("token").GetString()!.Length >= 40);
        Assert.Equal(app.Clock.GetUtcNow().AddDays(7), body.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Empty(body.GetProperty("user").GetProperty("roles").EnumerateArray());

        // The token is stored only as a hash.
        await using var db = await app.OpenDatabaseAsync();
        var stored = await db.QuerySingleAsync<byte[]>(
            "SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.openid = @openId", new { openId });
        Assert.Equal(32, stored.Length);
        Assert.NotEqual(body.GetProperty("token").GetString(), System.Text.Encoding.UTF8.GetString(stored));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Ct);
        Assert.Equal(body.GetProperty("user").GetProperty("id").GetInt64(), me.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task ReusedCodeIsRejectedAsInvalidCode()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        var code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, World.Unique("o_reuse"));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/auth/login", new { code }, Ct)).StatusCode);

        var again = await client.PostAsJsonAsync("/api/auth/login", new { code }, Ct);

        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.BadRequest, "auth.invalid_code");
    }

    [Fact]
    public async Task UnknownCodeIsRejectedAsInvalidCode()
    {
        await using var app = new EcoAidApp(fixture);
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "never-issued" }, Ct);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "auth.invalid_code");
    }

    [Fact]
    public async Task EmptyCodeIsAValidationProblem()
    {
        await using var app = new EcoAidApp(fixture);
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "" }, Ct);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("code", out _));
    }

    [Fact]
    public async Task UnknownFieldIsRejected()
    {
        await using var app = new EcoAidApp(fixture);
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code = "abc", remember = true }, Ct);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "request.invalid_body");
        Assert.Contains("remember", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(-1, null)]
    [InlineData(null, 502)]
    public async Task WechatDownAnswers503(int? errCode, int? httpStatus)
    {
        await using var app = new EcoAidApp(fixture);
        var code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, World.Unique("o_down"));
        app.Sandbox.InjectFault("sns/jscode2session", new SandboxFault(ErrCode: errCode, HttpStatus: httpStatus));
        try
        {
            var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code }, Ct);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "wechat.unavailable");
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }

    [Fact]
    public async Task WechatTooSlowAnswers503()
    {
        await using var app = new EcoAidApp(fixture, s => s["Wechat:Timeout"] = "00:00:01");
        var code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, World.Unique("o_slow"));
        app.Sandbox.InjectFault("sns/jscode2session", new SandboxFault(Delay: TimeSpan.FromSeconds(3)));
        try
        {
            var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { code }, Ct);
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.ServiceUnavailable, "wechat.unavailable");
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }

    [Fact]
    public async Task ExpiredSessionIsUnauthorized()
    {
        await using var app = new EcoAidApp(fixture);
        var client = await app.LoginAsAsync(World.Unique("o_exp"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me", Ct)).StatusCode);

        app.Clock.Advance(TimeSpan.FromDays(7) + TimeSpan.FromSeconds(1));

        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/me", Ct), HttpStatusCode.Unauthorized, "auth.unauthenticated");
    }

    [Fact]
    public async Task LogoutRevokesOnlyThatToken()
    {
        await using var app = new EcoAidApp(fixture);
        var openId = World.Unique("o_out");
        var phone = await app.LoginAsAsync(openId);
        var tablet = await app.LoginAsAsync(openId);

        Assert.Equal(HttpStatusCode.NoContent, (await phone.PostAsync("/api/auth/logout", null, Ct)).StatusCode);

        await ProblemAssert.IsProblemAsync(await phone.GetAsync("/api/me", Ct), HttpStatusCode.Unauthorized, "auth.unauthenticated");
        Assert.Equal(HttpStatusCode.OK, (await tablet.GetAsync("/api/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task GarbageTokenIsUnauthorized()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/me", Ct), HttpStatusCode.Unauthorized, "auth.unauthenticated");
    }

    [Fact]
    public async Task BootstrapOpenIdBecomesCityAdmin()
    {
        var openId = World.Unique("o_boot");
        await using var app = new EcoAidApp(fixture, s =>
        {
            s["Bootstrap:CityAdminOpenIds:0"] = openId;
            s["Bootstrap:CityName"] = "测试市";
        });
        var client = await app.LoginAsAsync(openId);

        var me = await client.GetFromJsonAsync<JsonElement>("/api/me", Ct);

        Assert.Equal(new[] { "city_admin" }, me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.NotEqual(JsonValueKind.Null, me.GetProperty("cityId").ValueKind);
        var created = await client.PostAsJsonAsync("/api/branches", new { name = World.Unique("新支部") }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }
}
