using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Organisation;

/// <summary>Idempotency-Key on the creating POSTs of organisation admin, invites and uploads.</summary>
public class IdempotentCreateTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request, Ct);
    }

    [Fact]
    public async Task RetriedCreateAnswersTheFirstResultAndWritesOneRow()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var body = new { name = "幂等测试企业", creditCode = World.CreditCode() };
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(admin, "/api/enterprises", body, key);
        var again = await PostAsync(admin, "/api/enterprises", body, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(Ct), await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM enterprises WHERE credit_code = @creditCode", new { body.creditCode }));
    }

    [Fact]
    public async Task SameKeyWithAnotherBodyOrOnAnotherEndpointIs422()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var key = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(admin, "/api/departments", new { name = "科室甲" }, key)).StatusCode);

        await ProblemAssert.IsProblemAsync(await PostAsync(admin, "/api/departments", new { name = "科室乙" }, key),
            HttpStatusCode.UnprocessableEntity, "idempotency.key_reused");
        await ProblemAssert.IsProblemAsync(await PostAsync(admin, "/api/members", new { name = "科室甲" }, key),
            HttpStatusCode.UnprocessableEntity, "idempotency.key_reused");
    }

    [Fact]
    public async Task AFailedFirstAttemptLeavesTheKeyFreeForTheCorrectedRetry()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var taken = World.CreditCode();
        await world.EnterpriseAsync(branchId);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/enterprises", new { name = "先来的", creditCode = taken }, Ct)).StatusCode);
        var key = Guid.NewGuid().ToString();

        await ProblemAssert.IsProblemAsync(await PostAsync(admin, "/api/enterprises", new { name = "后来的", creditCode = taken }, key),
            HttpStatusCode.Conflict, "enterprise.duplicate_credit_code");
        // Same key, same (still conflicting) body: not a replay of a stored answer, the handler runs again.
        await ProblemAssert.IsProblemAsync(await PostAsync(admin, "/api/enterprises", new { name = "后来的", creditCode = taken }, key),
            HttpStatusCode.Conflict, "enterprise.duplicate_credit_code");
    }

    [Fact]
    public async Task UploadsReplayButInvitesNeverStoreTheirCode()
    {
        await using var app = new EcoAidApp(fixture, s => s["Attachments:Directory"] = Path.Combine(Path.GetTempPath(), "ecoaid-idem-" + Guid.NewGuid().ToString("N")));
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var enterpriseId = await world.EnterpriseAsync(branchId);
        var admin = await world.UserAsync("admin", cityId, branchId);
        var staff = await world.UserAsync("staff", cityId, branchId, enterpriseId: enterpriseId);
        var key = Guid.NewGuid().ToString();

        // Invites never replay: the answer carries the one-time code, which is stored only as a hash. A retry gets a
        // new code; an unused one simply expires.
        var invite1 = await (await PostAsync(admin, "/api/invites", new { role = "staff", enterpriseId }, key)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var invite2 = await (await PostAsync(admin, "/api/invites", new { role = "staff", enterpriseId }, key)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.NotEqual(invite1.GetProperty("code").GetString(), invite2.GetProperty("code").GetString());
        await using (var db = await app.OpenDatabaseAsync())
        {
            Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = @key", new { key }));
        }

        async Task<JsonElement> Upload()
        {
            var file = new ByteArrayContent([0x25, 0x50, 0x44, 0x46, 0x2D, 0x31, 0x2E, 0x37]);
            file.Headers.ContentType = new MediaTypeHeaderValue("application/pdf");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/attachments") { Content = new MultipartFormDataContent("fixed-boundary") { { file, "file", "a.pdf" } } };
            request.Headers.Add("Idempotency-Key", key + "-upload");
            var response = await staff.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }
        Assert.Equal((await Upload()).GetProperty("id").GetInt64(), (await Upload()).GetProperty("id").GetInt64());
    }
}
