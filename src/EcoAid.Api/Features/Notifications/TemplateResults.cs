using System.Data.Common;
using Dapper;

namespace EcoAid.Api.Features.Notifications;

/// <summary>Applies WeChat's TEMPLATESENDJOBFINISH report to the outbox row that sent that msgid.</summary>
public static class TemplateResults
{
    /// <summary>
    /// <c>success</c> makes the row <c>delivered</c>; <c>failed:user block</c> and <c>failed: system failed</c> make it
    /// <c>failed</c> with WeChat's words as the reason. A report that arrives before the dispatcher recorded the msgid
    /// is picked up by the dispatcher from <c>wechat_template_results</c>.
    /// </summary>
    public static Task<int> ApplyAsync(DbConnection connection, DbTransaction tx, long msgId, string status, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            UPDATE notification_outbox SET wechat_status = @status,
                status = CASE WHEN @status = 'success' THEN 'delivered' WHEN @status LIKE 'failed%' THEN 'failed' ELSE status END,
                last_error = CASE WHEN @status LIKE 'failed%' THEN CONCAT('official_account TEMPLATESENDJOBFINISH: ', @status) ELSE last_error END
            WHERE wechat_msg_id = @msgId AND channel = 'official_account' AND status IN ('sent', 'delivered', 'failed')
            """, new { msgId, status }, tx, cancellationToken: ct));
}
