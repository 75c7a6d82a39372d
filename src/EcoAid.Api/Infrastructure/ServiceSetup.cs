using EcoAid.Api.Features.Attachments;
using EcoAid.Api.Features.Auth;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Invites;
using EcoAid.Api.Features.Meetings;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Features.Visits;
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
    /// <summary>
    /// <c>Workers:Enabled</c> (default true): run the sweepers in this instance — the callback-event sweeper, content
    /// rechecks, visit reminders, the idempotency-key purge. Tests switch them off and call their rounds themselves, so a
    /// moved fake clock never races an assertion. (The dispatcher and the reminder scheduler have switches of their own.)
    /// </summary>
    public static bool RunsWorkers(this WebApplicationBuilder builder) => builder.Configuration.GetValue("Workers:Enabled", true);

    public static WebApplicationBuilder AddEcoAidAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddAuthentication(SessionAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null);
        builder.Services.AddEcoAidPolicies();
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Auth")
            .Validate(o => o.SessionLifetime > TimeSpan.Zero, "Auth:SessionLifetime 必须为正。").ValidateOnStart();
        builder.Services.AddOptions<InviteOptions>().BindConfiguration("Invites")
            .Validate(o => o.Lifetime > TimeSpan.Zero, "Invites:Lifetime 必须为正。").ValidateOnStart();
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration("Bootstrap")
            .Validate(o => o.CityAdminOpenIds.Length == 0 || !string.IsNullOrWhiteSpace(o.CityName),
                "配置了 Bootstrap:CityAdminOpenIds 时必须同时配置 Bootstrap:CityName。")
            .ValidateOnStart();
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

    public static WebApplicationBuilder AddEcoAidDemands(this WebApplicationBuilder builder)
    {
        builder.Services.AddDemandPolicies();
        builder.Services.AddTransient<IContentCheck, WechatContentCheck>();
        builder.Services.AddSingleton<ContentRecheckWorker>();
        if (builder.RunsWorkers())
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ContentRecheckWorker>());
        }
        builder.Services.AddOptions<DemandOptions>().BindConfiguration("Demands")
            .Validate(o => o.DailyLimitPerUser > 0, "Demands:DailyLimitPerUser 必须为正。").ValidateOnStart();
        builder.Services.AddOptions<AttachmentOptions>().BindConfiguration("Attachments")
            .Validate(o => o.MaxBytes > 0, "Attachments:MaxBytes 必须为正。").ValidateOnStart();
        builder.Services.AddSingleton<IAttachmentStore>(sp =>
        {
            var configured = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<AttachmentOptions>>().Value.Directory;
            var root = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(builder.Environment.ContentRootPath, "App_Data", "attachments")
                : Path.GetFullPath(configured);
            return new FileSystemAttachmentStore(root);
        });
        return builder;
    }

    /// <summary>Visits and their reminder round, the monthly meeting, statistics.</summary>
    public static WebApplicationBuilder AddEcoAidVisits(this WebApplicationBuilder builder)
    {
        builder.Services.AddVisitPolicies().AddMeetingPolicies().AddStatsPolicies();
        builder.Services.AddOptions<VisitOptions>().BindConfiguration("Visits")
            .Validate(o => o.ReminderDayOfMonth is >= 1 and <= 28, "Visits:ReminderDayOfMonth 必须在 1 到 28 之间。")
            .Validate(o => o.ReminderInterval > TimeSpan.Zero, "Visits:ReminderInterval 必须为正。").ValidateOnStart();
        builder.Services.AddOptions<MeetingOptions>().BindConfiguration("Meetings")
            .Validate(o => o.DueSoonDays is >= 1 and <= 90, "Meetings:DueSoonDays 必须在 1 到 90 之间。").ValidateOnStart();
        builder.Services.AddOptions<StatsOptions>().BindConfiguration("Stats")
            .Validate(o => o.ResponseLimitHours is >= 1 and <= 720, "Stats:ResponseLimitHours 必须在 1 到 720 之间。").ValidateOnStart();
        builder.Services.AddSingleton<VisitReminderWorker>();
        if (builder.RunsWorkers())
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<VisitReminderWorker>());
        }
        return builder;
    }

    public static WebApplicationBuilder AddEcoAidDemoData(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>("Demo:Seed"))
        {
            if (builder.Environment.IsProduction())
            {
                throw new InvalidOperationException("Demo:Seed 不能在生产环境中开启。");
            }
            // Steps run in registration order: the programme first, then what refers to it.
            builder.Services.AddSingleton<IStartupDataStep, EcoAid.Api.Database.Seed.DemoData>();
            builder.Services.AddSingleton<IStartupDataStep, EcoAid.Api.Database.Seed.DemandDemoData>();
            builder.Services.AddSingleton<IStartupDataStep, EcoAid.Api.Database.Seed.VisitDemoData>();
            // After the programme itself: the policy library and material lists look up its branch and enterprises.
            builder.Services.AddSingleton<IStartupDataStep, EcoAid.Api.Database.Seed.PolicyDemoData>();
        }
        return builder;
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
