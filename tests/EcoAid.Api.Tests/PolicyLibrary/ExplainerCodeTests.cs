using System.Net;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;
using static EcoAid.Api.Tests.PolicyLibrary.PolicyWorld;

namespace EcoAid.Api.Tests.PolicyLibrary;

public class ExplainerCodeTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string CodeApi = "wxa/getwxacodeunlimit";

    private static async Task<(byte[] Image, string Scene)> CodeAsync(HttpClient admin, long id, string? source = null)
    {
        var response = await admin.GetAsync($"/api/policies/{id}/qrcode{(source is null ? "" : "?source=" + Uri.EscapeDataString(source))}", Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        return (await response.Content.ReadAsByteArrayAsync(Ct), response.Headers.GetValues("X-Qr-Scene").Single());
    }

    private static async Task<int> StoredCodesAsync(EcoAidApp app, long policyId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM policy_qrcodes WHERE policy_id = @policyId", new { policyId });
    }

    [Fact]
    public async Task OneImageIsMadeAndStoredPerDocumentAndSource()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.PublishedAsync(Doc("码上说执法：危废贮存", category: "explainer"));
        var calls = app.Sandbox.CallCount(CodeApi);

        var (image, scene) = await CodeAsync(w.Admin, id);
        var (again, sameScene) = await CodeAsync(w.Admin, id);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], image[..4]);
        Assert.Equal(image, again);
        Assert.Equal($"p{id}", scene);
        Assert.Equal(scene, sameScene);
        Assert.Equal(calls + 1, app.Sandbox.CallCount(CodeApi));

        var (signboard, signboardScene) = await CodeAsync(w.Admin, id, "gate-1");
        Assert.Equal($"p{id}-gate-1", signboardScene);
        Assert.NotEqual(image, signboard);
        Assert.Equal(calls + 2, app.Sandbox.CallCount(CodeApi));
        Assert.Equal(2, await StoredCodesAsync(app, id));

        // Another instance finds the stored image rather than asking WeChat again.
        await using var other = new EcoAidApp(fixture);
        var otherAdmin = await new World(other).UserAsync("admin", w.CityId, w.BranchId);
        Assert.Equal(image, (await CodeAsync(otherAdmin, id)).Image);
        Assert.Equal(calls + 2, app.Sandbox.CallCount(CodeApi));
    }

    [Theory]
    [InlineData("东门")]
    [InlineData("gate%20A")]
    [InlineData("a&b")]
    [InlineData("a-source-tag-that-is-too-long")]
    public async Task SourcesThatWechatWouldRejectAreRefusedBeforeAsking(string source)
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.DraftAsync(Doc("来源标记"));
        var calls = app.Sandbox.CallCount(CodeApi);

        var response = await w.Admin.GetAsync($"/api/policies/{id}/qrcode?source={Uri.EscapeDataString(source)}", Ct);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.True(problem.GetProperty("errors").TryGetProperty("source", out _));
        Assert.Equal(calls, app.Sandbox.CallCount(CodeApi));
        Assert.Equal(0, await StoredCodesAsync(app, id));
    }

    [Fact]
    public async Task WechatRefusalsBecomeClearProblemsAndStoreNothing()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.DraftAsync(Doc("微信拒绝"));

        app.Sandbox.ReleasedPages = ["pages/index/index"];
        try
        {
            var problem = await ProblemAssert.IsProblemAsync(await w.Admin.GetAsync($"/api/policies/{id}/qrcode", Ct), HttpStatusCode.BadGateway, "qrcode.page_invalid");
            Assert.Equal(41030, problem.GetProperty("wechatErrCode").GetInt32());
            Assert.Contains("pages/explainer/index", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            app.Sandbox.ReleasedPages = null;
        }

        app.Sandbox.InjectFault(CodeApi, new SandboxFault(ErrCode: 45009));
        await ProblemAssert.IsProblemAsync(await w.Admin.GetAsync($"/api/policies/{id}/qrcode", Ct), HttpStatusCode.ServiceUnavailable, "wechat.unavailable");
        app.Sandbox.InjectFault(CodeApi, new SandboxFault(HttpStatus: 500));
        await ProblemAssert.IsProblemAsync(await w.Admin.GetAsync($"/api/policies/{id}/qrcode", Ct), HttpStatusCode.ServiceUnavailable, "wechat.unavailable");
        Assert.Equal(0, await StoredCodesAsync(app, id));

        // Once WeChat answers again, the code is made.
        await CodeAsync(w.Admin, id);
        Assert.Equal(1, await StoredCodesAsync(app, id));
    }

    [Fact]
    public async Task ScansResolveToTheDocumentAndAreCountedPerSourceAndDay()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.PublishedAsync(Doc("码上说执法：活性炭吸附箱", category: "explainer"));
        var (_, own) = await CodeAsync(w.Admin, id);
        var (_, gate) = await CodeAsync(w.Admin, id, "gate");

        var scanned = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/scan/{own}", Ct));
        Assert.Equal(id, scanned.GetProperty("policy").GetProperty("id").GetInt64());
        Assert.Equal("", scanned.GetProperty("source").GetString());
        await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/scan/{own}", Ct));
        var atGate = await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/scan/{gate}", Ct));
        Assert.Equal("gate", atGate.GetProperty("source").GetString());
        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync($"/api/scan/p{id}-nowhere", Ct), HttpStatusCode.NotFound, "not_found");
        await w.FlushCountersAsync();

        app.Clock.Advance(TimeSpan.FromDays(1));
        await Expect(HttpStatusCode.OK, await w.Anonymous.GetAsync($"/api/scan/{gate}", Ct));
        await w.FlushCountersAsync();

        var stats = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/stats?policyId={id}", Ct));
        var days = stats.GetProperty("days").EnumerateArray().Select(d => (d.GetProperty("date").GetString(), d.GetProperty("scans").GetInt64())).ToList();
        Assert.Equal([("2026-03-02", 3L), ("2026-03-03", 1L)], days.TakeLast(2));
        Assert.Equal(4, stats.GetProperty("scans").GetInt64());
        var sources = stats.GetProperty("sources").EnumerateArray().ToDictionary(s => s.GetProperty("source").GetString()!, s => s.GetProperty("scans").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["gate"] = 2, [""] = 2 }, sources);
    }

    [Fact]
    public async Task AScanOfAnUnpublishedDocumentIs404AndNotCounted()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var id = await w.PublishedAsync(Doc("码上说执法：首违不罚", category: "explainer"));
        var (_, scene) = await CodeAsync(w.Admin, id);
        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{id}/unpublish", null, Ct));

        await ProblemAssert.IsProblemAsync(await w.Anonymous.GetAsync($"/api/scan/{scene}", Ct), HttpStatusCode.NotFound, "not_found");
        await w.FlushCountersAsync();
        var stats = await Expect(HttpStatusCode.OK, await w.Admin.GetAsync($"/api/policies/stats?policyId={id}", Ct));
        Assert.Equal(0, stats.GetProperty("scans").GetInt64());
    }
}
