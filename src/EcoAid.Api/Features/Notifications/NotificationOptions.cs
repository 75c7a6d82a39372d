namespace EcoAid.Api.Features.Notifications;

/// <summary>Settings under <c>Notifications</c>: the dispatcher, the reminder scheduler and the template of each kind.</summary>
public sealed class NotificationOptions
{
    public DispatcherOptions Dispatcher { get; set; } = new();

    public ReminderOptions Reminders { get; set; } = new();

    /// <summary>Which version of the mini-program subscribe messages open: developer, trial or formal.</summary>
    public string MiniProgramState { get; set; } = "formal";

    /// <summary>
    /// Per notification kind (<see cref="NotificationKinds"/>): inbox wording, the mini-program page, and the WeChat
    /// templates it may be sent with. A kind without a section keeps the catalogue's wording and reaches the inbox only.
    /// </summary>
    public Dictionary<string, KindTemplateOptions> Templates { get; set; } = new(StringComparer.Ordinal);
}

public sealed class DispatcherOptions
{
    /// <summary>Run the dispatcher loop in this instance (it runs in every instance by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the loop looks for due rows; a full batch is followed by the next one at once.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many rows one claim takes.</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How many sends of a batch run at the same time.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>How long a claim holds its rows; rows of an instance that died are reclaimed after it.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rows claimed by an instance whose heartbeat is older than this are taken over (it beats every third of it).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many attempts a row that still fails transiently is parked.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first retry waits about this long; each further one twice as long (with jitter), up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a row waits after WeChat's daily quota of the API is used up (45009).</summary>
    public TimeSpan QuotaRetryDelay { get; set; } = TimeSpan.FromHours(1);
}

public sealed class ReminderOptions
{
    /// <summary>Run the reminder scheduler in this instance (it runs in every instance by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the scheduler looks for reminders to produce.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Working days before the due date on which the owner is reminded; 0 is the due date itself. Default 3 and 0.</summary>
    public int[]? DueSoonStages { get; set; }

    /// <summary>After this many overdue working days the service commissioners are told as well.</summary>
    public int EscalateToCommissionerAfter { get; set; } = 3;

    /// <summary>After this many overdue working days the branch secretary is told as well.</summary>
    public int EscalateToSecretaryAfter { get; set; } = 5;

    /// <summary>From this Asia/Shanghai time no reminder is pushed to WeChat (the inbox still gets it at once).</summary>
    public TimeOnly QuietHoursStart { get; set; } = new(21, 0);

    /// <summary>Reminders produced in quiet hours are pushed from this time on.</summary>
    public TimeOnly QuietHoursEnd { get; set; } = new(8, 0);

    public IReadOnlyList<int> Stages => DueSoonStages is { Length: > 0 } stages ? stages : [3, 0];
}

public sealed class KindTemplateOptions
{
    /// <summary>Inbox title; placeholders allowed.</summary>
    public string? Title { get; set; }

    /// <summary>Inbox text; placeholders allowed.</summary>
    public string? Summary { get; set; }

    /// <summary>The mini-program page the message opens, e.g. <c>pages/demand/detail?id={demandId}</c>.</summary>
    public string? Page { get; set; }

    /// <summary>The Official Account template message members get when they follow the account.</summary>
    public WechatTemplateOptions? OfficialAccount { get; set; }

    /// <summary>The mini-program subscribe message users get when they have an acceptance left.</summary>
    public WechatTemplateOptions? Subscribe { get; set; }
}

public sealed class WechatTemplateOptions
{
    /// <summary>The template id from the WeChat console.</summary>
    public string? TemplateId { get; set; }

    /// <summary>Keyword → value layout, e.g. <c>"thing2": "{enterpriseName}"</c>.</summary>
    public Dictionary<string, string> Data { get; set; } = new(StringComparer.Ordinal);
}
