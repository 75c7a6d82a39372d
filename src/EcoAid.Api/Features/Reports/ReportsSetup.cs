namespace EcoAid.Api.Features.Reports;

/// <summary>Monthly reports (issued and kept byte-identical), the charts, the city's table of branches, typical cases.</summary>
public static class ReportsSetup
{
    public static WebApplicationBuilder AddReports(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ChartFont>();
        builder.Services.AddReportPolicies();
        return builder;
    }

    public static IEndpointRouteBuilder MapReports(this IEndpointRouteBuilder routes) => routes.MapReportEndpoints();
}
