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

    public WechatApp MiniProgramApp => new(MiniProgram.AppId!, MiniProgram.AppSecret!);
}

public sealed class WechatAppOptions
{
    [Required(ErrorMessage = "小程序 AppId 未配置（Wechat:MiniProgram:AppId）。")]
    public string? AppId { get; set; }

    [Required(ErrorMessage = "小程序 AppSecret 未配置（环境变量 Wechat__MiniProgram__AppSecret）。")]
    public string? AppSecret { get; set; }
}
