namespace EcoAid.Api.Features.Stats;

/// <summary>Figures for the branch and the city, and the monthly report.</summary>
public static class StatsSetup
{
    public static WebApplicationBuilder AddStats(this WebApplicationBuilder builder)
    {
        builder.Services.AddStatsPolicies();
        builder.Services.AddOptions<StatsOptions>().BindConfiguration("Stats")
            .Validate(o => o.ResponseLimitHours is >= 1 and <= 720, "Stats:ResponseLimitHours 必须在 1 到 720 之间。").ValidateOnStart();
        builder.Services.AddSingleton<Infrastructure.Database.IStartupDataStep, StatsResponseLimit>();
        return builder;
    }

    public static IEndpointRouteBuilder MapStats(this IEndpointRouteBuilder routes) => routes.MapStatsEndpoints();
}
