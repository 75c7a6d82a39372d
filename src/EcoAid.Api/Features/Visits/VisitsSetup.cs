using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Visits;

/// <summary>Visits to the enterprises, the monthly reminder round, and the expert pool.</summary>
public static class VisitsSetup
{
    public static WebApplicationBuilder AddVisits(this WebApplicationBuilder builder)
    {
        builder.Services.AddVisitPolicies();
        builder.Services.AddOptions<VisitOptions>().BindConfiguration("Visits")
            .Validate(o => o.ReminderDayOfMonth is >= 1 and <= 28, "Visits:ReminderDayOfMonth 必须在 1 到 28 之间。")
            .Validate(o => o.ReminderInterval > TimeSpan.Zero, "Visits:ReminderInterval 必须为正。").ValidateOnStart();
        builder.AddWorker<VisitReminderWorker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapVisits(this IEndpointRouteBuilder routes)
    {
        routes.MapExperts();
        routes.MapVisitEndpoints();
        return routes;
    }
}
