namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
    internal (byte[]? Png, SandboxAnswer? Error) GetUnlimitedCode(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out _) is { } refused) return (null, refused);
        if (body is not { } json) return (null, SandboxAnswer.Error(40169, "invalid length for scene, or the data is not json string"));
        var scene = Text(json, "scene");
        if (string.IsNullOrEmpty(scene) || scene.Length > 32)
        {
            return (null, SandboxAnswer.Error(40169, "invalid length for scene, or the data is not json string"));
        }
        if (scene.Any(c => !SceneCharacters.Contains(c))) return (null, SandboxAnswer.Error(40129, "invalid scene"));
        var env = Text(json, "env_version") ?? "release";
        if (env is not ("release" or "trial" or "develop")) return (null, SandboxAnswer.Error(40097, "invalid env_version"));
        var page = Text(json, "page");
        var checkPath = !json.TryGetProperty("check_path", out var check) || check.ValueKind != JsonValueKind.False;
        if (!string.IsNullOrEmpty(page) && (page.StartsWith('/') || page.Contains('?') || checkPath && !IsReleased(page)))
        {
            return (null, SandboxAnswer.Error(41030, "invalid page"));
        }
        var width = json.TryGetProperty("width", out var w) && w.TryGetInt32(out var requested) ? Math.Clamp(requested, 280, 1280) : 430;
        return (SandboxPng.DrawCode(scene, width), null);
    }
}
