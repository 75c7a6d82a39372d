namespace EcoAid.Api.Infrastructure;

public static class Workers
{
    /// <summary>
    /// <c>Workers:Enabled</c> (default true): run the sweepers in this instance — the callback-event sweeper, content
    /// rechecks, visit reminders, the idempotency-key purge. Tests switch them off and call their rounds themselves, so a
    /// moved fake clock never races an assertion. (The dispatcher and the reminder scheduler have switches of their own.)
    /// </summary>
    public static bool RunsWorkers(this WebApplicationBuilder builder) => builder.Configuration.GetValue("Workers:Enabled", true);

    /// <summary>Registers a sweeper as a singleton (tests call its rounds) and, when this instance runs workers, starts it.</summary>
    public static WebApplicationBuilder AddWorker<TWorker>(this WebApplicationBuilder builder) where TWorker : class, IHostedService
    {
        builder.Services.AddSingleton<TWorker>();
        if (builder.RunsWorkers())
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TWorker>());
        }
        return builder;
    }
}
