using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Invites;

/// <summary>Invitation codes that bind a WeChat user to a role.</summary>
public static class InvitesSetup
{
    public static WebApplicationBuilder AddInvites(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<InviteOptions>().BindConfiguration("Invites")
            .Validate(o => o.Lifetime > TimeSpan.Zero, "Invites:Lifetime 必须为正。").ValidateOnStart();
        builder.Services.AddOpenApiExample<InvitesApi.CreateInviteRequest>("""{ "role": "staff", "enterpriseId": 1 }""");
        return builder;
    }

    public static IEndpointRouteBuilder MapInvites(this IEndpointRouteBuilder routes) => routes.MapInviteEndpoints();
}
