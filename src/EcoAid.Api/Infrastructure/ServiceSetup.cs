using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Database;
using Scalar.AspNetCore;

namespace EcoAid.Api.Infrastructure;

public sealed class DocsOptions
{
    /// <summary>Serve /openapi/v1.json and the /docs reference page. Off unless switched on (the development settings do).</summary>
    public bool Enabled { get; set; }
}

public static class ServiceSetup
{
    /// <summary>Session authentication and the role policies every feature builds on.</summary>
    public static WebApplicationBuilder AddEcoAidAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RequestConnection>();
        builder.Services.AddSingleton<ReadOnlyConnections>();
        builder.Services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        builder.Services.AddEcoAidPolicies();
        return builder;
    }

    public static WebApplicationBuilder AddEcoAidDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DocsOptions>().BindConfiguration("Docs");
        builder.Services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "EcoAid 生态润百企 小程序 API";
                document.Info.Description = "小程序后端接口。错误均为 application/problem+json，带稳定的 code 字段；详见 miniprogram-api-docs/。";
                return Task.CompletedTask;
            });
            OpenApiExamples.Apply(o);
            OpenApiContract.Apply(o);
        });
        return builder;
    }

    public static WebApplication MapEcoAidDocs(this WebApplication app)
    {
        if (app.Configuration.GetSection("Docs").Get<DocsOptions>() is not { Enabled: true })
        {
            return app;
        }
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o.WithTitle("EcoAid API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        return app;
    }
}

public static class MigrateCommand
{
    public static async Task<int> RunAsync(WebApplication app)
    {
        var runner = app.Services.GetRequiredService<MigrationRunner>();
        var dataSource = app.Services.GetRequiredService<MySqlConnector.MySqlDataSource>();
        await DatabaseGuard.CheckAsync(dataSource, CancellationToken.None);
        var applied = await runner.ApplyAsync(Migration.Embedded(), CancellationToken.None);
        Console.WriteLine($"Applied {applied} migration(s).");
        return 0;
    }
}
