using EcoAid.Api.Infrastructure.Database;
using EcoAid.Wechat;

namespace EcoAid.Api.Features.Notifications;

public sealed partial class NotificationDispatcher
{
    private async Task<Outcome> DeliverAsync(OutboxRow row, Recipients recipients, OfficialAccountApi officialAccount, MiniProgramApi miniProgram)
    {
        var template = templates.For(row.Kind);
        var values = row.ValuesFor(template.Info);
        var page = template.RenderPage(values);
        string? notFollowing = null;

        if (row.RecipientType == "member" && template.OfficialAccount is { } oa
            && recipients.Members.GetValueOrDefault(row.RecipientId) is { OaOpenId: { } oaOpenId, OaFollowing: true })
        {
            var outcome = await SendTemplateMessageAsync(row, oa, oaOpenId, values, page, officialAccount);
            if (outcome is not null)
            {
                return outcome;
            }
            // WeChat says the member no longer follows the account: the flag was stale. Try their next channel now.
            notFollowing = $"{Channels.OfficialAccount} {WechatErrorCodes.NotFollowing}: require subscribe";
            await MarkNotFollowingAsync(row.RecipientId, oaOpenId);
        }

        if (template.Subscribe is { } subscribe)
        {
            List<(long Id, string OpenId)> candidates = row.RecipientType == "user"
                ? recipients.Users.TryGetValue(row.RecipientId, out var openId) ? [(row.RecipientId, openId)] : []
                : recipients.MemberUsers.GetValueOrDefault(row.RecipientId) ?? [];
            foreach (var (userId, userOpenId) in candidates.Where(c => recipients.Quotas.Contains((c.Id, subscribe.TemplateId))))
            {
                if (await SubscribeQuota.TakeAsync(db, userId, subscribe.TemplateId, clock.GetUtcNow()))
                {
                    return await SendSubscribeMessageAsync(row, subscribe, userId, userOpenId, values, page, miniProgram);
                }
            }
        }

        var reason = template.OfficialAccount is null && template.Subscribe is null
            ? "inbox only: no WeChat template configured for this kind"
            : "inbox only: not following the Official Account and no subscribe acceptance left";
        return new Outcome(OutboxStatus.Skipped, Channels.Inbox, Error: notFollowing is null ? reason : $"{notFollowing}; {reason}");
    }

    /// <summary>The outcome, or null when WeChat answered 43004 (the member unfollowed) and the next channel should be tried.</summary>
    private async Task<Outcome?> SendTemplateMessageAsync(OutboxRow row, ChannelTemplate oa, string openId, PayloadValues values, string? page, OfficialAccountApi api)
    {
        var message = new TemplateMessage(openId, oa.TemplateId, oa.Render(values),
            MiniProgram: page is null ? null : new TemplateMiniProgram(wechat.Value.MiniProgram.AppId!, page),
            ClientMsgId: DatabaseIdentity.ClientMsgId(clientMsgIdPrefix!, row.Id));
        WechatResult<MessageSent> result;
        try
        {
            result = await api.SendTemplateMessageAsync(message, CancellationToken.None);
        }
        catch (Exception e) when (e is WechatUnavailableException or HttpRequestException or TaskCanceledException)
        {
            // Sent or not, a repeat with the same client_msg_id is delivered once: retry with back-off.
            return Retry(row, Channels.OfficialAccount, oa.TemplateId, $"{Channels.OfficialAccount} unavailable: {e.Message}");
        }
        if (result.Value is { } sent)
        {
            return new Outcome(OutboxStatus.Sent, Channels.OfficialAccount, oa.TemplateId, sent.Msgid);
        }
        var error = result.Error!;
        if (error.ErrCode == WechatErrorCodes.NotFollowing)
        {
            return null;
        }
        return Refused(row, Channels.OfficialAccount, oa.TemplateId, error);
    }

    private async Task<Outcome> SendSubscribeMessageAsync(OutboxRow row, ChannelTemplate subscribe, long userId, string openId, PayloadValues values,
        string? page, MiniProgramApi api)
    {
        var state = Options.MiniProgramState switch { "developer" => MiniProgramState.Developer, "trial" => MiniProgramState.Trial, _ => MiniProgramState.Formal };
        var message = new SubscribeMessage(openId, subscribe.TemplateId, subscribe.Render(values), page, state);
        WechatResult<MessageSent> result;
        try
        {
            result = await api.SendSubscribeMessageAsync(message, CancellationToken.None);
        }
        catch (Exception e) when (e is WechatUnavailableException or HttpRequestException or TaskCanceledException)
        {
            // Whether it went out is unknown. Our count takes the acceptance back (WeChat answers 43101 if it was used).
            await SubscribeQuota.GiveBackAsync(db, userId, subscribe.TemplateId, clock.GetUtcNow());
            return UnknownSubscribeOutcome(row, subscribe.TemplateId, $"{Channels.Subscribe} unavailable: {e.Message}");
        }
        if (result.Value is { } sent)
        {
            return new Outcome(OutboxStatus.Sent, Channels.Subscribe, subscribe.TemplateId, sent.Msgid);
        }
        var error = result.Error!;
        if (error.ErrCode == WechatErrorCodes.NoSubscriptionLeft)
        {
            // WeChat's count says none is left: ours was wrong. No retry: the user has to accept again.
            await SubscribeQuota.ResetAsync(db, userId, subscribe.TemplateId, clock.GetUtcNow());
        }
        else
        {
            await SubscribeQuota.GiveBackAsync(db, userId, subscribe.TemplateId, clock.GetUtcNow());
        }
        return error.Kind == WechatErrorKind.Transient
            ? UnknownSubscribeOutcome(row, subscribe.TemplateId, Describe(Channels.Subscribe, error))
            : Refused(row, Channels.Subscribe, subscribe.TemplateId, error);
    }

    // A subscribe message has no de-duplication key: after an unknown outcome it is tried at most once more.
    private Outcome UnknownSubscribeOutcome(OutboxRow row, string templateId, string error) =>
        row.UnknownSends >= 1
            ? Failed(row, Channels.Subscribe, templateId, $"{error}; outcome unknown twice, not retried (subscribe messages have no de-duplication key)")
            : Retry(row, Channels.Subscribe, templateId, error) with { UnknownSends = row.UnknownSends + 1 };

    private Outcome Refused(OutboxRow row, string channel, string templateId, WechatError error)
    {
        var text = Describe(channel, error);
        return error.Kind switch
        {
            WechatErrorKind.QuotaExceeded => new Outcome(OutboxStatus.Pending, channel, templateId, Error: text,
                RetryAfter: error.ErrCode == WechatErrorCodes.MinuteQuotaReached ? TimeSpan.FromMinutes(1) : Options.Dispatcher.QuotaRetryDelay,
                AttemptDelta: -1), // WeChat's daily quota is not this row's fault: it does not count towards parking
            WechatErrorKind.Transient or WechatErrorKind.TokenInvalid => Retry(row, channel, templateId, text),
            _ => Failed(row, channel, templateId, text),
        };
    }

    private Outcome Failed(OutboxRow row, string channel, string templateId, string error)
    {
        Log.Failed(logger, row.Id, row.Kind, channel, error);
        return new Outcome(OutboxStatus.Failed, channel, templateId, Error: error);
    }

    private Outcome Retry(OutboxRow row, string? channel, string? templateId, string error)
    {
        if (row.Attempts >= Options.Dispatcher.MaxAttempts)
        {
            Log.Parked(logger, row.Id, row.Kind, row.Attempts);
            return new Outcome(OutboxStatus.Parked, channel, templateId, Error: error);
        }
        return new Outcome(OutboxStatus.Pending, channel, templateId, Error: error, RetryAfter: Backoff(row.Attempts));
    }

    /// <summary>Exponential back-off with "equal jitter": half the delay fixed, half random, so retries of a burst spread out.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var d = Options.Dispatcher;
        var seconds = Math.Min(d.RetryBaseDelay.TotalSeconds * Math.Pow(2, Math.Min(attempts - 1, 30)), d.RetryMaxDelay.TotalSeconds);
        return TimeSpan.FromSeconds(seconds / 2 + Random.Shared.NextDouble() * seconds / 2);
    }

    private static string Describe(string channel, WechatError error) => $"{channel} {error.ErrCode}: {error.ErrMsg}";
}
