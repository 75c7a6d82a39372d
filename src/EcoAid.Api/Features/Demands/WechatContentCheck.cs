using EcoAid.Wechat;

namespace EcoAid.Api.Features.Demands;

/// <summary>
/// <see cref="IContentCheck"/> on WeChat's msgSecCheck (version 2), deciding on <c>result.suggest</c>. When WeChat
/// cannot be asked — unreachable, busy, over quota, or the user not seen recently — the text is accepted as
/// <see cref="ContentVerdict.Unavailable"/> and checked again later, so a WeChat outage never blocks intake.
/// </summary>
public sealed partial class WechatContentCheck(MiniProgramApi miniProgram, ILogger<WechatContentCheck> logger) : IContentCheck
{
    // msg_sec_check takes at most 2500 characters; longer text is checked in pieces.
    private const int Chunk = 2500;

    public async Task<ContentVerdict> CheckAsync(string openId, string text, CancellationToken ct)
    {
        var verdict = ContentVerdict.Pass;
        try
        {
            foreach (var piece in text.Chunk(Chunk).Select(c => new string(c)))
            {
                var result = await miniProgram.MsgSecCheckAsync(new MsgSecCheckRequest(openId, piece), ct);
                if (result.Error is { } error)
                {
                    Log.Unavailable(logger, error.ErrCode, error.Rid);
                    return ContentVerdict.Unavailable;
                }
                switch (result.Value!.Suggest)
                {
                    case MsgSecSuggest.Risky:
                        return ContentVerdict.Risky;
                    case MsgSecSuggest.Review:
                        verdict = ContentVerdict.Review;
                        break;
                }
            }
            return verdict;
        }
        catch (WechatUnavailableException e)
        {
            Log.Unavailable(logger, e.ErrCode ?? 0, e.Message);
            return ContentVerdict.Unavailable;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "Content check unavailable (errcode {ErrCode}, {Detail}); accepted for a later check")]
        public static partial void Unavailable(ILogger logger, int errCode, string detail);
    }
}
