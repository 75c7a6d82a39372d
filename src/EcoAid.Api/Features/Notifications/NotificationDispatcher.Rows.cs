
namespace EcoAid.Api.Features.Notifications;

public sealed partial class NotificationDispatcher
{
    private sealed record Recipients(Dictionary<long, (long Id, string? OaOpenId, bool OaFollowing)> Members,
        Dictionary<long, List<(long Id, string OpenId)>> MemberUsers, Dictionary<long, string> Users, HashSet<(long UserId, string TemplateId)> Quotas)
    {
        public static readonly Recipients None = new([], [], [], []);
    }

    private sealed record Outcome(string Status, string? Channel, string? TemplateId = null, long? MsgId = null, string? Error = null,
        TimeSpan? RetryAfter = null, int AttemptDelta = 0, int? UnknownSends = null);

    private sealed class OutboxRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string RecipientType { get; init; } = "";
        public long RecipientId { get; init; }
        public long? DemandId { get; init; }
        public string Payload { get; init; } = "{}";
        public int Attempts { get; set; }
        public int UnknownSends { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? InboxAt { get; init; }
        public DateTimeOffset CreatedAtUtc => new(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc));

        private PayloadValues? values;

        /// <summary>The payload read once, for the inbox entry and the message alike.</summary>
        public PayloadValues ValuesFor(KindInfo kind) => values ??= new PayloadValues(kind, Payload, CreatedAtUtc);
    }
}
