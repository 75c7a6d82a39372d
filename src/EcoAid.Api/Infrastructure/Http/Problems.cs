using Microsoft.AspNetCore.Http.HttpResults;

namespace EcoAid.Api.Infrastructure.Http;

/// <summary>
/// Every error answer is RFC 9457 ProblemDetails with a Chinese title/detail fit to show to a user and a stable
/// machine <c>code</c>. The codes are listed in miniprogram-api-docs/errors.md.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null) =>
        TypedResults.Problem(detail: detail ?? title, statusCode: status, title: title,
            extensions: new Dictionary<string, object?> { ["code"] = code });

    public static ProblemHttpResult NotFound(string? detail = null) =>
        Create(StatusCodes.Status404NotFound, "not_found", "未找到", detail ?? "请求的内容不存在或您无权查看。");

    public static ProblemHttpResult Conflict(string code, string detail) =>
        Create(StatusCodes.Status409Conflict, code, "操作冲突", detail);

    public static ProblemHttpResult BadRequest(string code, string detail) =>
        Create(StatusCodes.Status400BadRequest, code, "请求无效", detail);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "提交的内容有误，请按提示修改。", title: "请求参数有误",
            extensions: new Dictionary<string, object?> { ["code"] = "validation.failed" });

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>The default code and Chinese title for answers that carry only a status code.</summary>
    public static (string Code, string Title, string Detail) ForStatus(int status) => status switch
    {
        400 => ("request.invalid", "请求无效", "请求格式不正确。"),
        401 => ("auth.unauthenticated", "未登录", "登录已失效或未登录，请重新登录。"),
        403 => ("auth.forbidden", "无权操作", "您的角色无权使用此功能。"),
        404 => ("not_found", "未找到", "请求的内容不存在或您无权查看。"),
        405 => ("request.method_not_allowed", "不支持的请求方式", "此地址不支持该请求方式。"),
        409 => ("conflict", "操作冲突", "操作与当前状态冲突，请刷新后重试。"),
        413 => ("request.too_large", "内容过大", "提交的内容超过了大小限制。"),
        415 => ("request.unsupported_media_type", "不支持的内容类型", "请以 JSON 格式提交。"),
        429 => ("rate_limited", "操作过于频繁", "操作过于频繁，请稍后再试。"),
        503 => ("service.unavailable", "服务暂不可用", "服务暂时不可用，请稍后再试。"),
        _ when status >= 500 => ("internal_error", "服务器错误", "服务器出了点问题，请稍后再试。"),
        _ => ("error", "请求失败", "请求失败。"),
    };
}
