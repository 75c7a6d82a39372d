using EcoAid.Wechat;
using EcoAid.Wechat.AccessTokens;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Infrastructure.Wechat;

public static class WechatSetup
{
    public static WebApplicationBuilder AddEcoAidWechat(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WechatOptions>().BindConfiguration("Wechat").ValidateDataAnnotations()
            .Validate(o => o.MiniProgram.AppId is not null && o.MiniProgram.AppSecret is not null,
                "小程序 AppId / AppSecret 未配置（Wechat:MiniProgram:AppId，环境变量 Wechat__MiniProgram__AppSecret）。")
            .Validate(o => o.OfficialAccount is { AppId: not null, AppSecret: not null, Token: not null, EncodingAesKey.Length: 43 },
                "公众号配置不完整：需要 Wechat:OfficialAccount:AppId、AppSecret、Token 和 43 位的 EncodingAesKey（密钥请用环境变量）。")
            .Validate(o => o.OfficialAccount.BindingQrLifetime > TimeSpan.Zero && o.OfficialAccount.BindingQrLifetime <= TimeSpan.FromDays(30),
                "Wechat:OfficialAccount:BindingQrLifetime 须在 0 到 30 天之间。")
            .Validate(o => o.ApiBaseUrl is null || o.ApiBaseUrl.AbsoluteUri.EndsWith('/'), "Wechat:ApiBaseUrl 必须以 / 结尾。")
            .ValidateOnStart();

        // No HttpClient logging: its request lines carry the query string, where WeChat wants the access token.
        builder.Services.AddHttpClient<WechatApiClient>((sp, http) =>
        {
            var options = sp.GetRequiredService<IOptions<WechatOptions>>().Value;
            http.BaseAddress = options.ApiBaseUrl;
            http.Timeout = options.Timeout;
        }).RemoveAllLoggers();
        builder.Services.AddSingleton<IAccessTokenStore, MySqlAccessTokenStore>();
        builder.Services.AddSingleton<AccessTokenProvider>();
        // Transient like the typed HttpClient they wrap.
        builder.Services.AddTransient(sp => new MiniProgramApi(sp.GetRequiredService<IOptions<WechatOptions>>().Value.MiniProgramApp,
            sp.GetRequiredService<WechatApiClient>(), sp.GetRequiredService<AccessTokenProvider>()));
        builder.Services.AddTransient(sp => new OfficialAccountApi(sp.GetRequiredService<IOptions<WechatOptions>>().Value.OfficialAccountApp,
            sp.GetRequiredService<WechatApiClient>(), sp.GetRequiredService<AccessTokenProvider>()));
        // Sandbox:Enabled (the dev run's WeChat) is one of Hardening.DevelopmentOnlySwitches, refused there outside Development.
        return builder;
    }
}
