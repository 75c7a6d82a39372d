using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Features.PolicyLibrary;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.PolicyLibrary;

/// <summary>A branch with an administrator, a commissioner, an enterprise with its staff, and an anonymous reader.</summary>
public sealed class PolicyWorld
{
    public required EcoAidApp App { get; init; }
    public required long CityId { get; init; }
    public required long BranchId { get; init; }
    public required long EnterpriseId { get; init; }
    public required long LiaisonMemberId { get; init; }
    public required HttpClient Admin { get; init; }
    public required HttpClient Commissioner { get; init; }
    public required HttpClient Staff { get; init; }
    public required HttpClient Anonymous { get; init; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<PolicyWorld> CreateAsync(EcoAidApp app)
    {
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var liaison = await world.MemberAsync(branchId, "包挂成员");
        var enterpriseId = await world.EnterpriseAsync(branchId, liaison);
        return new PolicyWorld
        {
            App = app, CityId = cityId, BranchId = branchId, EnterpriseId = enterpriseId, LiaisonMemberId = liaison,
            Admin = await world.UserAsync("admin", cityId, branchId),
            Commissioner = await world.UserAsync("commissioner", cityId, branchId),
            Staff = await world.UserAsync("staff", cityId, branchId, enterpriseId: enterpriseId),
            Anonymous = app.CreateClient(),
        };
    }

    /// <summary>Four random CJK characters: a Chinese word no other test (or document) contains.</summary>
    public static string Marker() => string.Concat(Enumerable.Range(0, 4).Select(_ => (char)Random.Shared.Next(0x4E00, 0x9F00)));

    public static object Doc(string title, string? summary = null, string? body = null, string category = "laws_standards") =>
        new { title, category, summary = summary ?? "摘要：危险废物规范化管理要点", body = body ?? "<p>正文：企业应当建立危险废物管理台账。</p>", tags = new[] { "危废" } };

    public async Task<long> DraftAsync(object doc)
    {
        var body = await Expect(HttpStatusCode.Created, await Admin.PostAsJsonAsync("/api/policies", doc, Ct));
        return body.GetProperty("id").GetInt64();
    }

    public async Task<long> PublishedAsync(object doc)
    {
        var id = await DraftAsync(doc);
        await Expect(HttpStatusCode.OK, await Admin.PostAsync($"/api/policies/{id}/publish", null, Ct));
        return id;
    }

    public async Task<JsonElement> SearchAsync(HttpClient client, string q) =>
        await Expect(HttpStatusCode.OK, await client.GetAsync($"/api/policies?q={Uri.EscapeDataString(q)}&pageSize=100", Ct));

    public static long[] Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToArray();

    public Task FlushCountersAsync() => App.Services.GetRequiredService<PolicyCounters>().FlushAsync(Ct);

    public static Task<JsonElement> Expect(HttpStatusCode status, HttpResponseMessage response) => HttpExpect.JsonAsync(status, response);
}
