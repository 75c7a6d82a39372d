using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EcoAid.Wechat.Sandbox;

/// <summary>Maps the fake WeChat API, and the sandbox's own control endpoints under <c>_sandbox/</c>.</summary>
public static partial class SandboxEndpoints
{
    /// <summary>Mounts the sandbox at <paramref name="prefix"/>; the WeChat client's base URL is then that prefix.</summary>
    public static IEndpointRouteBuilder MapWechatSandbox(this IEndpointRouteBuilder routes, WechatSandbox sandbox, string prefix = "/wechat-sandbox")
    {
        // Anonymous like the real API: WeChat authenticates by appid/secret and access_token, not by our sessions.
        var group = routes.MapGroup(prefix).ExcludeFromDescription().AllowAnonymous();

        var jsonAlternation = 0;
        group.MapGet("/sns/jscode2session", (HttpRequest request) => Handle(sandbox, "sns/jscode2session", request.HttpContext, () =>
        {
            var q = request.Query;
            return sandbox.JsCode2Session(q["appid"], q["secret"], q["js_code"], q["grant_type"]);
        }, // WeChat has been seen answering this endpoint as text/plain; alternate so clients cannot rely on the header.
        Interlocked.Increment(ref jsonAlternation) % 2 == 0 ? "text/plain" : null));
        
        group.MapPost("/cgi-bin/stable_token", (HttpRequest request) => Handle(sandbox, "cgi-bin/stable_token", request.HttpContext, async () =>
        {
            var body = await ReadJsonAsync(request.HttpContext);
            if (body is null) return SandboxAnswer.Error(47001, "data format error");
            return sandbox.StableToken(Str(body.Value, "grant_type"), Str(body.Value, "appid"), Str(body.Value, "secret"),
                body.Value.TryGetProperty("force_refresh", out var f) && f.ValueKind == JsonValueKind.True);
        }));

        MapBusinessApis(group, sandbox);
        MapConsole(group, sandbox);
        MapState(group, sandbox);

        // Control endpoints: what the mini-program's wx.login would return, and how often each API was called.
        group.MapPost("/_sandbox/wx-login", async (HttpContext http) =>
        {
            var body = await ReadJsonAsync(http);
            var appId = body is null ? null : Str(body.Value, "appid");
            var openId = body is null ? null : Str(body.Value, "openid");
            if (string.IsNullOrEmpty(appId) || string.IsNullOrEmpty(openId))
            {
                return Results.BadRequest(new { error = "appid and openid are required" });
            }
            try
            {
                return Results.Ok(new { code = sandbox.IssueLoginCode(appId, openId) });
            }
            catch (InvalidOperationException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });

        // What the mini-program's wx.requestSubscribeMessage would grant: one send per accepted template.
        group.MapPost("/_sandbox/subscribe", async (HttpContext http) =>
        {
            var body = await ReadJsonAsync(http);
            var openId = body is null ? null : Str(body.Value, "openid");
            var templateIds = body is { } b && b.TryGetProperty("templateIds", out var ids) && ids.ValueKind == JsonValueKind.Array
                ? ids.EnumerateArray().Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!).ToList()
                : null;
            if (string.IsNullOrEmpty(openId) || templateIds is not { Count: > 0 })
            {
                return Results.BadRequest(new { error = "openid and templateIds are required" });
            }
            foreach (var templateId in templateIds)
            {
                sandbox.GrantSubscription(openId, templateId);
            }
            return Results.Ok(new { accepted = templateIds, left = templateIds.Distinct().ToDictionary(t => t, t => sandbox.SubscriptionsLeft(openId, t)) });
        });

        // Every message the fake WeChat accepted, newest first: what the users would have seen.
        group.MapGet("/_sandbox/deliveries", (int? take) => Results.Ok(sandbox.Deliveries.Reverse().Take(Math.Clamp(take ?? 50, 1, 1000))
            .Select(d => new
            {
                channel = d.Channel == SandboxChannel.TemplateMessage ? "template_message" : "subscribe_message",
                toUser = d.ToUser, templateId = d.TemplateId, page = d.Page, data = d.Data, msgId = d.MsgId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                clientMsgId = d.ClientMsgId, sentAt = d.SentAt,
            })));

        return routes;
    }

    private static Task<IResult> Handle(WechatSandbox sandbox, string endpoint, HttpContext http, Func<SandboxAnswer> handler, string? contentType = null) =>
        Handle(sandbox, endpoint, http, () => Task.FromResult(handler()), contentType);

    private static async Task<IResult> Handle(WechatSandbox sandbox, string endpoint, HttpContext http, Func<Task<SandboxAnswer>> handler, string? contentType = null)
    {
        sandbox.CountCall(endpoint);
        if (sandbox.TakeFault(endpoint) is { } fault)
        {
            if (fault.Delay is { } delay)
            {
                await Task.Delay(delay, http.RequestAborted); // real time: a slow answer is about wall-clock time-outs
            }
            if (fault.HttpStatus is { } status)
            {
                return Results.StatusCode(status);
            }
            if (fault.ErrCode is { } errCode)
            {
                return Write(SandboxAnswer.Error(errCode, errCode == -1 ? "system error" : "injected fault"), null);
            }
        }
        return Write(await handler(), contentType);
    }

    private static IResult Write(SandboxAnswer answer, string? contentType) =>
        Results.Text(JsonSerializer.Serialize(answer.Body), contentType ?? "application/json; encoding=utf-8");

    private static async Task<JsonElement?> ReadJsonAsync(HttpContext http)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Str(JsonElement body, string name) =>
        body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
