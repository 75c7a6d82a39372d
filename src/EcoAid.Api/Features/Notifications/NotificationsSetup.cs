using EcoAid.Api.Infrastructure.Database;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Features.Notifications;

public static class NotificationsSetup
{
    /// <summary>
    /// The dispatcher and the reminder scheduler (both run in every instance), the template settings (checked at startup),
    /// and — in the dev run — the sandbox's memory of the recipients (after the demo seed, which Program.cs lists).
    /// </summary>
    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<NotificationOptions>().BindConfiguration("Notifications").ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        builder.Services.AddSingleton<NotificationTemplates>();
        builder.Services.AddSingleton<IReminderSource, DemandDeadlineReminders>();
        builder.Services.AddSingleton<NotificationDispatcher>();
        builder.Services.AddSingleton<Infrastructure.Database.DatabaseIdentity>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        builder.Services.AddSingleton<ReminderScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReminderScheduler>());

        if (builder.Configuration.GetValue<bool>("Sandbox:Enabled"))
        {
            builder.Services.AddSingleton<IStartupDataStep, SandboxRecipients>();
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapNotifications(this IEndpointRouteBuilder routes)
    {
        routes.MapInbox();
        routes.MapSubscriptions();
        return routes;
    }
}
