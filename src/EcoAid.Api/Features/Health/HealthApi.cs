using EcoAid.Api.Infrastructure.Database;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EcoAid.Api.Features.Health;

public static class HealthApi
{
    internal static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("").WithTags("Health").AllowAnonymous();
        group.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok", null))).WithName("Liveness").WithSummary("存活检查");
        group.MapGet("/readyz", Readiness).WithName(nameof(Readiness)).WithSummary("就绪检查：数据库可达且迁移已全部执行");
        return routes;
    }

    public sealed record HealthResponse(string Status, string? Detail);

    static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> Readiness(MigrationRunner migrations, CancellationToken ct)
    {
        try
        {
            var pending = await migrations.PendingAsync(Migration.Embedded(), ct);
            return pending.Count == 0
                ? TypedResults.Ok(new HealthResponse("ready", null))
                : TypedResults.Json(new HealthResponse("migrations_pending", string.Join(", ", pending)), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (MySqlConnector.MySqlException)
        {
            return TypedResults.Json(new HealthResponse("database_unreachable", null), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}
