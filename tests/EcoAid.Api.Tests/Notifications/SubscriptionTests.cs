using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Demands;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Notifications;

/// <summary>POST /api/me/subscriptions: one send per reported acceptance of one of our subscribe templates.</summary>
public class SubscriptionTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(EcoAidApp App, HttpClient Staff, long UserId)> StaffAsync(EcoAidFixture fixture, Action<IDictionary<string, string?>>? settings = null)
    {
        var app = new EcoAidApp(fixture, settings);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var staff = await world.UserAsync("staff", cityId, branchId);
        return (app, staff, (await app.IdentityAsync(staff)).UserId);
    }

    private static int Remaining(JsonElement body, string templateId) =>
        body.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("templateId").GetString() == templateId).GetProperty("remaining").GetInt32();

    [Fact]
    public async Task AcceptancesOfOurTemplatesAreCountedAndOthersIgnored()
    {
        var (app, staff, userId) = await StaffAsync(fixture);
        await using var _ = app;

        var first = await DemandWorld.Expect(HttpStatusCode.OK, await staff.PostAsJsonAsync("/api/me/subscriptions",
            new { accepted = new[] { TestTemplates.Subscribe, "someone-elses-template", TestTemplates.Subscribe } }, Ct));
        var second = await DemandWorld.Expect(HttpStatusCode.OK, await staff.PostAsJsonAsync("/api/me/subscriptions",
            new { accepted = new[] { TestTemplates.Subscribe } }, Ct));

        Assert.Equal([TestTemplates.Subscribe], first.GetProperty("recorded").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["someone-elses-template"], first.GetProperty("ignored").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(1, Remaining(first, TestTemplates.Subscribe)); // a repeated id in one report is one acceptance
        Assert.Equal(2, Remaining(second, TestTemplates.Subscribe));
        Assert.Equal(2, await app.RemainingAsync(userId));
    }

    [Fact]
    public async Task ARetriedReportWithTheSameIdempotencyKeyCountsOnce()
    {
        var (app, staff, userId) = await StaffAsync(fixture);
        await using var _ = app;

        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/me/subscriptions")
            {
                Content = JsonContent.Create(new { accepted = new[] { TestTemplates.Subscribe } }),
            };
            request.Headers.Add("Idempotency-Key", "report-7f3a");
            var body = await DemandWorld.Expect(HttpStatusCode.OK, await staff.SendAsync(request, Ct));
            Assert.Equal(1, Remaining(body, TestTemplates.Subscribe));
        }

        Assert.Equal(1, await app.RemainingAsync(userId));
    }

    [Fact]
    public async Task ListShowsTheTemplatesThatConcernTheRoleWithWhatIsLeft()
    {
        var extra = "t-member-only-" + Guid.NewGuid().ToString("N")[..8];
        var (app, staff, _) = await StaffAsync(fixture, s =>
        {
            // A template only task-force kinds use: staff are never asked for it.
            s["Notifications:Templates:demand_assigned:Subscribe:TemplateId"] = extra;
        });
        await using var _ = app;
        await staff.PostAsJsonAsync("/api/me/subscriptions", new { accepted = new[] { TestTemplates.Subscribe } }, Ct);

        var list = await DemandWorld.Expect(HttpStatusCode.OK, await staff.GetAsync("/api/me/subscriptions", Ct));

        var template = Assert.Single(list.GetProperty("templates").EnumerateArray());
        Assert.Equal((TestTemplates.Subscribe, 1), (template.GetProperty("templateId").GetString(), template.GetProperty("remaining").GetInt32()));
        var kinds = template.GetProperty("kinds").EnumerateArray().Select(k => k.GetProperty("kind").GetString()).ToList();
        Assert.Contains("demand_accepted", kinds);
        Assert.Contains("demand_resolved", kinds);
        Assert.Contains("material_received", kinds);
        Assert.Contains("诉求已受理", template.GetProperty("kinds").EnumerateArray().First(k => k.GetProperty("kind").GetString() == "demand_accepted")
            .GetProperty("description").GetString());
    }

    [Fact]
    public async Task ReportsOfTheWrongShapeAreRefused()
    {
        var (app, staff, userId) = await StaffAsync(fixture);
        await using var _ = app;

        await ProblemAssert.IsProblemAsync(await staff.PostAsJsonAsync("/api/me/subscriptions", new { }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await staff.PostAsJsonAsync("/api/me/subscriptions",
            new { accepted = Enumerable.Repeat(TestTemplates.Subscribe, 21).ToArray() }, Ct), HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await staff.PostAsJsonAsync("/api/me/subscriptions", new { accepted = new[] { "" } }, Ct),
            HttpStatusCode.BadRequest, "validation.failed");
        await ProblemAssert.IsProblemAsync(await staff.PostAsJsonAsync("/api/me/subscriptions",
            new { accepted = new[] { TestTemplates.Subscribe }, rejected = new[] { "x" } }, Ct), HttpStatusCode.BadRequest, "request.invalid_body");

        Assert.Equal(0, await app.RemainingAsync(userId));
    }
}
