namespace EcoAid.Api.Features.Meetings;

/// <summary>The monthly meeting (月度会商): agenda, decisions, minutes.</summary>
public static class MeetingsSetup
{
    public static WebApplicationBuilder AddMeetings(this WebApplicationBuilder builder)
    {
        builder.Services.AddMeetingPolicies();
        builder.Services.AddOptions<MeetingOptions>().BindConfiguration("Meetings")
            .Validate(o => o.DueSoonDays is >= 1 and <= 90, "Meetings:DueSoonDays 必须在 1 到 90 之间。")
            .Validate(o => o.AgendaLimitPerReason is >= 1 and <= 500, "Meetings:AgendaLimitPerReason 必须在 1 到 500 之间。").ValidateOnStart();
        return builder;
    }

    public static IEndpointRouteBuilder MapMeetings(this IEndpointRouteBuilder routes) => routes.MapMeetingEndpoints();
}
