using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Demands;

/// <summary>A branch with one enterprise and everyone who works its demands, each logged in.</summary>
public sealed class DemandWorld
{
    public required EcoAidApp App { get; init; }
    public required long BranchId { get; init; }
    public required long EnterpriseId { get; init; }
    public required long OwnerMemberId { get; init; }
    public required long LiaisonMemberId { get; init; }
    public required long DepartmentId { get; init; }
    public required HttpClient Staff { get; init; }
    public required HttpClient Commissioner { get; init; }
    public required HttpClient Owner { get; init; }
    public required HttpClient Liaison { get; init; }
    public required HttpClient DepartmentLiaison { get; init; }
    public required HttpClient Secretary { get; init; }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<DemandWorld> CreateAsync(EcoAidApp app)
    {
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var liaison = await world.MemberAsync(branchId, "包挂成员");
        var owner = await world.MemberAsync(branchId, "责任成员");
        var enterpriseId = await world.EnterpriseAsync(branchId, liaison);
        var departmentId = await world.DepartmentAsync(branchId);
        return new DemandWorld
        {
            App = app, BranchId = branchId, EnterpriseId = enterpriseId, OwnerMemberId = owner, LiaisonMemberId = liaison, DepartmentId = departmentId,
            Staff = await world.UserAsync("staff", cityId, branchId, enterpriseId: enterpriseId),
            Commissioner = await world.UserAsync("commissioner", cityId, branchId, memberId: await world.MemberAsync(branchId, "服务专员")),
            Owner = await world.UserAsync("member", cityId, branchId, memberId: owner),
            Liaison = await world.UserAsync("member", cityId, branchId, memberId: liaison),
            DepartmentLiaison = await world.UserAsync("department_liaison", cityId, branchId, departmentId: departmentId),
            Secretary = await world.UserAsync("secretary", cityId, branchId),
        };
    }

    public static object NewDemand(string title = "危废暂存间不规范") =>
        new { category = "pollution_control", title, description = "危险废物暂存间标识不全，台账记录不完整，请求现场指导。" };

    public async Task<long> SubmitAsync(object? body = null)
    {
        var response = await Staff.PostAsJsonAsync("/api/demands", body ?? NewDemand(), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    public object ClaimPlan(int workingDays = 10) => new
    {
        objective = "规范危废暂存，完善台账",
        measures = new[] { "现场指导危废暂存间设置", "发放危废管理资料清单", "复核台账" },
        ownerMemberId = OwnerMemberId,
        dueInWorkingDays = workingDays,
    };

    public async Task<long> AcceptedAsync()
    {
        var id = await SubmitAsync();
        await Expect(HttpStatusCode.OK, await Commissioner.PostAsJsonAsync($"/api/demands/{id}/accept", ClaimPlan(), Ct));
        return id;
    }

    public async Task<long> ResolvedAsync()
    {
        var id = await AcceptedAsync();
        await Expect(HttpStatusCode.OK, await Owner.PostAsJsonAsync($"/api/demands/{id}/resolve", new { summary = "已完成整改" }, Ct));
        return id;
    }

    public static Task<JsonElement> Expect(HttpStatusCode status, HttpResponseMessage response) => HttpExpect.JsonAsync(status, response);

    public async Task<JsonElement> DetailAsync(HttpClient client, long id) =>
        await Expect(HttpStatusCode.OK, await client.GetAsync($"/api/demands/{id}", Ct));

    /// <summary>The outbox rows of a demand as (kind, recipient type, recipient id).</summary>
    public async Task<List<(string Kind, string Type, long Id)>> OutboxAsync(long demandId)
    {
        await using var db = await App.OpenDatabaseAsync();
        return (await db.QueryAsync<(string, string, long)>(
            "SELECT kind, recipient_type, recipient_id FROM notification_outbox WHERE demand_id = @demandId ORDER BY id", new { demandId })).ToList();
    }

    public async Task<long> UserIdOfAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonElement>("/api/me", Ct)).GetProperty("id").GetInt64();
}
