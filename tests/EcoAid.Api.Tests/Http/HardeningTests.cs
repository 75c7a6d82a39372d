using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Http;

/// <summary>Body limits, uploads, idempotency under parallel load, file headers, rate limits and the environment refusals.</summary>
public class HardeningTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A body sent chunked: no Content-Length, so only reading it can tell its size.</summary>
    private sealed class ChunkedContent(byte[] prefix, int fillBytes, byte fill, byte[] suffix, string contentType) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(prefix);
            var chunk = Enumerable.Repeat(fill, 16 * 1024).ToArray();
            for (var left = fillBytes; left > 0; left -= chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(left, chunk.Length)));
            }
            await stream.WriteAsync(suffix);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }

        public ChunkedContent WithType()
        {
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            return this;
        }
    }

    [Fact]
    public async Task JsonBodiesOverTheLimitAre413DeclaredOrChunked()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        var before = app.Sandbox.CallCount("sns/jscode2session");
        var big = "{\"code\":\"" + new string('y', 200 * 1024) + "\"}";

        var declared = await client.PostAsync("/api/auth/login", new StringContent(big, Encoding.UTF8, "application/json"), Ct);
        var chunked = await client.PostAsync("/api/auth/login",
            new ChunkedContent("{\"code\":\""u8.ToArray(), 200 * 1024, (byte)'y', "\"}"u8.ToArray(), "application/json").WithType(), Ct);

        var problem = await ProblemAssert.IsProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge, "request.too_large");
        Assert.Contains("64 KB", problem.GetProperty("detail").GetString());
        await ProblemAssert.IsProblemAsync(chunked, HttpStatusCode.RequestEntityTooLarge, "request.too_large");
        Assert.Equal(before, app.Sandbox.CallCount("sns/jscode2session")); // no code was exchanged for either
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UploadsOverTheCapAre413WithOrWithoutIdempotencyKeyAndLeaveNothing(bool withKey)
    {
        await using var app = new EcoAidApp(fixture, s => s["Attachments:MaxBytes"] = "102400");
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        const string boundary = "cut-here";
        var head = Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n");
        var content = new ChunkedContent(head, 400 * 1024, (byte)'x', tail, $"multipart/form-data; boundary={boundary}").WithType();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/attachments") { Content = content };
        if (withKey)
        {
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        var response = await staff.SendAsync(request, Ct);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "request.too_large");
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM attachments a JOIN users u ON u.id = a.uploaded_by WHERE u.branch_id = @branchId", new { branchId }));
    }

    [Fact]
    public async Task ACutOffUploadIs400OnBothUploadPaths()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var admin = await world.UserAsync("admin", cityId, branchId);
        var staff = await world.UserAsync("staff", cityId, branchId);
        var policy = await HttpExpect.JsonAsync(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/policies",
            new { title = "上传测试", category = "laws_standards", summary = "摘要", body = "<p>正文</p>" }, Ct));
        var policyId = policy.GetProperty("id").GetInt64();
        // The closing boundary never comes.
        var cut = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\nabc";
        HttpContent Cut() => new StringContent(cut, Encoding.ASCII, "multipart/form-data") { Headers = { ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b") } };

        var attachment = await staff.PostAsync("/api/attachments", Cut(), Ct);
        var policyFile = await admin.PostAsync($"/api/policies/{policyId}/attachments", Cut(), Ct);

        await ProblemAssert.IsProblemAsync(attachment, HttpStatusCode.BadRequest, "request.invalid");
        await ProblemAssert.IsProblemAsync(policyFile, HttpStatusCode.BadRequest, "request.invalid");
    }

    [Fact]
    public async Task ThirtyParallelSubmissionsWithTheirOwnKeysAllSucceedAndARepeatedKeyWritesOneRow()
    {
        await using var app = new EcoAidApp(fixture, s => s["Demands:DailyLimitPerUser"] = "200");
        var world = await DemandWorld.CreateAsync(app);

        async Task<HttpResponseMessage> Submit(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand()) };
            request.Headers.Add("Idempotency-Key", key);
            return await world.Staff.SendAsync(request, Ct);
        }

        var distinct = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => Submit(Guid.NewGuid().ToString())));
        Assert.All(distinct, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));

        var key = Guid.NewGuid().ToString();
        var same = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Submit(key)));
        Assert.All(same, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Created, HttpStatusCode.Conflict }));
        Assert.Contains(same, r => r.StatusCode == HttpStatusCode.Created);
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(31, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM demands WHERE enterprise_id = @EnterpriseId", new { world.EnterpriseId }));
    }

    [Fact]
    public async Task ThePurgeOfOldKeysDoesNotWaitForASubmissionInFlightAndSubmissionsGoOn()
    {
        await using var app = new EcoAidApp(fixture);
        var world = await DemandWorld.CreateAsync(app);
        var purge = app.Services.GetRequiredService<IdempotencyKeyPurge>();
        async Task<HttpResponseMessage> Submit(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/demands") { Content = JsonContent.Create(DemandWorld.NewDemand()) };
            request.Headers.Add("Idempotency-Key", key);
            return await world.Staff.SendAsync(request, Ct);
        }

        var kept = "kept-" + Guid.NewGuid();
        Assert.Equal(HttpStatusCode.Created, (await Submit(kept)).StatusCode);
        await using var db = await app.OpenDatabaseAsync();
        var userId = await db.ExecuteScalarAsync<long>("SELECT user_id FROM idempotency_keys WHERE idem_key = @kept", new { kept });
        var now = app.Clock.GetUtcNow().UtcDateTime;
        var old = "old-" + Guid.NewGuid();
        await db.ExecuteAsync("INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES (@userId, @old, @hash, @at)",
            new { userId, old, hash = new byte[32], at = now - Idempotency.KeptFor - TimeSpan.FromDays(1) });

        // A submission in flight: its claim written, its transaction not yet committed. The key sorts after the next one's,
        // so a purge that scanned the table would hold the gap the next claim goes into while it waited for this one.
        await using var inFlight = await app.OpenDatabaseAsync();
        await using var tx = await inFlight.BeginTransactionAsync(Ct);
        await inFlight.ExecuteAsync("INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) VALUES (@userId, @key, @hash, @at)",
            new { userId, key = "zz-in-flight-" + Guid.NewGuid(), hash = new byte[32], at = now.AddSeconds(1) }, tx);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        var purging = purge.PurgeAsync(limit.Token);
        var next = "aa-next-" + Guid.NewGuid();
        var answer = await Submit(next);
        var deleted = await purging; // a purge that waited for the open transaction would be cancelled here

        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        Assert.True(deleted >= 1);
        await tx.RollbackAsync(Ct);
        var left = (await db.QueryAsync<string>("SELECT idem_key FROM idempotency_keys WHERE user_id = @userId", new { userId })).ToHashSet();
        Assert.DoesNotContain(old, left);
        Assert.Contains(kept, left);
        Assert.Contains(next, left);
    }

    [Fact]
    public async Task ExportsBeyondTheConcurrentLimitAre429ExportBusyWithRetryAfterWhileOneIsWritten()
    {
        await using var app = new EcoAidApp(fixture, s => s["RateLimits:ConcurrentExports"] = "1");
        var world = await DemandWorld.CreateAsync(app);
        await world.SubmitAsync();

        // The first export is held inside its read: the demands table is locked by another session until released.
        await using var holder = await app.OpenDatabaseAsync();
        await holder.ExecuteAsync("LOCK TABLES demands WRITE, enterprises WRITE, enterprise_contacts WRITE, members WRITE, departments WRITE");
        Task<HttpResponseMessage> first;
        HttpResponseMessage second;
        try
        {
            first = world.Commissioner.GetAsync("/api/demands/export?format=csv", Ct);
            await using (var watcher = await app.OpenDatabaseAsync())
            {
                var waited = Stopwatch.StartNew();
                while (await watcher.ExecuteScalarAsync<int>("""
                    SELECT COUNT(*) FROM information_schema.processlist
                    WHERE db = DATABASE() AND state LIKE 'Waiting for table metadata lock%' AND info LIKE '%liaison_name%'
                    """) == 0)
                {
                    Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "The first export never reached its read.");
                    await Task.Delay(20, Ct);
                }
            }
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(10)); // without the limit it would wait for the lock as well
            second = await world.Commissioner.GetAsync("/api/demands/export?format=xlsx", limit.Token);
        }
        finally
        {
            await holder.ExecuteAsync("UNLOCK TABLES");
        }
        var firstAnswer = await first;
        var third = await world.Commissioner.GetAsync("/api/demands/export?format=csv", Ct);

        var problem = await ProblemAssert.IsProblemAsync(second, HttpStatusCode.TooManyRequests, "export.busy");
        Assert.Contains("导出", problem.GetProperty("detail").GetString());
        Assert.Equal(TimeSpan.FromSeconds(30), second.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode); // the permit came back when the first had been written
    }

    [Fact]
    public async Task DownloadsCarryAServerMadeNameNosniffAndTheRightDisposition()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        async Task<long> Upload(byte[] bytes, string name)
        {
            var file = new ByteArrayContent(bytes);
            file.Headers.ContentType = MediaTypeHeaderValue.Parse("text/html");
            var response = await staff.PostAsync("/api/attachments", new MultipartFormDataContent { { file, "file", name } }, Ct);
            return (await HttpExpect.JsonAsync(HttpStatusCode.Created, response)).GetProperty("id").GetInt64();
        }
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. "<html><script>alert(1)</script></html>"u8.ToArray()];
        var image = await Upload(png, "<script>.html");
        var pdf = await Upload([.. "%PDF-1.4\n"u8.ToArray(), .. new byte[64]], "报告.pdf");

        var shownImage = await staff.GetAsync($"/api/attachments/{image}", Ct);
        var shownPdf = await staff.GetAsync($"/api/attachments/{pdf}", Ct);

        Assert.Equal(HttpStatusCode.OK, shownImage.StatusCode);
        Assert.Equal("image/png", shownImage.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", shownImage.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"attachment-{image}.png", shownImage.Content.Headers.ContentDisposition.FileNameStar ?? shownImage.Content.Headers.ContentDisposition.FileName);
        Assert.Equal("nosniff", shownImage.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("attachment", shownPdf.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"attachment-{pdf}.pdf", shownPdf.Content.Headers.ContentDisposition.FileNameStar ?? shownPdf.Content.Headers.ContentDisposition.FileName);
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal("<script>.html", await db.ExecuteScalarAsync<string>("SELECT file_name FROM attachments WHERE id = @image", new { image }));
    }

    [Fact]
    public async Task EveryAnswerCarriesSecurityHeadersAndNoServerHeader()
    {
        await using var app = new EcoAidApp(fixture);
        var response = await app.CreateClient().GetAsync("/healthz", Ct);

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(response.Headers.Contains("Server"));
    }

    [Fact]
    public async Task LoginsPerAddressAreLimitedWith429AndRetryAfterBeforeWechatIsAsked()
    {
        await using var app = new EcoAidApp(fixture, s => s["RateLimits:LoginsPerMinutePerAddress"] = "3");
        var client = app.CreateClient();
        var before = app.Sandbox.CallCount("sns/jscode2session");

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await client.PostAsJsonAsync("/api/auth/login", new { code = "bogus" + i }, Ct));
        }

        Assert.All(answers.Take(3), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
        foreach (var refused in answers.Skip(3))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "rate_limited");
            Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        }
        Assert.Equal(3, app.Sandbox.CallCount("sns/jscode2session") - before);
    }

    [Fact]
    public async Task LoginsPerUserAreLimitedOnceWechatHasNamedTheUser()
    {
        await using var app = new EcoAidApp(fixture, s => s["RateLimits:LoginsPerMinutePerUser"] = "2");
        var client = app.CreateClient();
        var (busy, other) = (World.Unique("login-busy"), World.Unique("login-other"));

        async Task<HttpResponseMessage> LoginAsync(string openId) =>
            await client.PostAsJsonAsync("/api/auth/login", new { code = app.Sandbox.IssueLoginCode(EcoAidFixture.AppId, openId) }, Ct);

        var first = await LoginAsync(busy);
        var second = await LoginAsync(busy);
        var calls = app.Sandbox.CallCount("sns/jscode2session");
        var refused = await LoginAsync(busy);
        // Another user from the same address is not held back: the limit is the user's, not the address's.
        var someoneElse = await LoginAsync(other);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "auth.too_many_logins");
        Assert.True(int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal(HttpStatusCode.OK, someoneElse.StatusCode);
        // The user is known only from WeChat's answer: the refused login did ask it, and wrote no session.
        Assert.Equal(calls + 2, app.Sandbox.CallCount("sns/jscode2session"));
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(2, await db.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.openid = @busy", new { busy }));
    }

    [Fact]
    public async Task TheDailyCapAnswers429WithRetryAfterUntilMidnight()
    {
        await using var app = new EcoAidApp(fixture, s => s["Demands:DailyLimitPerUser"] = "1");
        var world = await DemandWorld.CreateAsync(app);
        await world.SubmitAsync();

        var refused = await world.Staff.PostAsJsonAsync("/api/demands", DemandWorld.NewDemand(), Ct);

        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, "demand.daily_limit");
        // The fake clock stands at 09:00 Asia/Shanghai: fifteen hours to midnight.
        Assert.Equal("54000", refused.Headers.GetValues("Retry-After").Single());
    }

    [Theory]
    [InlineData("Production", "Sandbox:Enabled")]
    [InlineData("Production", "Demo:Seed")]
    [InlineData("Production", "Bench:Enabled")]
    [InlineData("Staging", "Sandbox:Enabled")]
    [InlineData("Staging", "Demo:Seed")]
    [InlineData("Staging", "Bench:Enabled")]
    public async Task DevelopmentOnlySwitchesAreRefusedElsewhere(string environment, string setting)
    {
        await using var app = new EcoAidApp(fixture, s => s[setting] = "true") { EnvironmentName = environment };

        var refused = Assert.ThrowsAny<InvalidOperationException>(() => app.Services);

        Assert.Contains(setting, refused.Message);
    }

    [Fact]
    public async Task DocsAreOffUnlessSwitchedOn()
    {
        await using var app = new EcoAidApp(fixture, s => s.Remove("Docs:Enabled")) { EnvironmentName = "Production" };

        // Not mapped: an anonymous caller meets the fallback policy (401), never the document.
        foreach (var path in new[] { "/openapi/v1.json", "/docs" })
        {
            Assert.Contains((await app.CreateClient().GetAsync(path, Ct)).StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Unauthorized });
        }
    }
}
