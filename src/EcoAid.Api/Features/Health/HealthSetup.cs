namespace EcoAid.Api.Features.Health;

/// <summary>Liveness and readiness probes.</summary>
public static class HealthSetup
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes) => routes.MapHealthEndpoints();
}
