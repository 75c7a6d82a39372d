namespace EcoAid.Wechat.Sandbox;

public sealed partial class WechatSandbox
{
    internal SandboxAnswer CreateQrCode(string? accessToken, JsonElement? body)
    {
        if (Authorize(accessToken, SandboxAppKind.OfficialAccount, out var appId) is { } refused) return refused;
        if (body is not { } json) return SandboxAnswer.Error(47001, "data format error");
        var action = Text(json, "action_name");
        var permanent = action is "QR_LIMIT_SCENE" or "QR_LIMIT_STR_SCENE";
        if (action is not ("QR_SCENE" or "QR_STR_SCENE") && !permanent) return SandboxAnswer.Error(47001, "data format error");

        // WeChat does not refuse a request without action_info.scene: the code then carries scene "0".
        var scene = "0";
        if (json.TryGetProperty("action_info", out var info) && info.ValueKind == JsonValueKind.Object
            && info.TryGetProperty("scene", out var sceneJson) && sceneJson.ValueKind == JsonValueKind.Object)
        {
            if (action is "QR_STR_SCENE" or "QR_LIMIT_STR_SCENE")
            {
                var str = Text(sceneJson, "scene_str");
                if (str is not null)
                {
                    if (str.Length is 0 or > 64) return SandboxAnswer.Error(47001, "data format error");
                    scene = str;
                }
            }
            else if (sceneJson.TryGetProperty("scene_id", out var id) && id.TryGetInt64(out var sceneId))
            {
                if (sceneId == 0 || sceneId > (permanent ? 100_000 : uint.MaxValue) || sceneId < (permanent ? 1 : int.MinValue))
                {
                    return SandboxAnswer.Error(47001, "data format error");
                }
                scene = sceneId.ToString(CultureInfo.InvariantCulture);
            }
        }
        int? expireSeconds = null;
        if (!permanent)
        {
            expireSeconds = json.TryGetProperty("expire_seconds", out var e) && e.TryGetInt32(out var asked) && asked > 0
                ? Math.Min(asked, 2_592_000)
                : 60;
        }

        var now = Time.GetUtcNow();
        var serial = Interlocked.Increment(ref qrCodeSerial);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{appId}\n{scene}\n{serial}"));
        var url = "http://weixin.qq.com/q/" + Convert.ToBase64String(digest, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var code = new SandboxQrCode(Ticket(url, now, expireSeconds), scene, expireSeconds is { } s ? now.AddSeconds(s) : null, url, appId);
        lock (apiSync)
        {
            qrCodes[code.Ticket] = code;
            qrCodeOrder.AddLast(code);
            while (qrCodeOrder.Count > MaxRecorded)
            {
                qrCodes.Remove(qrCodeOrder.First!.Value.Ticket);
                qrCodeOrder.RemoveFirst();
            }
        }
        var answer = new Dictionary<string, object?> { ["ticket"] = code.Ticket };
        if (expireSeconds is not null)
        {
            answer["expire_seconds"] = expireSeconds;
        }
        answer["url"] = url;
        return SandboxAnswer.Ok(answer, includeErrCode: false);
    }

    // Shaped like WeChat's tickets: base64 of a small binary record holding the URL and the expiry, so it has + / =.
    private static string Ticket(string url, DateTimeOffset now, int? expireSeconds)
    {
        var record = new List<byte> { 0x81, 0x01, 0x3A, 0x00 };
        record.AddRange(BitConverter.GetBytes(now.ToUnixTimeMilliseconds()));
        record.Add(0x2C);
        record.AddRange(Encoding.ASCII.GetBytes(url));
        record.AddRange([0x00, 0x02, 0x04]);
        record.AddRange(BitConverter.GetBytes((uint)now.ToUnixTimeSeconds()));
        record.AddRange([0x03, 0x04]);
        record.AddRange(BitConverter.GetBytes(expireSeconds ?? 0));
        return Convert.ToBase64String([.. record]);
    }
}
