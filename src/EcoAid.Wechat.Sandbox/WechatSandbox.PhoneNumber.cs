namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
    internal SandboxAnswer GetUserPhoneNumber(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.MiniProgram, out var appId) is { } refused) return refused;
        if (body is null) return SandboxAnswer.Error(47001, "data format error");
        var code = Text(body.Value, "code");
        if (string.IsNullOrEmpty(code)) return SandboxAnswer.Error(40029, "invalid code");
        var now = Time.GetUtcNow();
        PhoneCode phone;
        lock (apiSync)
        {
            if (!phoneCodes.TryGetValue(code, out var found) || found.AppId != appId || found.Used || found.ExpiresAt <= now)
            {
                return SandboxAnswer.Error(40029, "invalid code");
            }
            phone = found;
            phoneCodes[code] = found with { Used = true };
        }
        // WeChat documents countryCode as a string but its own example sends a number: alternate, so clients cope with both.
        object countryCode = Interlocked.Increment(ref phoneAnswers) % 2 == 0 || !long.TryParse(phone.CountryCode, out var numeric)
            ? phone.CountryCode : numeric;
        return SandboxAnswer.Ok(new Dictionary<string, object?>
        {
            ["phone_info"] = new Dictionary<string, object?>
            {
                ["phoneNumber"] = phone.CountryCode == "86" ? phone.Phone : $"+{phone.CountryCode}{phone.Phone}",
                ["purePhoneNumber"] = phone.Phone,
                ["countryCode"] = countryCode,
                ["watermark"] = new Dictionary<string, object?> { ["timestamp"] = now.ToUnixTimeSeconds(), ["appid"] = appId },
            },
        }, includeErrCode: true);
    }
}
