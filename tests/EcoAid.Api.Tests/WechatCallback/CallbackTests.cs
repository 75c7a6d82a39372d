using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Text;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Callback;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.WechatCallback;

public class CallbackTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> NewBindingSceneAsync(EcoAidApp app, long memberId, TimeSpan? lifetime = null)
    {
        var scene = "bind:" + Guid.NewGuid().ToString("N")[..16];
        await using var db = await app.OpenDatabaseAsync();
        var userId = await db.ExecuteScalarAsync<long>(
            "INSERT INTO users (openid, display_name, created_at) VALUES (@o, '管理员', @now); SELECT LAST_INSERT_ID();",
            new { o = World.Unique("o_adm"), now = app.Clock.GetUtcNow().UtcDateTime });
        await db.ExecuteAsync("""
            INSERT INTO oa_binding_scenes (scene, member_id, created_by, created_at, expires_at) VALUES (@scene, @memberId, @userId, @now, @expires)
            """, new { scene, memberId, userId, now = app.Clock.GetUtcNow().UtcDateTime, expires = (app.Clock.GetUtcNow() + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime });
        return scene;
    }

    private static async Task<(string? OpenId, bool Following)> BindingOfAsync(EcoAidApp app, long memberId)
    {
        await using var db = await app.OpenDatabaseAsync();
        return await db.QuerySingleAsync<(string?, bool)>("SELECT oa_openid, oa_following FROM members WHERE id = @memberId", new { memberId });
    }

    [Theory]
    [InlineData(PushMode.Compatible)]
    [InlineData(PushMode.Safe)]
    public async Task SubscribingThroughABindingQrBindsTheMember(PushMode mode)
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var memberId = await world.MemberAsync(branchId);
        var scene = await NewBindingSceneAsync(app, memberId);
        var openId = World.Unique("oa_");

        var result = await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "subscribe", "qrscene_" + scene, "TICKET"), mode, Ct);

        Assert.Equal((200, "success"), (result.Status, result.Body));
        Assert.Equal((openId, true), await BindingOfAsync(app, memberId));
    }

    [Fact]
    public async Task ScanningWhileFollowingBindsTooAndTheSceneWorksOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var scene = await NewBindingSceneAsync(app, member);
        var first = World.Unique("oa_");
        var second = World.Unique("oa_");

        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(first, "SCAN", scene, "T1"), PushMode.Safe, Ct);
        app.Clock.Advance(TimeSpan.FromSeconds(3));
        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(second, "SCAN", scene, "T1"), PushMode.Safe, Ct);

        Assert.Equal((first, true), await BindingOfAsync(app, member));
    }

    [Fact]
    public async Task ExpiredSceneBindsNothing()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var scene = await NewBindingSceneAsync(app, member, TimeSpan.FromMinutes(10));
        app.Clock.Advance(TimeSpan.FromMinutes(11));

        var result = await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(World.Unique("oa_"), "SCAN", scene), PushMode.Safe, Ct);

        Assert.Equal("success", result.Body);
        Assert.Equal((null, false), await BindingOfAsync(app, member));
    }

    [Fact]
    public async Task UnsubscribeMarksTheMemberNotFollowing()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var openId = World.Unique("oa_");
        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "SCAN", await NewBindingSceneAsync(app, member)), PushMode.Safe, Ct);
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "unsubscribe"), PushMode.Safe, Ct);

        Assert.Equal((openId, false), await BindingOfAsync(app, member));
    }

    [Fact]
    public async Task TheSameDeliveryThreeTimesIsHandledOnce()
    {
        await using var app = new EcoAidApp(fixture);
        var openId = World.Unique("oa_");
        var xml = app.Sandbox.EventXml(openId, "TEMPLATESENDJOBFINISH", msgId: 9_007_199_254_740_993, status: "success");

        for (var i = 0; i < 3; i++)
        {
            var result = await app.Sandbox.PushAsync(app.CreateClient(), xml, PushMode.Safe, Ct);
            Assert.Equal("success", result.Body);
        }

        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(1, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM wechat_callback_events WHERE from_openid = @openId", new { openId }));
        Assert.Equal("success", await db.ExecuteScalarAsync<string>("SELECT status FROM wechat_template_results WHERE msg_id = 9007199254740993"));
    }

    [Fact]
    public async Task BadSignatureIs401AndChangesNothing()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var scene = await NewBindingSceneAsync(app, member);
        var openId = World.Unique("oa_");
        var xml = app.Sandbox.EventXml(openId, "SCAN", scene);
        var client = app.CreateClient();

        var ts = Now();
        var forged = await client.PostAsync($"/wechat/callback?signature=0000000000000000000000000000000000000000&timestamp={ts}&nonce=2&encrypt_type=aes&msg_signature=00",
            new StringContent(xml.Replace("</xml>", "<Encrypt><![CDATA[AAAA]]></Encrypt></xml>"), Encoding.UTF8, "text/xml"), Ct);
        var crypto = new WechatMessageCrypto("wrong-token", EcoAidFixture.OaEncodingAesKey, EcoAidFixture.OaAppId);
        var encrypted = crypto.Encrypt(xml);
        var wrongToken = await client.PostAsync(
            $"/wechat/callback?timestamp={ts}&nonce=2&encrypt_type=aes&msg_signature={CallbackSignature.ComputeMessageSignature("wrong-token", ts, "2", encrypted)}",
            new StringContent($"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>", Encoding.UTF8, "text/xml"), Ct);
        var otherApp = new WechatMessageCrypto(EcoAidFixture.OaToken, EcoAidFixture.OaEncodingAesKey, "wxsomeoneelse00001").Encrypt(xml);
        var wrongAppId = await client.PostAsync(
            $"/wechat/callback?timestamp={ts}&nonce=2&encrypt_type=aes&msg_signature={CallbackSignature.ComputeMessageSignature(EcoAidFixture.OaToken, ts, "2", otherApp)}",
            new StringContent($"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{otherApp}]]></Encrypt></xml>", Encoding.UTF8, "text/xml"), Ct);

        await ProblemAssert.IsProblemAsync(forged, HttpStatusCode.Unauthorized, "wechat.invalid_signature");
        await ProblemAssert.IsProblemAsync(wrongToken, HttpStatusCode.Unauthorized, "wechat.invalid_signature");
        await ProblemAssert.IsProblemAsync(wrongAppId, HttpStatusCode.Unauthorized, "wechat.invalid_signature");
        Assert.Equal((null, false), await BindingOfAsync(app, member));
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM wechat_callback_events WHERE from_openid = @openId", new { openId }));
    }

    [Fact]
    public async Task DoctypeAndOversizedBodiesAreRefused()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        var timestamp = Now();
        const string nonce = "42";
        var query = $"/wechat/callback?timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature=00";
        const string doctype = "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><xml><FromUserName>&x;</FromUserName></xml>";
        var oversized = "<xml><Content><![CDATA[" + new string('长', 30_000) + "]]></Content></xml>";

        var withDoctype = await client.PostAsync(query, new StringContent(doctype, Encoding.UTF8, "text/xml"), Ct);
        var tooBig = await client.PostAsync(query, new StringContent(oversized, Encoding.UTF8, "text/xml"), Ct);

        await ProblemAssert.IsProblemAsync(withDoctype, HttpStatusCode.BadRequest, "wechat.invalid_push");
        await ProblemAssert.IsProblemAsync(tooBig, HttpStatusCode.RequestEntityTooLarge, "request.too_large");
    }

    private static string Now(int offsetSeconds = 0) =>
        (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offsetSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task PlaintextPushesAreRefusedWhenAKeyIsConfigured()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var openId = World.Unique("oa_");
        var xml = app.Sandbox.EventXml(openId, "SCAN", await NewBindingSceneAsync(app, member));

        // A validly signed plaintext push (the sandbox signs it as WeChat would): the signature does not cover the body.
        var plain = await app.Sandbox.PushAsync(app.CreateClient(), xml, PushMode.Plain, Ct);

        Assert.Equal(401, plain.Status);
        Assert.Contains("wechat.encryption_required", plain.Body);
        Assert.Equal((null, false), await BindingOfAsync(app, member));
        await using var db = await app.OpenDatabaseAsync();
        Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM wechat_callback_events WHERE from_openid = @openId", new { openId }));
    }

    [Theory]
    [InlineData(-420)]
    [InlineData(420)]
    public async Task PushesOutsideTheTimeWindowAreRefusedAndInsideAccepted(int offsetSeconds)
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var openId = World.Unique("oa_");
        var xml = app.Sandbox.EventXml(openId, "SCAN", await NewBindingSceneAsync(app, member));
        var crypto = new WechatMessageCrypto(EcoAidFixture.OaToken, EcoAidFixture.OaEncodingAesKey, EcoAidFixture.OaAppId);
        var encrypted = crypto.Encrypt(xml);
        var body = $"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>";
        string Url(string ts) =>
            $"/wechat/callback?timestamp={ts}&nonce=7&encrypt_type=aes&msg_signature={CallbackSignature.ComputeMessageSignature(EcoAidFixture.OaToken, ts, "7", encrypted)}";
        var client = app.CreateClient();

        var stale = await client.PostAsync(Url(Now(offsetSeconds)), new StringContent(body, Encoding.UTF8, "text/xml"), Ct);
        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.Unauthorized, "wechat.stale_push");
        Assert.Equal((null, false), await BindingOfAsync(app, member));

        var fresh = await client.PostAsync(Url(Now(offsetSeconds > 0 ? 180 : -180)), new StringContent(body, Encoding.UTF8, "text/xml"), Ct);
        Assert.Equal("success", await fresh.Content.ReadAsStringAsync(Ct));
        Assert.Equal((openId, true), await BindingOfAsync(app, member));
    }

    [Fact]
    public async Task UrlCheckEchoesOnlyWithAGoodSignature()
    {
        await using var app = new EcoAidApp(fixture);
        var client = app.CreateClient();
        var signature = CallbackSignature.ComputeUrlSignature(EcoAidFixture.OaToken, "1714036504", "1514711492");

        var good = await client.GetAsync($"/wechat/callback?signature={signature}&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249", Ct);
        var bad = await client.GetAsync("/wechat/callback?signature=abc&timestamp=1714036504&nonce=1514711492&echostr=4375120948345356249", Ct);

        Assert.Equal("4375120948345356249", await good.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task SlowProcessingStillAnswersInTimeAndIsFinishedLater()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var scene = await NewBindingSceneAsync(app, member);
        var openId = World.Unique("oa_");

        // Hold the member row, so processing waits on the lock well past the answer budget.
        await using var blocker = await app.OpenDatabaseAsync();
        await using var tx = await blocker.BeginTransactionAsync(Ct);
        await blocker.ExecuteAsync("SELECT id FROM members WHERE id = @member FOR UPDATE", new { member }, tx);
        var pushing = app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "SCAN", scene), PushMode.Safe, Ct);
        // The request's budget runs on the service's clock: move it on until the answer comes (bounded).
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        while (!pushing.IsCompleted && stopwatch.Elapsed < TimeSpan.FromSeconds(4))
        {
            await Task.Delay(50, Ct);
            app.Clock.Advance(TimeSpan.FromMilliseconds(500));
        }
        var result = await pushing;
        stopwatch.Stop();
        await tx.RollbackAsync(Ct);

        Assert.Equal("success", result.Body);
        Assert.Equal(1, result.Attempts);
        // One attempt: the answer beat the sandbox's 5-second wait (WeChat's), or it would have delivered again.
        // Once the lock is gone the processing that was started completes (or the sweeper does it).
        for (var i = 0; i < 50 && (await BindingOfAsync(app, member)).OpenId is null; i++)
        {
            await Task.Delay(100, Ct);
        }
        Assert.Equal((openId, true), await BindingOfAsync(app, member));
    }

    [Fact]
    public async Task AnEventThatKeepsFailingIsRetriedALimitedNumberOfTimes()
    {
        await using var app = new EcoAidApp(fixture);
        var openId = World.Unique("oa_");
        // A plain follow of an unbound openid asks WeChat for the UnionID; WeChat keeps failing.
        app.Sandbox.InjectFault("cgi-bin/user/info", new SandboxFault(HttpStatus: 500, Times: 100));
        try
        {
            var pushed = await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "subscribe"), PushMode.Safe, Ct);
            Assert.Equal("success", pushed.Body); // answered all the same

            var sweeper = app.Services.GetRequiredService<EcoAid.Api.Features.WechatCallback.CallbackEventsWorker>();
            for (var round = 0; round < 8; round++)
            {
                app.Clock.Advance(TimeSpan.FromSeconds(5));
                await sweeper.ProcessPendingAsync(Ct);
            }

            await using var db = await app.OpenDatabaseAsync();
            var (attempts, processed) = await db.QuerySingleAsync<(int, DateTime?)>(
                "SELECT attempts, processed_at FROM wechat_callback_events WHERE from_openid = @openId", new { openId });
            Assert.Null(processed);
            Assert.Equal(5, attempts); // the request's own try and four sweeps, then it is left alone
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }
}
