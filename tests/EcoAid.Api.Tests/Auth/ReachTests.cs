using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EcoAid.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Auth;

/// <summary>
/// Who may call what. The table below is checked against the app's own endpoint list, so an endpoint added without
/// an entry here — or without an authorization policy — fails this test.
/// </summary>
public class ReachTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Anonymous = "anonymous";
    private const string AnyUser = "any user";
    private static readonly string[] AllRoles = ["staff", "member", "commissioner", "secretary", "department_liaison", "admin", "city_viewer", "city_admin"];
    private static readonly string[] BranchReaders = [.. AllRoles.Except(["staff"])];
    private static readonly string[] OrgAdmins = ["admin", "city_admin"];
    private static readonly string[] DemandReaders = [.. AllRoles.Except(["admin"])];
    private static readonly string[] DemandSubmitters = ["staff", "commissioner", "secretary"];
    private static readonly string[] DemandManagers = ["commissioner", "secretary"];
    private static readonly string[] DemandWorkers = ["member", "department_liaison", "commissioner", "secretary"];
    private static readonly string[] VisitRecorders = ["member", "commissioner", "secretary"];
    private static readonly string[] VisitReaders = [.. VisitRecorders, "city_viewer", "city_admin"];
    private static readonly string[] MeetingReaders = ["commissioner", "secretary", "city_viewer", "city_admin"];
    private static readonly string[] StatsReaders = ["secretary", "city_viewer", "city_admin"];
    private static readonly string[] MaterialSenders = ["member", "commissioner"];

    private static readonly Dictionary<string, string[]> Expected = new()
    {
        ["POST /api/auth/login"] = [Anonymous],
        ["POST /api/auth/logout"] = [AnyUser],
        ["GET /api/me"] = [AnyUser],
        ["POST /api/me/bind"] = [AnyUser],
        ["POST /api/me/phone"] = [AnyUser],
        ["PATCH /api/me"] = [AnyUser],
        ["GET /api/me/notifications"] = [AnyUser],
        ["POST /api/me/notifications/{id}/read"] = [AnyUser],
        ["POST /api/me/notifications/read-all"] = [AnyUser],
        ["GET /api/me/subscriptions"] = [AnyUser],
        ["POST /api/me/subscriptions"] = [AnyUser],
        ["POST /api/invites"] = OrgAdmins,
        ["GET /api/branches"] = ["city_viewer", "city_admin"],
        ["GET /api/branches/{id}"] = BranchReaders,
        ["POST /api/branches"] = ["city_admin"],
        ["PUT /api/branches/{id}"] = ["city_admin"],
        ["GET /api/enterprises"] = AllRoles,
        ["GET /api/enterprises/{id}"] = AllRoles,
        ["POST /api/enterprises"] = OrgAdmins,
        ["PUT /api/enterprises/{id}"] = OrgAdmins,
        ["GET /api/enterprises/{id}/contacts"] = AllRoles,
        ["POST /api/enterprises/{id}/contacts"] = ["staff", .. OrgAdmins],
        ["PUT /api/enterprises/{id}/contacts/{contactId}"] = ["staff", .. OrgAdmins],
        ["DELETE /api/enterprises/{id}/contacts/{contactId}"] = ["staff", .. OrgAdmins],
        ["GET /api/members"] = BranchReaders,
        ["GET /api/members/{id}"] = BranchReaders,
        ["POST /api/members"] = OrgAdmins,
        ["PUT /api/members/{id}"] = OrgAdmins,
        ["POST /api/members/{id}/official-account-qrcode"] = BranchReaders,
        ["GET /api/departments"] = BranchReaders,
        ["GET /api/departments/{id}"] = BranchReaders,
        ["POST /api/departments"] = OrgAdmins,
        ["PUT /api/departments/{id}"] = OrgAdmins,
        ["GET /api/calendar"] = [AnyUser],
        ["PUT /api/calendar/{day}"] = ["city_admin"],
        ["DELETE /api/calendar/{day}"] = ["city_admin"],
        ["POST /api/calendar/import"] = ["city_admin"],
        ["POST /api/calendar/import/xlsx"] = ["city_admin"],
        ["POST /api/demands"] = DemandSubmitters,
        ["GET /api/demands"] = DemandReaders,
        ["GET /api/demands/{id}"] = DemandReaders,
        ["GET /api/demands/export"] = DemandManagers,
        ["POST /api/demands/{id}/accept"] = DemandManagers,
        ["POST /api/demands/{id}/progress"] = DemandWorkers,
        ["POST /api/demands/{id}/urge"] = DemandManagers,
        ["POST /api/demands/{id}/extension"] = DemandWorkers,
        ["POST /api/demands/{id}/extension/approve"] = DemandManagers,
        ["POST /api/demands/{id}/extension/reject"] = DemandManagers,
        ["POST /api/demands/{id}/due-date"] = DemandManagers,
        ["POST /api/demands/{id}/responsible"] = DemandManagers,
        ["POST /api/demands/{id}/resolve"] = DemandWorkers,
        ["POST /api/demands/{id}/confirm"] = ["staff"],
        ["POST /api/demands/{id}/return"] = DemandManagers,
        ["POST /api/demands/{id}/withdraw"] = ["staff"],
        ["POST /api/demands/{id}/review/accept"] = DemandManagers,
        ["POST /api/demands/{id}/review/return"] = DemandManagers,
        ["POST /api/attachments"] = DemandReaders,
        ["GET /api/attachments/{id}"] = DemandReaders,
        ["GET /api/experts"] = BranchReaders,
        ["POST /api/experts"] = OrgAdmins,
        ["PUT /api/experts/{id}"] = OrgAdmins,
        ["POST /api/visits"] = VisitRecorders,
        ["GET /api/visits"] = VisitReaders,
        ["GET /api/visits/{id}"] = VisitReaders,
        ["GET /api/visits/due"] = VisitRecorders,
        ["POST /api/meetings"] = ["secretary"],
        ["GET /api/meetings"] = MeetingReaders,
        ["GET /api/meetings/{id}"] = MeetingReaders,
        ["POST /api/meetings/{id}/decisions"] = ["secretary"],
        ["GET /api/meetings/{id}/minutes"] = MeetingReaders,
        ["GET /api/stats/overview"] = StatsReaders,
        ["GET /api/stats/monthly-report"] = StatsReaders,
        ["GET /api/stats/charts/{kind}"] = StatsReaders,
        ["GET /api/stats/branches"] = ["city_viewer", "city_admin"],
        ["POST /api/reports"] = ["secretary", "city_admin"],
        ["GET /api/reports"] = StatsReaders,
        ["GET /api/reports/{id}"] = StatsReaders,
        ["GET /api/reports/{id}/files/{format}"] = StatsReaders,
        ["PUT /api/demands/{id}/typical-case"] = ["secretary", "city_admin"],
        ["DELETE /api/demands/{id}/typical-case"] = ["secretary", "city_admin"],
        ["GET /api/audit-events"] = OrgAdmins,
        ["GET /api/me/data"] = [AnyUser],
        ["POST /api/users/{id}/deactivate"] = OrgAdmins,
        ["GET /api/policies"] = [Anonymous],
        ["GET /api/policies/{id}"] = [Anonymous],
        ["GET /api/policies/{id}/attachments/{attachmentId}"] = [Anonymous],
        ["GET /api/scan/{scene}"] = [Anonymous],
        ["POST /api/policies"] = OrgAdmins,
        ["PUT /api/policies/{id}"] = OrgAdmins,
        ["POST /api/policies/{id}/publish"] = OrgAdmins,
        ["POST /api/policies/{id}/unpublish"] = OrgAdmins,
        ["GET /api/policies/manage"] = OrgAdmins,
        ["GET /api/policies/{id}/manage"] = OrgAdmins,
        ["GET /api/policies/{id}/revisions"] = OrgAdmins,
        ["POST /api/policies/{id}/attachments"] = OrgAdmins,
        ["DELETE /api/policies/{id}/attachments/{attachmentId}"] = OrgAdmins,
        ["GET /api/policies/stats"] = OrgAdmins,
        ["GET /api/policies/{id}/qrcode"] = OrgAdmins,
        ["POST /api/enterprises/{id}/materials"] = MaterialSenders,
        ["GET /api/enterprises/{id}/materials"] = [.. MaterialSenders, "secretary"],
        ["GET /api/materials"] = ["staff"],
        ["GET /api/materials/{id}"] = ["staff"],
        ["POST /api/materials/{id}/read"] = ["staff"],
        ["GET /api/audit-events"] = OrgAdmins,
        ["GET /api/me/data"] = [AnyUser],
        ["POST /api/users/{id}/deactivate"] = OrgAdmins,
        ["POST /api/console-login"] = [Anonymous],
        ["GET /api/console-login/{ticket}"] = [Anonymous],
        ["GET /api/console-login/{ticket}/qrcode"] = [Anonymous],
        ["POST /api/console-login/{ticket}/session"] = [Anonymous],
        ["POST /api/console-login/{ticket}/confirm"] = BranchReaders, // desk roles; staff get console_login.role_not_allowed
        ["GET /api/console/session"] = [AnyUser],
        ["POST /api/console/logout"] = [AnyUser],
        ["GET /api/supervision/fields"] = DemandManagers,
        ["POST /api/supervision/batches"] = DemandManagers,
        ["GET /api/supervision/batches"] = DemandManagers,
        ["GET /api/supervision/batches/{id}"] = DemandManagers,
        ["PUT /api/supervision/batches/{id}/mapping"] = DemandManagers,
        ["POST /api/supervision/batches/{id}/apply"] = DemandManagers,
        ["GET /api/supervision/batches/{id}/export"] = DemandManagers,
        ["POST /api/supervision/items/{id}/close-out"] = DemandManagers,
        ["GET /api/demands/{id}/whistle"] = DemandReaders,
        ["POST /api/demands/{id}/report-in"] = DemandWorkers,
        ["GET /api/credit-repair/rules"] = DemandReaders,
        ["GET /api/demands/{id}/credit-repair"] = DemandReaders,
        ["PUT /api/demands/{id}/credit-repair"] = DemandWorkers,
        ["POST /api/demands/{id}/credit-repair/checklist"] = DemandWorkers,
        ["GET /api/leniency/items"] = DemandWorkers,
        ["POST /api/leniency/checks"] = DemandWorkers,
        ["GET /api/leniency/checks"] = DemandWorkers,
        ["GET /api/leniency/checks/{id}"] = DemandWorkers,
        ["POST /api/leniency/checks/{id}/follow-up"] = DemandWorkers,
    };

    private static List<(string Key, string Method, string Path, bool Anonymous)> ApiEndpoints(EcoAidApp app) =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(method =>
            {
                var path = "/" + e.RoutePattern.RawText!.Trim('/').Replace("{id:long}", "{id}", StringComparison.Ordinal)
                    .Replace("{attachmentId:long}", "{attachmentId}", StringComparison.Ordinal).Replace("{contactId:long}", "{contactId}", StringComparison.Ordinal);
                return ($"{method} {path}", method, path, e.Metadata.GetMetadata<IAllowAnonymous>() is not null);
            }))
            .ToList();

    [Fact]
    public async Task EveryApiEndpointHasAnEntryAndAnExplicitPolicy()
    {
        await using var app = new EcoAidApp(fixture);
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api", StringComparison.Ordinal)).ToList();

        foreach (var endpoint in endpoints)
        {
            var hasPolicy = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is not null)
                || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            Assert.True(hasPolicy, $"{endpoint.DisplayName} ({endpoint.RoutePattern.RawText}) names no authorization policy.");
        }
        var keys = ApiEndpoints(app).Select(e => e.Key).ToHashSet();
        Assert.Empty(keys.Except(Expected.Keys));
        Assert.Empty(Expected.Keys.Except(keys));
    }

    [Fact]
    public async Task EachRoleGetsExactlyWhatTheTableSays()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var clients = new Dictionary<string, HttpClient>();
        foreach (var role in AllRoles)
        {
            clients[role] = await world.UserAsync(role, cityId, branchId);
        }
        var failures = new List<string>();

        foreach (var (key, method, path, anonymous) in ApiEndpoints(app))
        {
            var allowed = Expected[key];
            var url = path.Replace("{id}", "987654321", StringComparison.Ordinal).Replace("{attachmentId}", "987654322", StringComparison.Ordinal)
                .Replace("{contactId}", "987654323", StringComparison.Ordinal);

            var unauthenticated = await SendAsync(app.CreateClient(), method, url);
            if (!anonymous && unauthenticated != HttpStatusCode.Unauthorized)
            {
                failures.Add($"{key} without a token: {(int)unauthenticated}, expected 401");
            }
            if (anonymous != allowed.Contains(Anonymous))
            {
                failures.Add($"{key}: anonymous access differs from the table");
            }
            if (anonymous)
            {
                continue;
            }

            foreach (var role in AllRoles)
            {
                // Logging out revokes the token, so it gets a user of its own.
                var client = key == "POST /api/auth/logout" ? await world.UserAsync(role, cityId, branchId) : clients[role];
                var status = await SendAsync(client, method, url);
                var mayUse = allowed.Contains(AnyUser) || allowed.Contains(role);
                if (mayUse && status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized or HttpStatusCode.InternalServerError)
                {
                    failures.Add($"{key} as {role}: {(int)status}, expected to be let in");
                }
                if (!mayUse && status != HttpStatusCode.Forbidden)
                {
                    failures.Add($"{key} as {role}: {(int)status}, expected 403");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = JsonContent.Create(new { });
        }
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task BranchAdminGets404OnAnotherBranchsRows()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityA, branchA) = await world.BranchAsync();
        var (_, branchB) = await world.BranchAsync();
        var enterpriseOfB = await world.EnterpriseAsync(branchB);
        var memberOfB = await world.MemberAsync(branchB);
        var departmentOfB = await world.DepartmentAsync(branchB);
        var adminOfA = await world.UserAsync("admin", cityA, branchA);

        await ProblemAssert.IsProblemAsync(await adminOfA.GetAsync($"/api/enterprises/{enterpriseOfB}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await adminOfA.GetAsync($"/api/members/{memberOfB}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await adminOfA.GetAsync($"/api/departments/{departmentOfB}", Ct), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await adminOfA.GetAsync($"/api/branches/{branchB}", Ct), HttpStatusCode.NotFound, "not_found");
        var update = await adminOfA.PutAsJsonAsync($"/api/enterprises/{enterpriseOfB}",
            new { name = "改名", creditCode = World.CreditCode() }, Ct);
        await ProblemAssert.IsProblemAsync(update, HttpStatusCode.NotFound, "not_found");

        var list = await adminOfA.GetFromJsonAsync<JsonElement>("/api/enterprises?pageSize=100", Ct);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), e => e.GetProperty("id").GetInt64() == enterpriseOfB);
    }

    [Fact]
    public async Task StaffReachOnlyTheirOwnEnterprise()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var (cityId, branchId) = await world.BranchAsync();
        var own = await world.EnterpriseAsync(branchId);
        var neighbour = await world.EnterpriseAsync(branchId);
        var staff = await world.UserAsync("staff", cityId, branchId, enterpriseId: own);

        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync($"/api/enterprises/{own}", Ct)).StatusCode);
        await ProblemAssert.IsProblemAsync(await staff.GetAsync($"/api/enterprises/{neighbour}", Ct), HttpStatusCode.NotFound, "not_found");
        var list = await staff.GetFromJsonAsync<JsonElement>("/api/enterprises", Ct);
        Assert.Equal([own], list.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToArray());
    }

    [Fact]
    public async Task CityViewerReadsEveryBranchOfTheirCityOnly()
    {
        await using var app = new EcoAidApp(fixture);
        var world = new World(app);
        var city = World.Unique("市");
        var (cityId, branch1) = await world.BranchAsync(city);
        var (_, branch2) = await world.BranchAsync(city);
        var (_, elsewhere) = await world.BranchAsync();
        var e1 = await world.EnterpriseAsync(branch1);
        var e2 = await world.EnterpriseAsync(branch2);
        var e3 = await world.EnterpriseAsync(elsewhere);
        var viewer = await world.UserAsync("city_viewer", cityId, branch1);

        var ids = (await viewer.GetFromJsonAsync<JsonElement>("/api/enterprises?pageSize=100", Ct))
            .GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToList();

        Assert.Contains(e1, ids);
        Assert.Contains(e2, ids);
        Assert.DoesNotContain(e3, ids);
        var branches = await viewer.GetFromJsonAsync<JsonElement>("/api/branches", Ct);
        Assert.Equal(2, branches.GetProperty("total").GetInt64());
    }
}
