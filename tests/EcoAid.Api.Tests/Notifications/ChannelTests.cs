using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>Which channel each recipient gets: the Official Account, a subscribe message, or the inbox alone.</summary>
public class ChannelTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    [Fact]
    public async Task MemberWhoFollowsTheOfficialAccountGetsItsTemplateMessageWithTheRowIdAsClientMsgId()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member);

        var id = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Sent, 1, Channels.OfficialAccount, TestTemplates.OfficialAccount), (row.Status, row.Attempts, row.Channel, row.TemplateId));
        var delivery = Assert.Single(app.DeliveriesTo(oaOpenId));
        Assert.Equal(SandboxChannel.TemplateMessage, delivery.Channel);
        Assert.Equal(await app.ClientMsgIdAsync(id), delivery.ClientMsgId);
        Assert.Equal(delivery.MsgId, row.WechatMsgId);
        Assert.Equal("pages/demand/detail?id=4242", delivery.Page);
        Assert.Equal("危废暂存间标识不全", delivery.Data["thing1"]);
        Assert.Equal("诉求督办提醒", delivery.Data["thing2"]);
        Assert.Equal("2026年3月2日 09:00", delivery.Data["time3"]); // the clock's 01:00 UTC, in Asia/Shanghai
        Assert.Equal(1, await app.InboxEntriesAsync(id));
    }

    [Fact]
    public async Task MemberWhoDoesNotFollowGetsASubscribeMessageThroughTheirUsersAcceptance()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var client = await world.UserAsync("member", cityId, branchId, memberId: member);
        var (userId, openId) = await app.IdentityAsync(client);
        await using (var db = await app.OpenDatabaseAsync())
        {
            // Bound once, but unfollowed since: the Official Account is not a channel any more.
            await db.ExecuteAsync("UPDATE members SET oa_openid = @o, oa_following = FALSE WHERE id = @member", new { o = World.Unique("oa_"), member });
        }
        await app.AcceptAsync(client, openId);

        var id = await app.EnqueueAsync(Recipient.Member(member), NotificationKinds.DemandAssigned);
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Sent, Channels.Subscribe, TestTemplates.Subscribe), (row.Status, row.Channel, row.TemplateId));
        var delivery = Assert.Single(app.DeliveriesTo(openId));
        Assert.Equal((SandboxChannel.SubscribeMessage, "pages/demand/detail?id=4242"), (delivery.Channel, delivery.Page));
        Assert.Equal("诉求已交您办理", delivery.Data["thing2"]);
        Assert.Equal(0, await app.RemainingAsync(userId));
        Assert.Equal(0, app.Sandbox.SubscriptionsLeft(openId, TestTemplates.Subscribe));
    }

    [Fact]
    public async Task MemberWithoutBindingOrAcceptanceGetsTheInboxAlone()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var client = await world.UserAsync("member", cityId, branchId, memberId: member);
        var (_, openId) = await app.IdentityAsync(client);
        var calls = app.Sandbox.CallCount(NotificationKit.TemplateSend) + app.Sandbox.CallCount(NotificationKit.SubscribeSend);

        var id = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Skipped, Channels.Inbox), (row.Status, row.Channel));
        Assert.Contains("inbox only", row.LastError);
        Assert.Empty(app.DeliveriesTo(openId));
        Assert.Equal(calls, app.Sandbox.CallCount(NotificationKit.TemplateSend) + app.Sandbox.CallCount(NotificationKit.SubscribeSend));
        Assert.Equal(1, await app.InboxEntriesAsync(id));
    }

    [Fact]
    public async Task MemberWhoUnfollowedInWechatIsMarkedAndReachedByTheNextChannel()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member, inWechatToo: false); // our flag says following; WeChat answers 43004
        var client = await world.UserAsync("member", cityId, branchId, memberId: member);
        var (_, openId) = await app.IdentityAsync(client);
        await app.AcceptAsync(client, openId);
        await app.AcceptAsync(client, openId);

        var first = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();
        var templateCalls = app.Sandbox.CallCount(NotificationKit.TemplateSend);
        var second = await app.EnqueueAsync(Recipient.Member(member));
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Sent, Channels.Subscribe), ((await app.RowAsync(first)).Status, (await app.RowAsync(first)).Channel));
        Assert.Equal((OutboxStatus.Sent, Channels.Subscribe), ((await app.RowAsync(second)).Status, (await app.RowAsync(second)).Channel));
        Assert.Empty(app.DeliveriesTo(oaOpenId));
        Assert.Equal(2, app.DeliveriesTo(openId).Count);
        Assert.Equal(templateCalls, app.Sandbox.CallCount(NotificationKit.TemplateSend)); // the second did not try the Official Account
        await using var db = await app.OpenDatabaseAsync();
        Assert.False(await db.ExecuteScalarAsync<bool>("SELECT oa_following FROM members WHERE id = @member", new { member }));
    }

    [Fact]
    public async Task StaffGetOneSubscribeMessagePerAcceptanceAndTheInboxAfterThat()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        var (userId, openId) = await app.IdentityAsync(staff);
        await app.AcceptAsync(staff, openId);

        var ids = new[]
        {
            await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandAccepted),
            await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandProgress),
        };
        await app.DispatchAsync();

        var rows = await Task.WhenAll(ids.Select(app.RowAsync));
        Assert.Single(rows, r => r is { Status: OutboxStatus.Sent, Channel: Channels.Subscribe });
        Assert.Single(rows, r => r is { Status: OutboxStatus.Skipped, Channel: Channels.Inbox });
        Assert.Single(app.DeliveriesTo(openId));
        Assert.Equal(0, await app.RemainingAsync(userId));
        foreach (var id in ids)
        {
            Assert.Equal(1, await app.InboxEntriesAsync(id));
        }
    }

    [Fact]
    public async Task StaffWithoutAcceptanceGetTheInboxAlone()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        var (userId, openId) = await app.IdentityAsync(staff);

        var id = await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandResolved);
        await app.DispatchAsync();

        Assert.Equal((OutboxStatus.Skipped, Channels.Inbox), ((await app.RowAsync(id)).Status, (await app.RowAsync(id)).Channel));
        Assert.Empty(app.DeliveriesTo(openId));
        Assert.Equal(1, await app.InboxEntriesAsync(id));
    }

    [Fact]
    public async Task KindWithoutWechatTemplatesReachesTheInboxEvenForAFollower()
    {
        await using var app = new EcoAidApp(fixture, s =>
        {
            foreach (var key in s.Keys.Where(k => k.StartsWith("Notifications:Templates:demand_withdrawn:", StringComparison.Ordinal)).ToList())
            {
                s.Remove(key);
            }
        });
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member);

        var id = await app.EnqueueAsync(Recipient.Member(member), NotificationKinds.DemandWithdrawn);
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Skipped, Channels.Inbox), (row.Status, row.Channel));
        Assert.Contains("no WeChat template", row.LastError);
        Assert.Empty(app.DeliveriesTo(oaOpenId));
    }
}
