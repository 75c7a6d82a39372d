namespace EcoAid.Wechat;

/// <summary>An image WeChat answered with (mini-program codes), as received.</summary>
/// <param name="Content">The image bytes.</param>
/// <param name="ContentType">The media type WeChat sent, e.g. <c>image/jpeg</c>; <c>application/octet-stream</c> when it sent none.</param>
public sealed record WechatImage(byte[] Content, string ContentType)
{
    /// <summary>Leaves the bytes out.</summary>
    public override string ToString() => $"WechatImage {{ ContentType = {ContentType}, Length = {Content.Length} }}";
}

public sealed partial class WechatApiClient
{
    /// <summary>
    /// The second half of the pipeline. Calls that expect <see cref="WechatImage"/> get the bytes when the answer is an
    /// image and WeChat's JSON error otherwise; every other call is parsed as JSON whatever the Content-Type says.
    /// </summary>
    internal static WechatResult<T> ParseAnswer<T>(string path, byte[] payload, string? mediaType)
    {
        if (typeof(T) != typeof(WechatImage) || IsJson(payload, mediaType))
        {
            return Parse<T>(path, payload);
        }
        if (payload.Length == 0)
        {
            throw new WechatUnavailableException(path, "empty image");
        }
        var image = new WechatImage(payload, string.IsNullOrEmpty(mediaType) ? "application/octet-stream" : mediaType);
        return WechatResult<T>.Success((T)(object)image);
    }

    /// <summary>
    /// Decides whether a possibly binary answer is JSON: by the media type when it names an image or JSON/text
    /// (errors come as <c>application/json; encoding=utf-8</c>), otherwise by sniffing for a leading <c>{</c>.
    /// </summary>
    internal static bool IsJson(ReadOnlySpan<byte> payload, string? mediaType)
    {
        if (mediaType is not null)
        {
            if (mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            if (mediaType.Contains("json", StringComparison.OrdinalIgnoreCase) || mediaType.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        var body = payload.TrimStart(" \t\r\n"u8);
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..].TrimStart(" \t\r\n"u8);
        }
        return !body.IsEmpty && body[0] == (byte)'{';
    }
}

/// <summary>Small helpers over <see cref="WechatResult{T}"/>.</summary>
internal static class WechatResultExtensions
{
    /// <summary>Maps a success value, passing an error through unchanged.</summary>
    public static WechatResult<TOut> Select<TIn, TOut>(this WechatResult<TIn> result, Func<TIn, TOut> map) =>
        result.Error is { } error ? WechatResult<TOut>.Failure(error) : WechatResult<TOut>.Success(map(result.Value!));
}
