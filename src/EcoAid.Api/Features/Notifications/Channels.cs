namespace EcoAid.Api.Features.Notifications;

/// <summary>Where a notification went.</summary>
public static class Channels
{
    public const string OfficialAccount = "official_account";
    public const string Subscribe = "subscribe";
    public const string Inbox = "inbox";
}
