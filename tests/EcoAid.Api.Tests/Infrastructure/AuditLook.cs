using System.Net;
using System.Text.Json;
using Dapper;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>A branch's audit trail as its administrator reads it, through <c>GET /api/audit-events</c>.</summary>
public static class AuditLook
{
    public static async Task<List<JsonElement>> OfBranchAsync(EcoAidApp app, long branchId, string kind)
    {
        long cityId;
        await using (var db = await app.OpenDatabaseAsync())
        {
            cityId = await db.ExecuteScalarAsync<long>("SELECT city_id FROM party_branches WHERE id = @branchId", new { branchId });
        }
        var admin = await new World(app).UserAsync("admin", cityId, branchId);
        var page = await HttpExpect.JsonAsync(HttpStatusCode.OK,
            await admin.GetAsync($"/api/audit-events?pageSize=100&kind={kind}", TestContext.Current.CancellationToken));
        return [.. page.GetProperty("items").EnumerateArray()];
    }

    public static long? SubjectId(this JsonElement e) =>
        e.GetProperty("subjectId").ValueKind == JsonValueKind.Number ? e.GetProperty("subjectId").GetInt64() : null;
}
