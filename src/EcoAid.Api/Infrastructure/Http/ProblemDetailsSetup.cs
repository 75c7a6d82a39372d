using System.Text.Json;
using System.Text.Json.Serialization;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Wechat;
using Microsoft.AspNetCore.Diagnostics;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;

namespace EcoAid.Api.Infrastructure.Http;

public static class ProblemDetailsSetup
{
    public static WebApplicationBuilder AddEcoAidHttp(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(o =>
        {
            // A field the API does not know is a mistake on the caller's side, never silently ignored.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        });
        // Bad bodies throw BadHttpRequestException in every environment, so the handler below answers with a problem.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            var (code, title, detail) = Problems.ForStatus(status);
            problem.Extensions.TryAdd("code", code);
            // Framework defaults are English; the mini-program shows title/detail to users, so they must be Chinese.
            if (IsMissingOrEnglish(problem.Title))
            {
                problem.Title = title;
            }
            if (IsMissingOrEnglish(problem.Detail))
            {
                problem.Detail = detail;
            }
        });
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.AddWorker<IdempotencyKeyPurge>();
        return builder;
    }

    private static bool IsMissingOrEnglish(string? text) => text is null || text.All(char.IsAscii);
}

/// <summary>Turns exceptions into problems: a bad body is the caller's 400, WeChat being down a 503, anything else a 500 without a stack trace.</summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        var (status, code, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, "request.too_large", "内容过大", "提交的内容超过了大小限制。"),
            BadHttpRequestException { InnerException: JsonException json } => (400, "request.invalid_body", "请求格式错误", DescribeJson(json)),
            BadHttpRequestException bad => (bad.StatusCode, "request.invalid", "请求无效", "请求格式不正确，请检查参数。"),
            WechatUnavailableException => (503, "wechat.unavailable", "微信服务暂不可用", "暂时无法连接微信服务，请稍后重试。"),
            _ when DatabaseAway.Is(exception) => (503, "service.unavailable", "服务暂不可用", "服务暂时不可用，请稍后再试。"),
            _ => (500, "internal_error", "服务器错误", "服务器出了点问题，请稍后再试。"),
        };
        if (status == 503 && code == "service.unavailable")
        {
            // Expected while the database is away: one line without a stack trace, and the client told when to come back.
            Log.DatabaseAway(logger, http.Request.Method, http.Request.Path, exception.GetBaseException().Message);
            Hardening.SetRetryAfter(http, DatabaseAway.RetryAfter);
        }
        else if (status >= 500)
        {
            Log.Unhandled(logger, exception, http.Request.Method, http.Request.Path);
        }
        http.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Extensions = { ["code"] = code } },
        });
    }

    private static string DescribeJson(JsonException json)
    {
        var path = json.Path is { Length: > 2 } p ? p.TrimStart('$', '.') : null;
        if (json.Message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var name = json.Message.Split('\'') is { Length: >= 3 } parts ? parts[1] : path;
            return $"请求中包含无法识别的字段：{name}。";
        }
        return path is null ? "请求体不是有效的 JSON。" : $"字段 {path} 的格式不正确。";
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
        public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);

        [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Database unavailable on {Method} {Path}: {Reason}")]
        public static partial void DatabaseAway(ILogger logger, string method, string path, string reason);
    }
}
