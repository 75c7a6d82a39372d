using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EcoAid.Wechat.Sandbox;

/// <summary>
/// What a developer uses in the dev run: the QR image of a ticket, a "scan" as a given openid, and a page listing every
/// message the sandbox delivered and every QR code it issued.
/// </summary>
public static partial class SandboxEndpoints
{
    // Pushes go to this service's own callback over loopback, as WeChat's servers would call it.
    private static readonly HttpClient PushHttp = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static void MapConsole(RouteGroupBuilder group, WechatSandbox sandbox)
    {
        group.MapGet("/cgi-bin/showqrcode", (string? ticket) =>
            ticket is not null && sandbox.QrImage(ticket) is { } png ? Results.File(png, "image/png") : Results.NotFound());

        group.MapGet("/_sandbox/qrcodes", () => Results.Json(sandbox.QrCodes));

        group.MapPost("/_sandbox/scan", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var ticket = body.RootElement.TryGetProperty("ticket", out var t) ? t.GetString() : null;
            var openId = body.RootElement.TryGetProperty("openid", out var o) ? o.GetString() : null;
            var mode = body.RootElement.TryGetProperty("mode", out var m) && Enum.TryParse<PushMode>(m.GetString(), true, out var parsed) ? parsed : PushMode.Safe;
            if (string.IsNullOrEmpty(ticket) || string.IsNullOrEmpty(openId))
            {
                return Results.BadRequest(new { error = "ticket and openid are required" });
            }
            var result = await sandbox.ScanAsync(PushHttp, ticket, openId, mode, request.HttpContext.RequestAborted);
            return Results.Ok(result);
        });

        group.MapPost("/_sandbox/scan-form", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var mode = Enum.TryParse<PushMode>(form["mode"], true, out var parsed) ? parsed : PushMode.Safe;
            await sandbox.ScanAsync(PushHttp, form["ticket"].ToString(), form["openid"].ToString(), mode, request.HttpContext.RequestAborted);
            return Results.Redirect(request.PathBase + request.Path.ToString().Replace("/_sandbox/scan-form", "/", StringComparison.Ordinal));
        }).DisableAntiforgery();

        group.MapGet("/", () => Results.Content(Page(sandbox), "text/html; charset=utf-8"));
    }

    private static string Page(WechatSandbox sandbox)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var html = new StringBuilder("""
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>WeChat sandbox</title>
            <style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}code{font-size:12px}</style>
            </head><body><h1>WeChat sandbox</h1><p>Everything the sandbox delivered, newest first, and the Official Account QR codes it issued. Reload to refresh.</p>
            <h2>Delivered messages</h2><table><tr><th>time (UTC)</th><th>channel</th><th>to</th><th>template</th><th>page / url</th><th>data</th></tr>
            """);
        foreach (var d in sandbox.Deliveries.Reverse())
        {
            html.Append("<tr><td>").Append(E(d.SentAt.ToString("yyyy-MM-dd HH:mm:ss"))).Append("</td><td>").Append(E(d.Channel.ToString()))
                .Append("</td><td><code>").Append(E(d.ToUser)).Append("</code></td><td><code>").Append(E(d.TemplateId)).Append("</code></td><td>")
                .Append(E(d.Page ?? d.Url)).Append("</td><td>").Append(string.Join("<br>", d.Data.Select(kv => $"{E(kv.Key)}: {E(kv.Value)}"))).Append("</td></tr>");
        }
        html.Append("</table><h2>Official Account QR codes</h2><table><tr><th>scene</th><th>expires (UTC)</th><th>image</th><th>scan as</th></tr>");
        foreach (var q in sandbox.QrCodes.Reverse())
        {
            html.Append("<tr><td><code>").Append(E(q.Scene)).Append("</code></td><td>").Append(E(q.ExpiresAt?.ToString("yyyy-MM-dd HH:mm:ss")))
                .Append("</td><td><a href=\"cgi-bin/showqrcode?ticket=").Append(Uri.EscapeDataString(q.Ticket)).Append("\">QR</a></td><td>")
                .Append("<form method=\"post\" action=\"_sandbox/scan-form\"><input type=\"hidden\" name=\"ticket\" value=\"").Append(E(q.Ticket))
                .Append("\"><input name=\"openid\" placeholder=\"公众号 openid\" value=\"oa-demo-user\"> <select name=\"mode\"><option>Safe</option><option>Compatible</option><option>Plain</option></select> <button>扫码</button></form></td></tr>");
        }
        return html.Append("</table></body></html>").ToString();
    }
}
