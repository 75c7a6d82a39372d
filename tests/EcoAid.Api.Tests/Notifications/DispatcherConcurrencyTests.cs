using System.Globalization;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>Several instances on one database, a round cut short, an instance that dies between send and bookkeeping.</summary>
public class DispatcherConcurrencyTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Members who follow the Official Account, and one queued notification per (member, round) — <paramref name="count"/> in all.</summary>
    private static async Task<(List<long> Ids, Dictionary<long, string> OpenIdOfRow)> QueueForFollowersAsync(EcoAidApp app, int members, int count)
    {
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var followers = new List<(long Member, string OpenId)>();
        for (var i = 0; i < members; i++)
        {
            var member = await world.MemberAsync(branchId);
            followers.Add((member, await app.FollowAsync(member)));
        }
        var ids = new List<long>();
        var openIdOfRow = new Dictionary<long, string>();
        for (var i = 0; i < count; i++)
        {
            var (member, openId) = followers[i % members];
            var id = await app.EnqueueAsync(Recipient.Member(member));
            ids.Add(id);
            openIdOfRow[id] = openId;
        }
        return (ids, openIdOfRow);
    }

    private static async Task AssertEachRowDeliveredOnce(EcoAidApp app, List<long> ids, Dictionary<long, string> openIdOfRow)
    {
        var prefix = (await app.ClientMsgIdAsync(0))[..^1];
        var deliveries = app.Sandbox.Deliveries.Where(d => d.ClientMsgId is not null && openIdOfRow.ContainsValue(d.ToUser)).ToList();
        foreach (var id in ids)
        {
            var delivery = Assert.Single(deliveries, d => d.ClientMsgId == prefix + id.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(openIdOfRow[id], delivery.ToUser);
        }
        Assert.Equal(ids.Count, deliveries.Count);
    }

    private static async Task<Dictionary<string, int>> StatusesAsync(EcoAidApp app, List<long> ids)
    {
        await using var db = await app.OpenDatabaseAsync();
        return (await db.QueryAsync<(string Status, int Count)>("SELECT status, COUNT(*) FROM notification_outbox WHERE id IN @ids GROUP BY status", new { ids }))
            .ToDictionary(s => s.Status, s => s.Count);
    }

    [Fact]
    public async Task TwoDispatchersOnOneDatabaseSendEveryRowExactlyOnce()
    {
        await using var first = new EcoAidApp(fixture, s => s["Notifications:Dispatcher:BatchSize"] = "10");
        await using var second = new EcoAidApp(fixture, s => s["Notifications:Dispatcher:BatchSize"] = "10");
        _ = second.Services;
        var (ids, openIdOfRow) = await QueueForFollowersAsync(first, members: 25, count: 200);
        var calls = first.Sandbox.CallCount(NotificationKit.TemplateSend);

        async Task<int> RunAsync(EcoAidApp app)
        {
            var claimed = 0;
            for (var idle = 0; idle < 3;)
            {
                var round = await app.Dispatcher().DispatchPendingAsync(Ct);
                claimed += round.Claimed;
                idle = round.Claimed == 0 ? idle + 1 : 0;
            }
            return claimed;
        }
        var claims = await Task.WhenAll(RunAsync(first), RunAsync(second));

        Assert.Equal(new Dictionary<string, int> { [OutboxStatus.Sent] = 200 }, await StatusesAsync(first, ids));
        Assert.All(claims, c => Assert.True(c > 0, $"both instances should have worked: {string.Join(" / ", claims)}"));
        Assert.Equal(200, claims.Sum());
        Assert.Equal(calls + 200, first.Sandbox.CallCount(NotificationKit.TemplateSend)); // not one row sent twice
        await AssertEachRowDeliveredOnce(first, ids, openIdOfRow);
    }

    /// <summary>
    /// A shutdown that comes once the sandbox has seen <paramref name="sends"/> template sends in all: mid-batch by
    /// construction, whatever the machine's speed (a timer would sometimes fire before the claim, sometimes after the end).
    /// </summary>
    private static CancellationTokenSource CancelAfterSends(EcoAidApp app, int sends)
    {
        var shutdown = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (app.Sandbox.CallCount(NotificationKit.TemplateSend) < sends && DateTime.UtcNow < deadline)
            {
                await Task.Delay(5);
            }
            await shutdown.CancelAsync();
        });
        return shutdown;
    }

    [Fact]
    public async Task DispatcherCancelledMidBatchAndRestartedLosesNothingAndSendsNothingTwice()
    {
        var settings = (IDictionary<string, string?> s) => { s["Notifications:Dispatcher:BatchSize"] = "50"; s["Notifications:Dispatcher:Concurrency"] = "2"; };
        DispatchResult cut;
        List<long> ids;
        Dictionary<long, string> openIdOfRow;
        int calls;
        await using (var stopping = new EcoAidApp(fixture, settings))
        {
            (ids, openIdOfRow) = await QueueForFollowersAsync(stopping, members: 10, count: 30);
            calls = stopping.Sandbox.CallCount(NotificationKit.TemplateSend);
            using var slow = stopping.Faults(NotificationKit.TemplateSend, new SandboxFault(Delay: TimeSpan.FromMilliseconds(100), Times: 30));
            using var shutdown = CancelAfterSends(stopping, calls + 4);
            cut = await stopping.Dispatcher().DispatchPendingAsync(shutdown.Token);

            var statuses = await StatusesAsync(stopping, ids);
            Assert.Equal(30, cut.Claimed);
            Assert.True(cut.Sent > 0 && cut.Released > 0, $"the round should be cut in the middle: {cut}");
            Assert.Equal(cut.Sent, statuses.GetValueOrDefault(OutboxStatus.Sent));
            Assert.Equal(cut.Released, statuses.GetValueOrDefault(OutboxStatus.Pending)); // handed back at once, not held until the lease ends
            Assert.False(statuses.ContainsKey(OutboxStatus.Sending));
        }

        await using var restarted = new EcoAidApp(fixture, settings);
        await restarted.DispatchAsync();

        Assert.Equal(new Dictionary<string, int> { [OutboxStatus.Sent] = 30 }, await StatusesAsync(restarted, ids));
        Assert.Equal(calls + 30, restarted.Sandbox.CallCount(NotificationKit.TemplateSend));
        await AssertEachRowDeliveredOnce(restarted, ids, openIdOfRow);
        await using var db = await restarted.OpenDatabaseAsync();
        Assert.Equal(30, await db.ExecuteScalarAsync<int>("SELECT SUM(attempts) FROM notification_outbox WHERE id IN @ids", new { ids }));
    }

    [Fact]
    public async Task ServiceLoopStoppedMidDrainHandsBackTheBatchItHadClaimedAhead()
    {
        var settings = (IDictionary<string, string?> s) => { s["Notifications:Dispatcher:BatchSize"] = "10"; s["Notifications:Dispatcher:Concurrency"] = "2"; };
        List<long> ids;
        Dictionary<long, string> openIdOfRow;
        int calls;
        await using (var stopping = new EcoAidApp(fixture, settings))
        {
            (ids, openIdOfRow) = await QueueForFollowersAsync(stopping, members: 10, count: 40);
            calls = stopping.Sandbox.CallCount(NotificationKit.TemplateSend);
            using var slow = stopping.Faults(NotificationKit.TemplateSend, new SandboxFault(Delay: TimeSpan.FromMilliseconds(100), Times: 40));
            using var shutdown = CancelAfterSends(stopping, calls + 8);
            await stopping.Dispatcher().DrainAsync(shutdown.Token); // what the background loop runs on each tick

            var statuses = await StatusesAsync(stopping, ids);
            Assert.True(statuses.GetValueOrDefault(OutboxStatus.Sent) is > 0 and < 40, string.Join(", ", statuses));
            Assert.False(statuses.ContainsKey(OutboxStatus.Sending)); // neither the batch under way nor the one claimed ahead is held
            await using var db = await stopping.OpenDatabaseAsync();
            Assert.Equal(0, await db.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM notification_outbox WHERE id IN @ids AND status = 'pending' AND attempts > 0", new { ids }));
        }

        await using var restarted = new EcoAidApp(fixture, settings);
        await restarted.DispatchAsync();

        Assert.Equal(new Dictionary<string, int> { [OutboxStatus.Sent] = 40 }, await StatusesAsync(restarted, ids));
        Assert.Equal(calls + 40, restarted.Sandbox.CallCount(NotificationKit.TemplateSend));
        await AssertEachRowDeliveredOnce(restarted, ids, openIdOfRow);
    }

    /// <summary>An instance sends, then dies before recording it: its lease runs out, another instance sends the row again.</summary>
    [Fact]
    public async Task SendWhoseBookkeepingWasLostIsNotDeliveredTwice()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member);
        var id = await app.EnqueueAsync(Recipient.Member(member));

        // The dead instance: claimed the row under a 2-minute lease and sent it with the row id as client_msg_id.
        await using (var db = await app.OpenDatabaseAsync())
        {
            await db.ExecuteAsync("UPDATE notification_outbox SET status = 'sending', claim_token = 12345, attempts = 1, next_attempt_at = @lease WHERE id = @id",
                new { id, lease = app.Clock.GetUtcNow().AddMinutes(2).UtcDateTime });
        }
        var sentBefore = await app.Services.GetRequiredService<OfficialAccountApi>().SendTemplateMessageAsync(new TemplateMessage(oaOpenId,
            TestTemplates.OfficialAccount, new Dictionary<string, string> { ["thing1"] = "危废暂存间标识不全", ["thing2"] = "诉求督办提醒", ["time3"] = "2026年3月2日 09:00" },
            ClientMsgId: await app.ClientMsgIdAsync(id)), Ct);

        await app.DispatchAsync(); // the lease still holds: nobody touches the row
        Assert.Equal(OutboxStatus.Sending, (await app.RowAsync(id)).Status);
        app.Clock.Advance(TimeSpan.FromMinutes(3));
        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Sent, 2), (row.Status, row.Attempts));
        Assert.Equal(sentBefore.Value!.Msgid, row.WechatMsgId); // WeChat recognised the repeat
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }

    [Fact]
    public async Task TemplateSendJobFinishSettlesTheRowThatSentThatMessage()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var delivered = await world.MemberAsync(branchId);
        var blocked = await world.MemberAsync(branchId);
        var deliveredOpenId = await app.FollowAsync(delivered);
        var blockedOpenId = await app.FollowAsync(blocked);
        var ok = await app.EnqueueAsync(Recipient.Member(delivered));
        var refused = await app.EnqueueAsync(Recipient.Member(blocked));
        await app.DispatchAsync();

        foreach (var (openId, id, status) in new[] { (deliveredOpenId, ok, "success"), (blockedOpenId, refused, "failed:user block") })
        {
            var msgId = (await app.RowAsync(id)).WechatMsgId!.Value;
            var result = await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(openId, "TEMPLATESENDJOBFINISH", msgId: msgId, status: status), PushMode.Safe, Ct);
            Assert.Equal("success", result.Body);
        }

        var okRow = await app.RowAsync(ok);
        var refusedRow = await app.RowAsync(refused);
        Assert.Equal((OutboxStatus.Delivered, "success"), (okRow.Status, okRow.WechatStatus));
        Assert.Equal((OutboxStatus.Failed, "failed:user block"), (refusedRow.Status, refusedRow.WechatStatus));
        Assert.Contains("failed:user block", refusedRow.LastError);
    }

    [Fact]
    public async Task ReportThatArrivesBeforeTheBookkeepingStillSettlesTheRow()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member);
        var id = await app.EnqueueAsync(Recipient.Member(member));
        // WeChat delivered (and reported) the first send of this row before our bookkeeping of it happened.
        var early = await app.Services.GetRequiredService<OfficialAccountApi>().SendTemplateMessageAsync(new TemplateMessage(oaOpenId,
            TestTemplates.OfficialAccount, new Dictionary<string, string> { ["thing1"] = "x", ["thing2"] = "y", ["time3"] = "09:00" },
            ClientMsgId: await app.ClientMsgIdAsync(id)), Ct);
        await app.Sandbox.PushAsync(app.CreateClient(), app.Sandbox.EventXml(oaOpenId, "TEMPLATESENDJOBFINISH", msgId: early.Value!.Msgid, status: "success"),
            PushMode.Safe, Ct);

        await app.DispatchAsync();

        var row = await app.RowAsync(id);
        Assert.Equal((OutboxStatus.Delivered, "success", early.Value.Msgid), (row.Status, row.WechatStatus, row.WechatMsgId));
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }

    [Fact]
    public async Task TheBackgroundLoopDeliversOnItsOwnWhenEnabled()
    {
        await using var app = new EcoAidApp(fixture, s =>
        {
            s["Notifications:Dispatcher:Enabled"] = "true";
            s["Notifications:Dispatcher:Interval"] = "00:00:05";
        });
        var world = new World(app);
        var (_, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        var oaOpenId = await app.FollowAsync(member);
        var id = await app.EnqueueAsync(Recipient.Member(member));

        app.Clock.Advance(TimeSpan.FromSeconds(5)); // one tick of the loop's timer
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await app.RowAsync(id)).Status != OutboxStatus.Sent && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Ct);
        }

        Assert.Equal(OutboxStatus.Sent, (await app.RowAsync(id)).Status);
        Assert.Single(app.DeliveriesTo(oaOpenId));
    }
}
