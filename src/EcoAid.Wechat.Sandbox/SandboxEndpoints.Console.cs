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

        // The page's forms: what wx.login and wx.requestSubscribeMessage would do on a phone, and faults to see retries.
        group.MapPost("/_sandbox/login-form", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            string? code = null, error = null;
            try
            {
                code = sandbox.IssueLoginCode(form["appid"].ToString(), form["openid"].ToString());
            }
            catch (InvalidOperationException e)
            {
                error = e.Message;
            }
            return Results.Content(Page(sandbox, BaseOf(request), code is null ? $"未能发放登录 code：{error}" : $"{form["openid"]} 的登录 code（5 分钟内有效，只能用一次）：{code}"),
                "text/html; charset=utf-8");
        }).DisableAntiforgery();

        group.MapPost("/_sandbox/subscribe-form", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var openId = form["openid"].ToString();
            var templateId = form["templateId"].ToString();
            var count = int.TryParse(form["count"], out var n) ? Math.Clamp(n, 1, 100) : 1;
            if (openId.Length == 0 || templateId.Length == 0)
            {
                return Results.Content(Page(sandbox, BaseOf(request), "openid 和模板 ID 都必须填写。"), "text/html; charset=utf-8");
            }
            sandbox.GrantSubscription(openId, templateId, count);
            return Results.Content(Page(sandbox, BaseOf(request), $"{openId} 同意了模板 {templateId} {count} 次，现余 {sandbox.SubscriptionsLeft(openId, templateId)} 次。"),
                "text/html; charset=utf-8");
        }).DisableAntiforgery();

        group.MapPost("/_sandbox/fault-form", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            var endpoint = form["endpoint"].ToString().Trim('/');
            var times = int.TryParse(form["times"], out var t) ? Math.Clamp(t, 1, 100) : 1;
            var fault = form["kind"].ToString() switch
            {
                "http500" => new SandboxFault(HttpStatus: 500, Times: times),
                "slow" => new SandboxFault(Delay: TimeSpan.FromSeconds(10), Times: times),
                "clear" => null,
                var kind => new SandboxFault(ErrCode: int.TryParse(kind, out var errCode) ? errCode : -1, Times: times),
            };
            if (fault is null)
            {
                sandbox.ClearFaults();
                return Results.Content(Page(sandbox, BaseOf(request), "已清除全部故障。"), "text/html; charset=utf-8");
            }
            if (endpoint.Length == 0)
            {
                return Results.Content(Page(sandbox, BaseOf(request), "请填写接口路径，例如 cgi-bin/message/subscribe/send。"), "text/html; charset=utf-8");
            }
            sandbox.InjectFault(endpoint, fault);
            return Results.Content(Page(sandbox, BaseOf(request), $"接口 {endpoint} 的后 {times} 次调用将出错（{form["kind"]}）。"), "text/html; charset=utf-8");
        }).DisableAntiforgery();

        group.MapGet("/", (HttpRequest request) => Results.Content(Page(sandbox, BaseOf(request)), "text/html; charset=utf-8"));
    }

    // The page's links are relative to the sandbox's root, also when a form answers at /_sandbox/....
    private static string BaseOf(HttpRequest request)
    {
        var path = (request.PathBase + request.Path).ToString();
        var at = path.IndexOf("/_sandbox/", StringComparison.Ordinal);
        return at >= 0 ? path[..(at + 1)] : path.EndsWith('/') ? path : path + "/";
    }

    private static string Page(WechatSandbox sandbox, string baseHref, string? notice = null)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var html = new StringBuilder("""
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>微信沙箱</title><base href="{{BASE}}">
            <style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:2em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}code{font-size:12px}form.box{border:1px solid #ccc;padding:8px;margin-bottom:1em}.notice{background:#ffe;border:1px solid #cc8;padding:8px}</style>
            </head><body><h1>微信沙箱（开发环境）</h1><p>这里模拟微信服务器：下面列出沙箱发出的全部消息（最新的在前）和签发的公众号二维码。刷新页面可看到最新内容。</p>
            """);
        html.Replace("{{BASE}}", E(baseHref));
        if (notice is not null)
        {
            html.Append("<p class=\"notice\">").Append(E(notice)).Append("</p>");
        }
        html.Append("""
            <h2>模拟手机上的操作</h2>
            <form class="box" method="post" action="_sandbox/login-form"><b>wx.login 登录 code</b>：小程序 appid <input name="appid" value="wxsandbox00000001">
              用户 openid <input name="openid" value="demo-secretary"> <button>获取 code</button>（再用它调用 POST /api/auth/login）</form>
            <form class="box" method="post" action="_sandbox/subscribe-form"><b>订阅消息授权</b>（wx.requestSubscribeMessage 中点“允许”）：openid <input name="openid" value="demo-staff">
              模板 ID <input name="templateId" value="dev-sub-progress"> 次数 <input name="count" value="1" size="3"> <button>同意</button></form>
            <form class="box" method="post" action="_sandbox/fault-form"><b>故障注入</b>（观察服务的重试）：接口 <input name="endpoint" value="cgi-bin/message/subscribe/send" size="36">
              <select name="kind"><option value="-1">errcode -1 系统繁忙</option><option value="45009">errcode 45009 调用超限</option><option value="40001">errcode 40001 access_token 失效</option>
              <option value="http500">HTTP 500</option><option value="slow">10 秒后才回答</option><option value="clear">清除全部故障</option></select>
              次数 <input name="times" value="3" size="3"> <button>注入</button></form>
            <h2>已发出的消息</h2><table><tr><th>时间（UTC）</th><th>渠道</th><th>接收人</th><th>模板</th><th>页面 / 链接</th><th>内容</th></tr>
            """);
        foreach (var d in sandbox.Deliveries.Reverse())
        {
            html.Append("<tr><td>").Append(E(d.SentAt.ToString("yyyy-MM-dd HH:mm:ss"))).Append("</td><td>")
                .Append(d.Channel == SandboxChannel.TemplateMessage ? "公众号模板消息" : "订阅消息")
                .Append("</td><td><code>").Append(E(d.ToUser)).Append("</code></td><td><code>").Append(E(d.TemplateId)).Append("</code></td><td>")
                .Append(E(d.Page ?? d.Url)).Append("</td><td>").Append(string.Join("<br>", d.Data.Select(kv => $"{E(kv.Key)}: {E(kv.Value)}"))).Append("</td></tr>");
        }
        html.Append("</table><h2>公众号二维码</h2><table><tr><th>场景值</th><th>过期时间（UTC）</th><th>图片</th><th>以此身份扫码</th></tr>");
        foreach (var q in sandbox.QrCodes.Reverse())
        {
            html.Append("<tr><td><code>").Append(E(q.Scene)).Append("</code></td><td>").Append(E(q.ExpiresAt?.ToString("yyyy-MM-dd HH:mm:ss")))
                .Append("</td><td><a href=\"cgi-bin/showqrcode?ticket=").Append(Uri.EscapeDataString(q.Ticket)).Append("\">二维码</a></td><td>")
                .Append("<form method=\"post\" action=\"_sandbox/scan-form\"><input type=\"hidden\" name=\"ticket\" value=\"").Append(E(q.Ticket))
                .Append("\"><input name=\"openid\" placeholder=\"公众号 openid\" value=\"oa-demo-user\"> <select name=\"mode\"><option value=\"Safe\">安全模式</option><option value=\"Compatible\">兼容模式</option><option value=\"Plain\">明文模式</option></select> <button>扫码</button></form></td></tr>");
        }
        return html.Append("</table></body></html>").ToString();
    }
}
