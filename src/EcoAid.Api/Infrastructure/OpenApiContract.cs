using EcoAid.Api.Infrastructure.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace EcoAid.Api.Infrastructure;

/// <summary>Statuses an endpoint answers that its other metadata does not reveal (a state conflict, a gone ticket, a refused file).</summary>
public sealed record ProblemAnswers(IReadOnlyList<int> Statuses);

/// <summary>
/// Makes the OpenAPI document one a client can be generated from. Each endpoint declares its own 2xx answer
/// (<c>.Produces&lt;T&gt;(201)</c> or a typed result); the problem answers are derived here, in one place, from what the
/// endpoint already says about itself: authorization (401, and 403 for a role policy), a route value (404), parameters or
/// a body (400), a body (413: every body has a limit), rate limiting (429), an Idempotency-Key (409 while the first
/// request runs, 422 for a reused key), the database (503 on every /api operation), and <see cref="ProblemAnswers"/> for
/// the rest. Every problem carries <c>code</c>; the codes are listed in miniprogram-api-docs/errors.md.
/// </summary>
public static class OpenApiContract
{
    private const string ProblemJson = "application/problem+json";

    /// <summary>Declares problem statuses the endpoint answers beyond the derived ones.</summary>
    public static TBuilder Answers<TBuilder>(this TBuilder builder, params int[] statuses) where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(b => b.Metadata.Add(new ProblemAnswers(statuses)));
        return builder;
    }

    /// <summary>Declares a file answer (200) in the given content types.</summary>
    public static RouteHandlerBuilder ProducesFile(this RouteHandlerBuilder builder, string contentType, params string[] more) =>
        builder.Produces(StatusCodes.Status200OK, typeof(Stream), contentType, more);

    private static readonly Dictionary<int, string> Meanings = new()
    {
        [400] = "请求无效：字段校验未通过（validation.failed，errors 按字段给出原因）或请求格式错误（request.invalid_body、request.invalid）等",
        [401] = "未登录或登录已失效（auth.unauthenticated）",
        [403] = "当前角色或身份无权进行此操作（auth.forbidden 等）",
        [404] = "数据不存在或不在权限范围内（not_found）",
        [409] = "与当前状态冲突（如 demand.invalid_transition、demand.stale、idempotency.in_progress）",
        [410] = "已过期（如 console_login.expired）",
        [413] = "提交的内容超过大小限制（request.too_large 等）",
        [415] = "内容类型不受支持（request.unsupported_media_type 等）",
        [422] = "内容无法处理（如 idempotency.key_reused、文件读不了）",
        [429] = "操作过于频繁（rate_limited 等），带 Retry-After",
        [502] = "微信拒绝了请求（wechat.rejected、qrcode.* 等）",
        [503] = "服务暂不可用（service.unavailable 带 Retry-After，或 wechat.unavailable）",
    };

    public static void Apply(OpenApiOptions options)
    {
        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (typeof(ProblemDetails).IsAssignableFrom(type) && schema.Properties is { } problemProperties)
            {
                problemProperties["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "稳定的错误码，见 errors.md" };
                schema.Required ??= new HashSet<string>();
                schema.Required.Add("code");
                schema.AdditionalPropertiesAllowed = true;
                schema.AdditionalProperties = null;
            }
            if (schema.Properties is not { Count: > 0 } properties)
            {
                return Task.CompletedTask;
            }
            foreach (var (name, property) in properties)
            {
                // The server reads numeric strings too, but writes numbers and wants numbers: a client sees numbers.
                NumbersAsNumbers(property);
                NumbersAsNumbers(property.Items);
                if (IsNullable(property))
                {
                    schema.Required?.Remove(name);
                }
            }
            return Task.CompletedTask;
        });
        // A nullable object property becomes oneOf [null, $ref] only once the schemas are in the document.
        options.AddDocumentTransformer((document, _, _) =>
        {
            foreach (var schema in document.Components?.Schemas?.Values.OfType<OpenApiSchema>() ?? [])
            {
                foreach (var (name, property) in schema.Properties ?? new Dictionary<string, IOpenApiSchema>())
                {
                    if (IsNullable(property))
                    {
                        schema.Required?.Remove(name);
                    }
                }
            }
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(async (operation, context, ct) =>
        {
            var path = "/" + (context.Description.RelativePath ?? "");
            if (!path.StartsWith("/api/", StringComparison.Ordinal))
            {
                return;
            }
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var statuses = new SortedSet<int>();
            var anonymous = metadata.OfType<IAllowAnonymous>().Any();
            var authorize = metadata.OfType<IAuthorizeData>().ToList();
            if (!anonymous && authorize.Count > 0)
            {
                statuses.Add(401);
                if (authorize.Any(a => a.Policy is not null && a.Policy != Auth.Policies.User || a.Roles is not null))
                {
                    statuses.Add(403);
                }
            }
            if (path.Contains('{', StringComparison.Ordinal))
            {
                statuses.Add(404);
            }
            var hasBody = operation.RequestBody is not null;
            if (!hasBody && metadata.OfType<BodyLimits.Limit>().Any())
            {
                // Uploads read their multipart body themselves (so that 403 comes before 415); document the form here.
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["multipart/form-data"] = new()
                        {
                            Schema = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Required = new HashSet<string> { "file" },
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["file"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" },
                                },
                            },
                        },
                    },
                };
                hasBody = true;
                statuses.Add(415);
            }
            if (hasBody || operation.Parameters?.Any(p => p.In == ParameterLocation.Query) == true)
            {
                statuses.Add(400);
            }
            if (hasBody)
            {
                statuses.Add(413);
            }
            if (metadata.OfType<EnableRateLimitingAttribute>().Any())
            {
                statuses.Add(429);
            }
            if (metadata.OfType<IdempotencyFilterExtensions.Idempotent>().Any())
            {
                statuses.Add(409);
                statuses.Add(422);
            }
            foreach (var answers in metadata.OfType<ProblemAnswers>())
            {
                statuses.UnionWith(answers.Statuses);
            }
            statuses.Add(503);

            operation.Responses ??= [];
            foreach (var status in statuses)
            {
                var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var schemaType = status == 400 ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
                var reference = await ReferenceAsync(context, schemaType, ct);
                if (operation.Responses.TryGetValue(key, out var existing) && existing.Content?.ContainsKey(ProblemJson) == true)
                {
                    if (existing is OpenApiResponse declared)
                    {
                        declared.Description = Meanings[status];
                    }
                    continue;
                }
                operation.Responses[key] = new OpenApiResponse
                {
                    Description = Meanings[status],
                    Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = reference } },
                };
            }
        });
    }

    private static void NumbersAsNumbers(IOpenApiSchema? schema)
    {
        if (schema is OpenApiSchema concrete && concrete.Type is { } t && t.HasFlag(JsonSchemaType.String)
            && (t.HasFlag(JsonSchemaType.Integer) || t.HasFlag(JsonSchemaType.Number)))
        {
            concrete.Type = t & ~JsonSchemaType.String;
            concrete.Pattern = null;
        }
    }

    private static bool IsNullable(IOpenApiSchema property) =>
        property.Type is { } type ? type.HasFlag(JsonSchemaType.Null)
            : property.OneOf?.Any(s => s.Type == JsonSchemaType.Null) == true || property.AnyOf?.Any(s => s.Type == JsonSchemaType.Null) == true;

    private static async Task<IOpenApiSchema> ReferenceAsync(OpenApiOperationTransformerContext context, Type type, CancellationToken ct)
    {
        var id = type.Name;
        var document = context.Document!;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(id))
        {
            document.AddComponent(id, await context.GetOrCreateSchemaAsync(type, null, ct));
        }
        return new OpenApiSchemaReference(id, document);
    }
}
