namespace EcoAid.Api.Features.Notifications;

/// <summary>What one dispatch round did.</summary>
/// <param name="Inboxed">Inbox entries written.</param>
/// <param name="Claimed">Rows claimed for sending.</param>
/// <param name="Sent">Accepted by WeChat.</param>
/// <param name="Skipped">No WeChat channel for the recipient: inbox only.</param>
/// <param name="Retrying">Will be tried again later.</param>
/// <param name="Failed">Refused for good; the reason is kept on the row.</param>
/// <param name="Parked">Given up after the last attempt.</param>
/// <param name="Released">Handed back unsent because the round was cancelled.</param>
public sealed record DispatchResult(int Inboxed, int Claimed, int Sent, int Skipped, int Retrying, int Failed, int Parked, int Released)
{
    public static readonly DispatchResult Nothing = new(0, 0, 0, 0, 0, 0, 0, 0);
}
