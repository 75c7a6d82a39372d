using System.ComponentModel.DataAnnotations;
using EcoAid.Wechat;

namespace EcoAid.Api.Infrastructure.Wechat;

/// <summary>Settings under <c>Wechat</c>. Secrets come from environment variables or user-secrets, never from a committed file.</summary>
public sealed class WechatOptions
{
    /// <summary>WeChat's API host, or the sandbox. Must end with a slash.</summary>
    [Required(ErrorMessage = "Wechat:ApiBaseUrl 未配置（微信接口地址，如 https://api.weixin.qq.com/）。")]
    public Uri? ApiBaseUrl { get; set; }

    /// <summary>How long one WeChat call may take before it counts as unreachable.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:01:00", ErrorMessage = "Wechat:Timeout 须在 1 秒到 1 分钟之间。")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    [Required(ErrorMessage = "Wechat:MiniProgram 未配置。")]
    public WechatAppOptions MiniProgram { get; set; } = new();

    [Required(ErrorMessage = "Wechat:OfficialAccount 未配置。")]
    public OfficialAccountOptions OfficialAccount { get; set; } = new();

    public WechatApp MiniProgramApp => new(MiniProgram.AppId!, MiniProgram.AppSecret!);

    public WechatApp OfficialAccountApp => new(OfficialAccount.AppId!, OfficialAccount.AppSecret!);
}

/// <summary>The Official Account (公众号) that sends template messages to members and calls back /wechat/callback.</summary>
public sealed class OfficialAccountOptions
{
    public string? AppId { get; set; }

    public string? AppSecret { get; set; }

    /// <summary>The server-configuration Token (令牌) used to sign callbacks.</summary>
    public string? Token { get; set; }

    /// <summary>The 43-character EncodingAESKey for safe mode; required, since WeChat may switch modes at any time.</summary>
    public string? EncodingAesKey { get; set; }

    /// <summary>How long a member-binding QR code can be scanned.</summary>
    public TimeSpan BindingQrLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A push whose signed timestamp is further than this from the machine's clock (either way) is refused, in every mode.</summary>
    public TimeSpan CallbackWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Where the QR image of a ticket is shown (WeChat's showqrcode; the sandbox's in the dev run).</summary>
    public Uri ShowQrCodeUrl { get; set; } = new("https://mp.weixin.qq.com/cgi-bin/showqrcode");
}

public sealed class WechatAppOptions
{
    [Required(ErrorMessage = "小程序 AppId 未配置（Wechat:MiniProgram:AppId）。")]
    public string? AppId { get; set; }

    [Required(ErrorMessage = "小程序 AppSecret 未配置（环境变量 Wechat__MiniProgram__AppSecret）。")]
    public string? AppSecret { get; set; }
}
