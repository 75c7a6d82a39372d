using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Api.Tests.Notifications;
using static EcoAid.Api.Tests.PolicyLibrary.PolicyWorld;

namespace EcoAid.Api.Tests.PolicyLibrary;

public class MaterialListTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<long> SendAsync(PolicyWorld w, HttpClient sender, params long[] policyIds)
    {
        var sent = await Expect(HttpStatusCode.Created, await sender.PostAsJsonAsync($"/api/enterprises/{w.EnterpriseId}/materials",
            new { policyIds, note = "请对照自查" }, Ct));
        return sent.GetProperty("id").GetInt64();
    }

    private static async Task<long> UserIdAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/me", Ct)).GetProperty("id").GetInt64();

    [Fact]
    public async Task StaffReadTheListAndTheSenderSeesWhoReadItWhen()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var storage = await w.PublishedAsync(Doc("GB 18597《危险废物贮存污染控制标准》"));
        var explainer = await w.PublishedAsync(Doc("码上说执法：危废贮存间", category: "explainer"));
        var listId = await SendAsync(w, w.Commissioner, storage, explainer);

        var mine = await Expect(HttpStatusCode.OK, await w.Staff.GetAsync("/api/materials", Ct));
        var item = Assert.Single(mine.GetProperty("items").EnumerateArray());
        Assert.Equal(listId, item.GetProperty("id").GetInt64());
        Assert.Equal(JsonValueKind.Null, item.GetProperty("readAt").ValueKind);
        Assert.Equal([storage, explainer], item.GetProperty("documents").EnumerateArray().Select(d => d.GetProperty("policyId").GetInt64()));
        Assert.Equal("请对照自查", item.GetProperty("note").GetString());

        app.Clock.Advance(TimeSpan.FromHours(2));
        var receipt = await Expect(HttpStatusCode.OK, await w.Staff.PostAsync($"/api/materials/{listId}/read", null, Ct));
        var readAt = receipt.GetProperty("readAt").GetDateTimeOffset();
        Assert.Equal(app.Clock.GetUtcNow(), readAt);
        app.Clock.Advance(TimeSpan.FromHours(1));
        var repeated = await Expect(HttpStatusCode.OK, await w.Staff.PostAsync($"/api/materials/{listId}/read", null, Ct));
        Assert.Equal(readAt, repeated.GetProperty("readAt").GetDateTimeOffset()); // the first read stays

        var sent = await Expect(HttpStatusCode.OK, await w.Commissioner.GetAsync($"/api/enterprises/{w.EnterpriseId}/materials", Ct));
        var list = Assert.Single(sent.EnumerateArray());
        var read = Assert.Single(list.GetProperty("reads").EnumerateArray());
        Assert.Equal(await UserIdAsync(w.Staff), read.GetProperty("userId").GetInt64());
        Assert.Equal(readAt, read.GetProperty("readAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task SendingQueuesAMaterialReceivedNotificationForTheStaff()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var doc = await w.PublishedAsync(Doc("《排污许可管理条例》"));
        var second = await w.PublishedAsync(Doc("GB 18597《危险废物贮存污染控制标准》"));
        var third = await w.PublishedAsync(Doc("码上说执法：危废贮存间", category: "explainer"));
        var listId = await SendAsync(w, w.Commissioner, doc, second, third);

        await using var db = await app.OpenDatabaseAsync();
        var rows = (await db.QueryAsync<(string Kind, string Type, long Id, string Payload)>(
            "SELECT kind, recipient_type, recipient_id, payload FROM notification_outbox WHERE kind = 'material_received' AND payload LIKE @like",
            new { like = $"%\"materialId\":{listId},%" })).ToList();
        var row = Assert.Single(rows);
        Assert.Equal(("user", await UserIdAsync(w.Staff)), (row.Type, row.Id));
        Assert.Contains("《排污许可管理条例》", row.Payload, StringComparison.Ordinal);

        // Delivered, every placeholder of the kind's wording is filled from the payload.
        await app.Dispatcher().DispatchPendingAsync(Ct);
        var inbox = await Expect(HttpStatusCode.OK, await w.Staff.GetAsync("/api/me/notifications?pageSize=100", Ct));
        var entry = Assert.Single(inbox.GetProperty("items").EnumerateArray(), n => n.GetProperty("kind").GetString() == "material_received");
        // The count, and the first titles in the order sent: never one title under a count of three.
        Assert.EndsWith("发来 3 个文件：《排污许可管理条例》、GB 18597《危险废物贮存污染控制标准》 等", entry.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal($"pages/material/detail?id={listId}", entry.GetProperty("page").GetString());
    }

    [Fact]
    public async Task StaffOfAnotherEnterpriseCannotSeeOrReadAListNotSentToThem()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var doc = await w.PublishedAsync(Doc("资料"));
        var listId = await SendAsync(w, w.Commissioner, doc);
        var neighbourStaff = await new World(app).UserAsync("staff", w.CityId, w.BranchId);

        await ProblemAssert.IsProblemAsync(await neighbourStaff.GetAsync($"/api/materials/{listId}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await neighbourStaff.PostAsync($"/api/materials/{listId}/read", null, Ct), HttpStatusCode.NotFound, "not_found");
        var theirs = await Expect(HttpStatusCode.OK, await neighbourStaff.GetAsync("/api/materials", Ct));
        Assert.DoesNotContain(listId, Ids(theirs));
        var sent = await Expect(HttpStatusCode.OK, await w.Commissioner.GetAsync($"/api/enterprises/{w.EnterpriseId}/materials", Ct));
        Assert.Empty(Assert.Single(sent.EnumerateArray()).GetProperty("reads").EnumerateArray());
    }

    [Fact]
    public async Task MembersSendOnlyToEnterprisesInTheirReach()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var doc = await w.PublishedAsync(Doc("资料"));
        var world = new World(app);
        var liaison = await world.UserAsync("member", w.CityId, w.BranchId, memberId: w.LiaisonMemberId);
        var stranger = await world.UserAsync("member", w.CityId, w.BranchId);

        await ProblemAssert.IsProblemAsync(await stranger.PostAsJsonAsync($"/api/enterprises/{w.EnterpriseId}/materials", new { policyIds = new[] { doc } }, Ct),
            HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await stranger.GetAsync($"/api/enterprises/{w.EnterpriseId}/materials", Ct), HttpStatusCode.NotFound, "not_found");
        await SendAsync(w, liaison, doc);
        Assert.Single((await Expect(HttpStatusCode.OK, await liaison.GetAsync($"/api/enterprises/{w.EnterpriseId}/materials", Ct))).EnumerateArray());
    }

    [Fact]
    public async Task OnlyPublishedDocumentsCanBeSent()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var published = await w.PublishedAsync(Doc("已发布"));
        var draft = await w.DraftAsync(Doc("草稿"));

        var response = await w.Commissioner.PostAsJsonAsync($"/api/enterprises/{w.EnterpriseId}/materials", new { policyIds = new[] { published, draft } }, Ct);
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "validation.failed");
        Assert.Contains(draft.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("errors").GetProperty("policyIds")[0].GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await w.Commissioner.PostAsJsonAsync($"/api/enterprises/{w.EnterpriseId}/materials", new { policyIds = Array.Empty<long>() }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
    }

    [Fact]
    public async Task AnUnpublishedDocumentStaysInTheListMarkedUnavailable()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await CreateAsync(app);
        var doc = await w.PublishedAsync(Doc("后来撤回的文件"));
        var listId = await SendAsync(w, w.Commissioner, doc);
        await Expect(HttpStatusCode.OK, await w.Admin.PostAsync($"/api/policies/{doc}/unpublish", null, Ct));

        var detail = await Expect(HttpStatusCode.OK, await w.Staff.GetAsync($"/api/materials/{listId}", Ct));
        Assert.False(Assert.Single(detail.GetProperty("documents").EnumerateArray()).GetProperty("available").GetBoolean());
    }
}
