using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.Auth;

/// <summary>Login with a wx.login code, sessions, and the bootstrap administrators.</summary>
public static class AuthSetup
{
    public static WebApplicationBuilder AddAuth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration("Auth")
            .Validate(o => o.SessionLifetime > TimeSpan.Zero, "Auth:SessionLifetime 必须为正。").ValidateOnStart();
        builder.Services.AddOptions<BootstrapOptions>().BindConfiguration("Bootstrap")
            .Validate(o => o.CityAdminOpenIds.Length == 0 || !string.IsNullOrWhiteSpace(o.CityName),
                "配置了 Bootstrap:CityAdminOpenIds 时必须同时配置 Bootstrap:CityName。")
            .ValidateOnStart();
        builder.Services.AddOpenApiExample<AuthApi.LoginRequest>("""{ "code": "0a3Bcd000Xyz1A2B3C400aBcDe0Bcd0X" }""");
        return builder;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder routes) => routes.MapAuthEndpoints();
}
