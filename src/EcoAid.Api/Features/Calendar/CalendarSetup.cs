namespace EcoAid.Api.Features.Calendar;

/// <summary>The working-day calendar that deadlines count in.</summary>
public static class CalendarSetup
{
    public static IEndpointRouteBuilder MapCalendar(this IEndpointRouteBuilder routes) => routes.MapCalendarEndpoints();
}
