using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Notifications;

/// <summary>
/// The in-app inbox: every notification addressed to the user, or to the member the user is, whatever WeChat did with
/// it. Another user's entry answers 404, as if it did not exist.
/// </summary>
public static class InboxApi
{
    public static IEndpointRouteBuilder MapInbox(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/me/notifications").WithTags("Notifications").RequireAuthorization(Policies.User);
        group.MapGet("/", ListNotifications).WithName(nameof(ListNotifications)).WithSummary("站内消息")
            .WithDescription("当前用户的站内消息，最新的在前，带已读标记；unread=true 只列未读。unread 字段为未读总数，可用于角标。"
                + "无论微信是否送达，每条通知都会出现在这里。");
        group.MapPost("/{id:long}/read", MarkNotificationRead).WithName(nameof(MarkNotificationRead)).WithSummary("标记已读")
            .WithDescription("把一条站内消息标记为已读（重复调用保留第一次的已读时间）。不是自己的消息返回 404。");
        group.MapPost("/read-all", MarkAllNotificationsRead).WithName(nameof(MarkAllNotificationsRead)).WithSummary("全部标记已读")
            .WithDescription("把当前用户所有未读的站内消息标记为已读，返回标记的条数。");
        return routes;
    }

    public sealed record InboxItem(long Id, string Kind, string Title, string Summary, string? Page, long? DemandId, bool Read,
        DateTimeOffset? ReadAt, DateTimeOffset CreatedAt);

    public sealed record InboxPage(IReadOnlyList<InboxItem> Items, long Total, int Page, int PageSize, long Unread);

    public sealed record MarkedRead(int Marked);

    // The user's own entries, and those addressed to the member they are.
    private const string Mine = "((recipient_type = 'user' AND recipient_id = @userId) OR (recipient_type = 'member' AND recipient_id = @memberId))";

    static async Task<Results<Ok<InboxPage>, ValidationProblem>> ListNotifications(CurrentUser user, MySqlDataSource db, int? page, int? pageSize,
        bool? unread, CancellationToken ct)
    {
        if (!Paging.TryCreate(page, pageSize, out var paging, out var errors))
        {
            return Problems.Validation(errors);
        }
        var filter = unread == true ? $"{Mine} AND read_at IS NULL" : Mine;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT id, kind, title, summary, page, demand_id, read_at, created_at FROM notification_inbox
            WHERE {filter} ORDER BY created_at DESC, id DESC LIMIT @PageSize OFFSET @Offset;
            SELECT COUNT(*) FROM notification_inbox WHERE {filter};
            SELECT COUNT(*) FROM notification_inbox WHERE {Mine} AND read_at IS NULL;
            """, new { userId = user.Id, memberId = user.MemberId ?? -1, paging.PageSize, paging.Offset }, cancellationToken: ct));
        var items = (await results.ReadAsync<InboxRow>()).Select(r => r.ToItem()).ToList();
        var total = await results.ReadSingleAsync<long>();
        var unreadCount = await results.ReadSingleAsync<long>();
        return TypedResults.Ok(new InboxPage(items, total, paging.Page, paging.PageSize, unreadCount));
    }

    static async Task<Results<Ok<InboxItem>, ProblemHttpResult>> MarkNotificationRead(long id, CurrentUser user, MySqlDataSource db, TimeProvider clock,
        CancellationToken ct)
    {
        var parameters = new { id, userId = user.Id, memberId = user.MemberId ?? -1, now = clock.GetUtcNow().UtcDateTime };
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<InboxRow>(new CommandDefinition($"""
            UPDATE notification_inbox SET read_at = COALESCE(read_at, @now) WHERE id = @id AND {Mine};
            SELECT id, kind, title, summary, page, demand_id, read_at, created_at FROM notification_inbox WHERE id = @id AND {Mine};
            """, parameters, cancellationToken: ct));
        return row is null ? Problems.NotFound() : TypedResults.Ok(row.ToItem());
    }

    static async Task<Ok<MarkedRead>> MarkAllNotificationsRead(CurrentUser user, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var marked = await connection.ExecuteAsync(new CommandDefinition($"UPDATE notification_inbox SET read_at = @now WHERE {Mine} AND read_at IS NULL",
            new { userId = user.Id, memberId = user.MemberId ?? -1, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.Ok(new MarkedRead(marked));
    }

    private sealed class InboxRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string Title { get; init; } = "";
        public string Summary { get; init; } = "";
        public string? Page { get; init; }
        public long? DemandId { get; init; }
        public DateTime? ReadAt { get; init; }
        public DateTime CreatedAt { get; init; }

        public InboxItem ToItem() => new(Id, Kind, Title, Summary, Page, DemandId, ReadAt is not null,
            ReadAt is { } read ? new DateTimeOffset(DateTime.SpecifyKind(read, DateTimeKind.Utc)) : null,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
    }
}
