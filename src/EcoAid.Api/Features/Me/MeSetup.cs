using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Me;

/// <summary>The signed-in user: who they are, binding an invitation, their phone number.</summary>
public static class MeSetup
{
    public static WebApplicationBuilder AddMe(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApiExample<MeApi.BindRequest>("""{ "inviteCode": "7KQ2-MX9P-HD" }""");
        builder.Services.AddOpenApiExample<MeApi.PhoneRequest>("""{ "code": "e31968a7f94cc5ee25fafc2aef2773f0bb8c3937b22520eb8ee345274d00c144" }""");
        return builder;
    }

    public static IEndpointRouteBuilder MapMe(this IEndpointRouteBuilder routes) => routes.MapMeEndpoints();
}
