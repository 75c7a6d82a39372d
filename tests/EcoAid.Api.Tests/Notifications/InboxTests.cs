using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>The in-app inbox: every notification, whatever WeChat did, with read flags, and nobody else's.</summary>
public class InboxTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<JsonElement> InboxAsync(HttpClient client, string query = "") =>
        await DemandWorld.Expect(HttpStatusCode.OK, await client.GetAsync($"/api/me/notifications{query}", Ct));

    private static string[] Kinds(JsonElement inbox) =>
        [.. inbox.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("kind").GetString()!)];

    [Fact]
    public async Task EachStepOfADemandReachesTheRightInboxNewestFirstAndUnread()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var id = await w.SubmitAsync();
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", w.ClaimPlan(), Ct));
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/progress",
            new { kind = "onsite", text = "已到现场指导危废暂存间设置", visibility = "public" }, Ct));
        app.Clock.Advance(TimeSpan.FromMinutes(10));
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "暂存间已按标准整改" }, Ct));
        await app.DispatchAsync();

        var staff = await InboxAsync(w.Staff);
        Assert.Equal([NotificationKinds.DemandResolved, NotificationKinds.DemandProgress, NotificationKinds.DemandAccepted], Kinds(staff));
        Assert.Equal(3, staff.GetProperty("unread").GetInt64());
        Assert.Equal(3, staff.GetProperty("total").GetInt64());
        var accepted = staff.GetProperty("items")[2];
        Assert.Equal("您的诉求已受理", accepted.GetProperty("title").GetString());
        Assert.Equal("危废暂存间不规范，完成时限 2026年3月16日", accepted.GetProperty("summary").GetString()); // 10 working days from 2026-03-02
        Assert.Equal($"pages/demand/detail?id={id}", accepted.GetProperty("page").GetString());
        Assert.Equal(id, accepted.GetProperty("demandId").GetInt64());
        Assert.False(accepted.GetProperty("read").GetBoolean());
        Assert.Equal("诉求已办结，请确认", staff.GetProperty("items")[0].GetProperty("title").GetString());

        Assert.Contains(NotificationKinds.DemandSubmitted, Kinds(await InboxAsync(w.Commissioner)));
        Assert.Equal([NotificationKinds.DemandSubmitted], Kinds(await InboxAsync(w.Liaison)));
        Assert.Equal([NotificationKinds.DemandAssigned], Kinds(await InboxAsync(w.Owner)));
        Assert.Empty(Kinds(await InboxAsync(w.DepartmentLiaison)));
    }

    [Fact]
    public async Task ReadFlagsAreKeptPerEntryAndReadAllClearsTheRest()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        await w.ResolvedAsync();
        await app.DispatchAsync();
        var items = (await InboxAsync(w.Staff)).GetProperty("items");
        var resolvedId = items[0].GetProperty("id").GetInt64();

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var read = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsync($"/api/me/notifications/{resolvedId}/read", null, Ct));
        var readAt = read.GetProperty("readAt").GetDateTimeOffset();
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        var again = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsync($"/api/me/notifications/{resolvedId}/read", null, Ct));

        Assert.True(read.GetProperty("read").GetBoolean());
        Assert.Equal(app.Clock.GetUtcNow().AddMinutes(-1), readAt);
        Assert.Equal(readAt, again.GetProperty("readAt").GetDateTimeOffset()); // the first reading stands
        var inbox = await InboxAsync(w.Staff);
        Assert.Equal(1, inbox.GetProperty("unread").GetInt64());
        Assert.Equal([NotificationKinds.DemandAccepted], Kinds(await InboxAsync(w.Staff, "?unread=true")));

        var all = await DemandWorld.Expect(HttpStatusCode.OK, await w.Staff.PostAsync("/api/me/notifications/read-all", null, Ct));
        Assert.Equal(1, all.GetProperty("marked").GetInt32());
        Assert.Equal(0, (await InboxAsync(w.Staff)).GetProperty("unread").GetInt64());
        Assert.Empty(Kinds(await InboxAsync(w.Staff, "?unread=true")));
    }

    [Fact]
    public async Task AnotherUsersNotificationIsNotFound()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        await w.AcceptedAsync();
        await app.DispatchAsync();
        var staffEntry = (await InboxAsync(w.Staff)).GetProperty("items")[0].GetProperty("id").GetInt64();
        var ownerEntry = (await InboxAsync(w.Owner)).GetProperty("items")[0].GetProperty("id").GetInt64();

        await ProblemAssert.IsProblemAsync(await w.Owner.PostAsync($"/api/me/notifications/{staffEntry}/read", null, Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await w.Staff.PostAsync($"/api/me/notifications/{ownerEntry}/read", null, Ct), HttpStatusCode.NotFound, "not_found");
        await DemandWorld.Expect(HttpStatusCode.OK, await w.Owner.PostAsync("/api/me/notifications/read-all", null, Ct));

        Assert.False((await InboxAsync(w.Staff)).GetProperty("items")[0].GetProperty("read").GetBoolean());
        Assert.DoesNotContain(staffEntry, (await InboxAsync(w.Owner)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()));
    }

    [Fact]
    public async Task MemberNotificationsWaitForWhoeverLogsInAsThatMember()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId); // no user yet, no Official Account
        var id = await app.EnqueueAsync(Recipient.Member(member), NotificationKinds.DemandAssigned);
        await app.DispatchAsync();

        var client = await world.UserAsync("member", cityId, branchId, memberId: member);

        var inbox = await InboxAsync(client);
        var entry = Assert.Single(inbox.GetProperty("items").EnumerateArray());
        Assert.Equal("诉求已交您办理", entry.GetProperty("title").GetString());
        Assert.Equal("危废暂存间标识不全（江苏测试环保科技有限公司），完成时限 2026年3月20日", entry.GetProperty("summary").GetString());
        Assert.Equal(OutboxStatus.Skipped, (await app.RowAsync(id)).Status);
    }

    [Fact]
    public async Task EntryIsWrittenOnceWhateverHappensToThePush()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var member = await world.MemberAsync(branchId);
        await app.FollowAsync(member);
        var client = await world.UserAsync("member", cityId, branchId, memberId: member);
        var id = await app.EnqueueAsync(Recipient.Member(member));
        using (app.Faults(NotificationKit.TemplateSend, new EcoAid.Wechat.Sandbox.SandboxFault(ErrCode: -1)))
        {
            await app.DispatchAsync(); // fails, will be retried
        }
        Assert.Equal(1, await app.InboxEntriesAsync(id));
        app.Clock.Advance(TimeSpan.FromMinutes(1));
        await app.DispatchAsync(); // sent on the second attempt

        Assert.Equal((OutboxStatus.Sent, 2), ((await app.RowAsync(id)).Status, (await app.RowAsync(id)).Attempts));
        Assert.Equal(1, await app.InboxEntriesAsync(id));
        Assert.Single((await InboxAsync(client)).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task PagingFollowsTheContract()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        var (userId, _) = await app.IdentityAsync(staff);
        for (var i = 0; i < 5; i++)
        {
            await app.EnqueueAsync(Recipient.User(userId), NotificationKinds.DemandProgress, NotificationKit.Payload($"进展{i}"));
            app.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        await app.DispatchAsync();

        var page2 = await InboxAsync(staff, "?page=2&pageSize=2");

        Assert.Equal((5, 2, 2), (page2.GetProperty("total").GetInt32(), page2.GetProperty("page").GetInt32(), page2.GetProperty("pageSize").GetInt32()));
        Assert.Equal(["进展2：请本周内完成整改", "进展1：请本周内完成整改"],
            page2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("summary").GetString()!).ToArray());
        await ProblemAssert.IsProblemAsync(await staff.GetAsync("/api/me/notifications?pageSize=101", Ct), HttpStatusCode.BadRequest, "validation.failed");
    }
}
