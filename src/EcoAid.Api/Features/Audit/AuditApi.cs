using EcoAid.Api.Infrastructure;
using EcoAid.Api.Features.Organisation;
using EcoAid.Api.Infrastructure.Hosting;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using MySqlConnector;

namespace EcoAid.Api.Features.Audit;

public sealed class AuditOptions
{
    /// <summary>Events older than this are deleted by the purge (at least 180 days: the Cybersecurity Law's six months).</summary>
    public int RetentionDays { get; set; } = 365;
}

/// <summary>The audit trail read by administrators: a branch administrator sees their branch, a city administrator their city.</summary>
public static class AuditApi
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditOptions>().BindConfiguration("Audit")
            .Validate(o => o.RetentionDays >= 180, "Audit:RetentionDays 至少 180 天。").ValidateOnStart();
        builder.Services.AddSingleton<AuditPurge>();
        if (builder.RunsWorkers())
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditPurge>());
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/audit-events", ListEvents).Produces<PagedList<AuditEventView>>(200).WithTags("Audit").RequireAuthorization(Policies.OrgAdmin).WithName(nameof(ListEvents))
            .WithSummary("安全审计记录（管理员）")
            .WithDescription("支部管理员看本支部，市级管理员看本市各支部及市级记录。可按 kind、actorUserId、from、to（yyyy-MM-dd，北京时间）筛选，按时间倒序分页。");
        return routes;
    }

    public sealed record AuditEventView(long Id, DateTimeOffset OccurredAt, string Kind, long? ActorUserId, string? ActorName, long? BranchId,
        string? SubjectType, long? SubjectId, string? Method, string? Path, int? Status, JsonElement? Detail);

    private sealed class Row
    {
        public long Id { get; init; }
        public DateTimeOffset OccurredAt { get; init; }
        public string Kind { get; init; } = "";
        public long? ActorUserId { get; init; }
        public string? ActorName { get; init; }
        public long? BranchId { get; init; }
        public string? SubjectType { get; init; }
        public long? SubjectId { get; init; }
        public string? Method { get; init; }
        public string? Path { get; init; }
        public int? Status { get; init; }
        public string? Detail { get; init; }
    }

    static async Task<IResult> ListEvents(CurrentUser user, MySqlDataSource db, TimeProvider clock, string? kind, long? actorUserId,
        DateOnly? from, DateOnly? to, int? page, int? pageSize, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var filters = new List<string>();
        var p = new DynamicParameters();
        // Reach: the branches the user reaches, and for city administrators the city's own events.
        var cityWide = user.Roles.Contains(Roles.CityAdmin) && user.CityId is not null;
        filters.Add(cityWide ? "(a.branch_id IN @branchIds OR a.city_id = @cityId)" : "a.branch_id IN @branchIds");
        p.Add("branchIds", user.BranchIds.Count > 0 ? user.BranchIds : [-1L]);
        p.Add("cityId", user.CityId);
        if (kind is not null) { filters.Add("a.kind = @kind"); p.Add("kind", kind); }
        if (actorUserId is not null) { filters.Add("a.actor_user_id = @actorUserId"); p.Add("actorUserId", actorUserId); }
        var shanghai = TimeSpan.FromHours(8);
        if (from is { } f) { filters.Add("a.occurred_at >= @from"); p.Add("from", new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), shanghai).UtcDateTime); }
        if (to is { } t) { filters.Add("a.occurred_at < @to"); p.Add("to", new DateTimeOffset(t.AddDays(1).ToDateTime(TimeOnly.MinValue), shanghai).UtcDateTime); }
        p.Add("limit", paging.PageSize);
        p.Add("offset", paging.Offset);
        var where = string.Join(" AND ", filters);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT a.id, a.occurred_at, a.kind, a.actor_user_id, {PersonNames.Name} AS actor_name, a.branch_id, a.subject_type, a.subject_id,
                   a.method, a.path, a.status, a.detail
            FROM audit_events a LEFT JOIN users u ON u.id = a.actor_user_id
            WHERE {where} ORDER BY a.occurred_at DESC, a.id DESC LIMIT @limit OFFSET @offset;
            SELECT COUNT(*) FROM audit_events a WHERE {where};
            """, p, cancellationToken: ct));
        var items = (await results.ReadAsync<Row>()).Select(r => new AuditEventView(r.Id, r.OccurredAt, r.Kind, r.ActorUserId, r.ActorName, r.BranchId,
            r.SubjectType, r.SubjectId, r.Method, r.Path, r.Status, r.Detail is null ? null : JsonDocument.Parse(r.Detail).RootElement.Clone())).ToList();
        return TypedResults.Ok(new PagedList<AuditEventView>(items, await results.ReadSingleAsync<long>(), paging.Page, paging.PageSize));
    }
}

/// <summary>Deletes audit events older than Audit:RetentionDays, in bounded batches, once an hour.</summary>
public sealed partial class AuditPurge(MySqlDataSource db, TimeProvider clock, Microsoft.Extensions.Options.IOptions<AuditOptions> options,
    ILogger<AuditPurge> logger) : RepeatingWorker
{
    // Hourly on the system clock, a first round at start-up (as before the base class; tests call PurgeAsync).
    protected override TimeSpan Interval => TimeSpan.FromHours(1);

    protected override bool RunsAtStart => true;

    protected override Task RunRoundAsync(CancellationToken ct) => PurgeAsync(ct);

    protected override void RoundFailed(Exception exception) => Log.Failed(logger, exception.GetBaseException().Message);

    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        var cutoff = (clock.GetUtcNow() - TimeSpan.FromDays(options.Value.RetentionDays)).UtcDateTime;
        var total = 0;
        await using var connection = await db.OpenConnectionAsync(ct);
        for (var round = 0; round < 100; round++)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM audit_events WHERE occurred_at < @cutoff ORDER BY occurred_at LIMIT 1000", new { cutoff }, cancellationToken: ct));
            total += deleted;
            if (deleted < 1000)
            {
                break;
            }
        }
        return total;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1120, Level = LogLevel.Warning, Message = "Purging old audit events failed: {Reason}")]
        public static partial void Failed(ILogger logger, string reason);
    }
}

/// <summary>
/// Records every refused request (401 with a token presented, 403) with user, method, path and status, and logs a line
/// naming the user id and path. Runs after the answer went out; a failure to record is logged, never answered.
/// </summary>
public static partial class RefusalAudit
{
    public static WebApplication UseRefusalAudit(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnCompleted(async () =>
            {
                var status = http.Response.StatusCode;
                if (status != StatusCodes.Status403Forbidden && !(status == StatusCodes.Status401Unauthorized && http.Request.Headers.Authorization.Count > 0))
                {
                    return;
                }
                if (http.Request.Path.StartsWithSegments("/wechat/callback"))
                {
                    return; // a bad callback signature is logged by the callback itself
                }
                var user = http.Items[CurrentUser.ItemKey] as CurrentUser;
                var services = http.RequestServices;
                var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RefusalAudit));
                Log.Refused(logger, status, http.Request.Method, http.Request.Path.Value ?? "", user?.Id);
                try
                {
                    var clock = services.GetRequiredService<TimeProvider>();
                    await AuditTrail.RecordAsync(services.GetRequiredService<MySqlDataSource>(),
                        new AuditEvent(AuditKinds.AccessRefused, user?.Id, user?.BranchId, user?.CityId,
                            Method: http.Request.Method, Path: http.Request.Path.Value, Status: status), clock.GetUtcNow(), CancellationToken.None);
                }
                catch (Exception e) when (e is MySqlException or TimeoutException or InvalidOperationException)
                {
                    Log.NotRecorded(logger, e.GetBaseException().Message);
                }
            });
            return next(http);
        });
        return app;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1130, Level = LogLevel.Warning, Message = "Refused {Status} {Method} {Path} for user {UserId}")]
        public static partial void Refused(ILogger logger, int status, string method, string path, long? userId);

        [LoggerMessage(EventId = 1131, Level = LogLevel.Warning, Message = "A refusal could not be recorded in the audit trail: {Reason}")]
        public static partial void NotRecorded(ILogger logger, string reason);
    }
}
