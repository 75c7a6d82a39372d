namespace EcoAid.Api.Features.Notifications;

/// <summary>The states of an outbox row.</summary>
public static class OutboxStatus
{
    public const string Pending = "pending";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Skipped = "skipped";
    public const string Failed = "failed";
    public const string Parked = "parked";
}
