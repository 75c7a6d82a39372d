using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EcoAid.Wechat.Sandbox;

/// <summary>
/// What WeChat would remember between two dev runs while the sandbox starts empty: the templates added in the consoles,
/// who follows the Official Account, and the users' remaining subscribe acceptances. The API tells it at startup.
/// </summary>
public sealed record SandboxState(
    [property: JsonPropertyName("officialAccountTemplates")] Dictionary<string, string[]>? OfficialAccountTemplates,
    [property: JsonPropertyName("subscribeTemplates")] Dictionary<string, string[]>? SubscribeTemplates,
    [property: JsonPropertyName("followers")] string[]? Followers,
    [property: JsonPropertyName("acceptances")] SandboxAcceptance[]? Acceptances);

/// <summary>A user of <see cref="AppId"/> who has <see cref="Remaining"/> acceptances of <see cref="TemplateId"/> left.</summary>
public sealed record SandboxAcceptance(
    [property: JsonPropertyName("appid")] string AppId,
    [property: JsonPropertyName("openid")] string OpenId,
    [property: JsonPropertyName("templateId")] string TemplateId,
    [property: JsonPropertyName("remaining")] int Remaining);

public static partial class SandboxEndpoints
{
    private static void MapState(RouteGroupBuilder group, WechatSandbox sandbox)
    {
        // What a drill or a developer counts at WeChat: how often each API was called since the sandbox started.
        group.MapGet("/_sandbox/state", () => Results.Json(new { calls = sandbox.CallCounts() }));
        group.MapPost("/_sandbox/state", (SandboxState state) =>
        {
            foreach (var (templateId, keys) in state.OfficialAccountTemplates ?? [])
            {
                sandbox.RegisterTemplate(templateId, keys);
            }
            foreach (var (templateId, keys) in state.SubscribeTemplates ?? [])
            {
                sandbox.RegisterSubscribeTemplate(templateId, keys);
            }
            foreach (var openId in state.Followers ?? [])
            {
                sandbox.Follow(openId);
            }
            foreach (var (appId, openId, templateId, remaining) in state.Acceptances ?? [])
            {
                sandbox.RegisterUser(appId, openId);
                var missing = remaining - sandbox.SubscriptionsLeft(openId, templateId);
                if (missing > 0)
                {
                    sandbox.GrantSubscription(openId, templateId, missing);
                }
            }
            return Results.NoContent();
        });
    }
}
