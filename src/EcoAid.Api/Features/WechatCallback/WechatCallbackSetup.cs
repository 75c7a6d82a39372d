using EcoAid.Api.Infrastructure;

namespace EcoAid.Api.Features.WechatCallback;

/// <summary>The Official Account's callback (/wechat/callback) and the sweeper for events left unprocessed.</summary>
public static class WechatCallbackSetup
{
    public static WebApplicationBuilder AddWechatCallback(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CallbackProcessor>();
        builder.AddWorker<CallbackEventsWorker>();
        return builder;
    }

    public static IEndpointRouteBuilder MapWechatCallback(this IEndpointRouteBuilder routes) => routes.MapWechatCallbackEndpoints();
}
