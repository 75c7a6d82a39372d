using System.Text.Json.Nodes;

namespace EcoAid.Api.Infrastructure;

/// <summary>An example body for one request type in the OpenAPI document, registered by the feature that owns the type.</summary>
public sealed record OpenApiExample(Type Type, string Json);

/// <summary>Example bodies in the OpenAPI document, so a mini-program developer sees a realistic request at once.</summary>
public static class OpenApiExamples
{
    /// <summary>Shows <paramref name="json"/> as the example of <typeparamref name="T"/>'s schema.</summary>
    public static IServiceCollection AddOpenApiExample<T>(this IServiceCollection services, string json) =>
        services.AddSingleton(new OpenApiExample(typeof(T), json));

    public static void Apply(Microsoft.AspNetCore.OpenApi.OpenApiOptions options) =>
        options.AddSchemaTransformer((schema, context, _) =>
        {
            var type = context.JsonTypeInfo.Type;
            if (context.ApplicationServices.GetServices<OpenApiExample>().FirstOrDefault(e => e.Type == type) is { } example)
            {
                schema.Examples = [JsonNode.Parse(example.Json)!];
            }
            return Task.CompletedTask;
        });
}
