using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>Each class of WeChat error, end to end against the sandbox.</summary>
public class DeliveryErrorTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static async Task<(long Member, string OaOpenId)> FollowerAsync(EcoAidApp app)
    {
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        return (member, await app.FollowAsync(member));
    }

    private static async Task<(HttpClient Client, long UserId, string OpenId)> StaffAsync(EcoAidApp app)
    {
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var client = await world.UserAsync("staff", cityId, branchId);
        var (userId, openId) = await app.IdentityAsync(client);
        return (client, userId, openId);
    }

    private static DateTime Now(EcoAidApp app) => app.Clock.GetUtcNow().UtcDateTime;

    [Fact]
    public async Task NoAcceptanceLeftAtWechatFailsAtOnceWithoutRetryAndResetsOurCount()
    {
        await using var app = new EcoAidApp(fixture);
        var (client, userId, openId) = await StaffAsync(app);
        await app.AcceptAsync(client, openId, inWechatToo: false); // we counted one; WeChat knows none (43101)
        await app.AcceptAsync(client, openId, inWechatToo: false);

        var id = await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandResolved);
        await app.DispatchAsync();
        var calls = app.Sandbox.CallCount(NotificationKit.SubscribeSend);
        app.Clock.Advance(TimeSpan.FromDays(1));
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Failed, 1, Channels.Subscribe), (row.Status, row.Attempts, row.Channel));
        Assert.Contains("43101", row.LastError);
        Assert.Equal(0, await app.RemainingAsync(userId));
        Assert.Equal(calls, app.Sandbox.CallCount(NotificationKit.SubscribeSend));
        Assert.Equal(1, await app.InboxEntriesAsync(id)); // the inbox has it all the same
    }

    [Fact]
    public async Task StaleAccessTokenIsRefreshedOnceAndTheMessageSentInTheSameAttempt()
    {
        await using var app = new EcoAidApp(fixture);
        var (member, oaOpenId) = await FollowerAsync(app);
        var oaApp = app.Services.GetRequiredService<IOptions<WechatOptions>>().Value.OfficialAccountApp;
        await app.Services.GetRequiredService<AccessTokenProvider>().GetTokenAsync(oaApp, TestContext.Current.CancellationToken);
        app.Sandbox.InvalidateTokens(oaApp.AppId); // the cached token now answers 40001
        var tokenCalls = app.Sandbox.CallCount("cgi-bin/stable_token");
        var sendCalls = app.Sandbox.CallCount(NotificationKit.TemplateSend);

        var id = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Sent, 1), (row.Status, row.Attempts));
        Assert.Single(app.DeliveriesTo(oaOpenId));
        Assert.Equal(tokenCalls + 1, app.Sandbox.CallCount("cgi-bin/stable_token"));
        Assert.Equal(sendCalls + 2, app.Sandbox.CallCount(NotificationKit.TemplateSend));
    }

    [Fact]
    public async Task SystemBusyIsRetriedWithGrowingJitteredBackOffUntilItGoesThrough()
    {
        await using var app = new EcoAidApp(fixture);
        var (member, oaOpenId) = await FollowerAsync(app);
        using var faults = app.Faults(NotificationKit.TemplateSend, new SandboxFault(ErrCode: -1, Times: 2));

        var id = await app.EnqueueAsync(Recipient.Member(member));
        var t0 = Now(app);
        await app.DispatchAsync();
        var first = await app.RowAsync(id);
        await app.DispatchAsync(); // not due yet: nothing happens
        Assert.Equal(first, await app.RowAsync(id));

        app.Clock.Advance(TimeSpan.FromSeconds(30));
        var t1 = Now(app);
        await app.DispatchAsync();
        var second = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromSeconds(60));
        await app.DispatchAsync();
        var third = await app.RowAsync(id);

        // Base 30 s with equal jitter: the n-th wait is between half of and all of 30 s × 2^(n-1).
        Assert.Equal((OutboxStatus.Pending, 1), (first.Status, first.Attempts));
        Assert.Contains("-1", first.LastError);
        Assert.InRange(first.NextAttemptAt, t0.AddSeconds(15), t0.AddSeconds(30));
        Assert.Equal((OutboxStatus.Pending, 2), (second.Status, second.Attempts));
        Assert.InRange(second.NextAttemptAt, t1.AddSeconds(30), t1.AddSeconds(60));
        Assert.Equal((OutboxStatus.Sent, 3), (third.Status, third.Attempts));
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }

    [Fact]
    public async Task RowThatKeepsFailingIsParkedAndNeverHoldsUpTheRest()
    {
        await using var app = new EcoAidApp(fixture, s => s["Notifications:Dispatcher:MaxAttempts"] = "2");
        var (member, _) = await FollowerAsync(app);
        var (other, otherOpenId) = await FollowerAsync(app);
        var id = await app.EnqueueAsync(Recipient.Member(member));
        using (app.Faults(NotificationKit.TemplateSend, new SandboxFault(HttpStatus: 500, Times: 2)))
        {
            await app.DispatchAsync();
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            await app.DispatchAsync();
        }
        var parked = await app.RowAsync(id);
        var calls = app.Sandbox.CallCount(NotificationKit.TemplateSend);

        app.Clock.Advance(TimeSpan.FromDays(1));
        var next = await app.EnqueueAsync(Recipient.Member(other));
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Parked, 2), (parked.Status, parked.Attempts));
        Assert.Contains("HTTP 500", parked.LastError);
        Assert.Equal(parked, await app.RowAsync(id));
        Assert.Equal(OutboxStatus.Sent, (await app.RowAsync(next)).Status);
        Assert.Single(app.DeliveriesTo(otherOpenId));
        Assert.Equal(calls + 1, app.Sandbox.CallCount(NotificationKit.TemplateSend));
    }

    [Fact]
    public async Task DataWechatRefusesFailsAtOnceKeepingWechatsReasonAndTheAcceptance()
    {
        // The console's template has a keyword the settings do not fill: WeChat answers 47003 naming it.
        var templateId = "t-extra-" + Guid.NewGuid().ToString("N")[..12];
        fixture.Sandbox.RegisterSubscribeTemplate(templateId, [.. TestTemplates.Keys, "thing4"]);
        await using var app = new EcoAidApp(fixture, s => s["Notifications:Templates:demand_accepted:Subscribe:TemplateId"] = templateId);
        var (client, userId, openId) = await StaffAsync(app);
        await app.AcceptAsync(client, openId, templateId);

        var id = await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandAccepted);
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Failed, 1), (row.Status, row.Attempts));
        Assert.Contains("47003", row.LastError);
        Assert.Contains("data.thing4.value", row.LastError);
        Assert.Equal(1, await app.RemainingAsync(userId, templateId)); // not used up by a refused message
        Assert.Equal(1, app.Sandbox.SubscriptionsLeft(openId, templateId));
    }

    [Fact]
    public async Task DataThatWouldBeRefusedIsNotSentAndKeepsTheCheckersReason()
    {
        await using var app = new EcoAidApp(fixture);
        var (client, userId, openId) = await StaffAsync(app);
        await app.AcceptAsync(client, openId);
        var calls = app.Sandbox.CallCount(NotificationKit.SubscribeSend);

        // A feature put something that is not an instant in "at": time3 cannot be written.
        var id = await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandProgress, new { title = "进展", at = "上周" });
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Failed, 1), (row.Status, row.Attempts));
        Assert.Contains("47003", row.LastError);
        Assert.Contains("data.time3.value", row.LastError);
        Assert.Equal(calls, app.Sandbox.CallCount(NotificationKit.SubscribeSend));
        Assert.Equal(1, await app.RemainingAsync(userId));
    }

    [Fact]
    public async Task DailyQuotaReachedWaitsWithoutSpendingAnAttempt()
    {
        await using var app = new EcoAidApp(fixture);
        var (member, oaOpenId) = await FollowerAsync(app);
        using var faults = app.Faults(NotificationKit.TemplateSend, new SandboxFault(ErrCode: 45009));

        var id = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();
        var waiting = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromHours(1));
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Pending, 0), (waiting.Status, waiting.Attempts));
        Assert.Contains("45009", waiting.LastError);
        Assert.Equal(Now(app), waiting.NextAttemptAt); // exactly QuotaRetryDelay (1 h) after the first try
        Assert.Equal((OutboxStatus.Sent, 1), ((await app.RowAsync(id)).Status, (await app.RowAsync(id)).Attempts));
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }

    [Fact]
    public async Task SubscribeMessageWithUnknownOutcomeIsTriedAtMostOnceMore()
    {
        await using var app = new EcoAidApp(fixture);
        var (client, userId, openId) = await StaffAsync(app);
        await app.AcceptAsync(client, openId);
        await app.AcceptAsync(client, openId);
        using var faults = app.Faults(NotificationKit.SubscribeSend, new SandboxFault(ErrCode: -1, Times: 3));

        var id = await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandProgress);
        await app.DispatchAsync();
        var first = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        await app.DispatchAsync();
        var second = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromHours(5));
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Pending, 1, 1), (first.Status, first.Attempts, first.UnknownSends));
        Assert.Equal((OutboxStatus.Failed, 2), (second.Status, second.Attempts));
        Assert.Contains("not retried", second.LastError);
        Assert.Equal(second, await app.RowAsync(id));
        Assert.Equal(2, await app.RemainingAsync(userId)); // each unknown send gave its acceptance back
    }

    [Fact]
    public async Task ServerErrorsAndTimeOutsAreRetriedLikeSystemBusy()
    {
        await using var app = new EcoAidApp(fixture);
        var (member, oaOpenId) = await FollowerAsync(app);
        var id = await app.EnqueueAsync(Recipient.Member(member));
        using (app.Faults(NotificationKit.TemplateSend, new SandboxFault(HttpStatus: 502)))
        {
            await app.DispatchAsync();
        }
        var afterServerError = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        using (app.Faults(NotificationKit.TemplateSend, new SandboxFault(Delay: TimeSpan.FromSeconds(3)))) // over the 2 s time-out
        {
            await app.DispatchAsync();
        }
        var afterTimeout = await app.RowAsync(id);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Pending, 1), (afterServerError.Status, afterServerError.Attempts));
        Assert.Contains("HTTP 502", afterServerError.LastError);
        Assert.Equal((OutboxStatus.Pending, 2), (afterTimeout.Status, afterTimeout.Attempts));
        Assert.Contains("timed out", afterTimeout.LastError);
        Assert.Equal(OutboxStatus.Sent, (await app.RowAsync(id)).Status);
        // The timed-out send may have reached WeChat; the same client_msg_id makes the retry harmless.
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }
}
