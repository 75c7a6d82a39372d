using EcoAid.Api.Infrastructure.Auth;

namespace EcoAid.Api.Features.Notifications;

/// <summary>What a placeholder's value is, which decides how it is written into a message.</summary>
public enum PlaceholderType
{
    /// <summary>Free text (titles, names, remarks).</summary>
    Text,
    /// <summary>An identifier made of letters, digits and symbols (SQ2026-0001, a status code).</summary>
    Code,
    /// <summary>A number.</summary>
    Number,
    /// <summary>A calendar date (<c>yyyy-MM-dd</c> in the payload), written as 2026年3月16日.</summary>
    Date,
    /// <summary>An instant (ISO-8601 in the payload), written in Asia/Shanghai as 2026年3月16日 09:30.</summary>
    Instant,
}

/// <summary>
/// One notification kind: who receives it (the roles whose users may be asked to subscribe to it), the payload fields
/// a template may name as <c>{placeholder}</c>, and the inbox wording and mini-program page used when the settings do not
/// give their own.
/// </summary>
public sealed record KindInfo(string Kind, string Description, IReadOnlyList<string> Audience, string DefaultTitle, string DefaultSummary,
    string DefaultPage, IReadOnlyDictionary<string, PlaceholderType> Placeholders);

/// <summary>
/// Every notification kind the service sends. A feature that enqueues a kind puts these payload fields in it (camelCase,
/// as <see cref="Outbox"/> serialises them); <c>{at}</c> (when it happened) is available to every kind and defaults to
/// when the row was queued. Settings may only name the placeholders listed here: startup checks that.
/// </summary>
public static class NotificationCatalog
{
    public const string At = "at";

    private static readonly string[] Owners = [Roles.Member, Roles.Commissioner, Roles.Secretary, Roles.DepartmentLiaison];
    private static readonly string[] TaskForce = [Roles.Member, Roles.Commissioner, Roles.Secretary];

    private static readonly Dictionary<string, PlaceholderType> DemandFields = new()
    {
        ["demandId"] = PlaceholderType.Number,
        ["number"] = PlaceholderType.Code,
        ["title"] = PlaceholderType.Text,
        ["enterpriseName"] = PlaceholderType.Text,
        ["category"] = PlaceholderType.Text,
    };

    // What DemandWorkflowApi puts in every workflow notification.
    private static readonly Dictionary<string, PlaceholderType> WorkflowFields = new(DemandFields)
    {
        ["status"] = PlaceholderType.Code,
        ["statusName"] = PlaceholderType.Text,
        ["text"] = PlaceholderType.Text,
        ["dueDate"] = PlaceholderType.Date,
    };

    // What the reminder scheduler puts in deadline reminders.
    private static readonly Dictionary<string, PlaceholderType> ReminderFields = new(DemandFields)
    {
        ["dueDate"] = PlaceholderType.Date,
        ["daysLeft"] = PlaceholderType.Number,
        ["overdueDays"] = PlaceholderType.Number,
        ["ownerName"] = PlaceholderType.Text,
    };

    private const string DemandPage = "pages/demand/detail?id={demandId}";

    public static readonly IReadOnlyDictionary<string, KindInfo> Kinds = new[]
    {
        new KindInfo(NotificationKinds.DemandSubmitted, "企业提交了新诉求（服务专员、包挂成员）", [Roles.Commissioner, Roles.Member],
            "新诉求待受理", "{enterpriseName}（{contactName}）提交了诉求：{title}", DemandPage,
            new Dictionary<string, PlaceholderType>(DemandFields) { ["submittedAt"] = PlaceholderType.Instant, ["contactName"] = PlaceholderType.Text }),
        new KindInfo(NotificationKinds.DemandAssigned, "诉求交由成员办理，或重新设定时限（责任人）", TaskForce,
            "诉求已交您办理", "{title}（{enterpriseName}），完成时限 {dueDate}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandTransferred, "诉求移交科室办理（科室联络人）", [Roles.DepartmentLiaison],
            "诉求已移交本科室办理", "{title}（{enterpriseName}），完成时限 {dueDate}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandUrged, "督办（责任人）", Owners,
            "诉求督办提醒", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.ExtensionRequested, "责任人申请延期（服务专员）", [Roles.Commissioner],
            "延期申请待审批", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.ExtensionDecided, "延期申请已批准或驳回（责任人）", Owners,
            "延期申请已处理", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandAccepted, "诉求已受理（企业联系人）", [Roles.Staff],
            "您的诉求已受理", "{title}，完成时限 {dueDate}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandProgress, "诉求有公开进展（企业联系人）", [Roles.Staff],
            "诉求有新进展", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandResolved, "诉求已办结，请企业确认（企业联系人）", [Roles.Staff],
            "诉求已办结，请确认", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandReopened, "企业反馈未解决，诉求重办（服务专员、责任人）", Owners,
            "企业反馈诉求未解决", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandReturned, "诉求被退回（企业联系人）", [Roles.Staff],
            "您的诉求已退回", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandWithdrawn, "企业撤回了诉求（责任人）", Owners,
            "企业已撤回诉求", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandDueChanged, "诉求完成时限调整（企业联系人）", [Roles.Staff],
            "诉求完成时限已调整", "{title}：新的完成时限 {dueDate}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandDueDateSet, "您负责的诉求完成时限重新设定（责任人）", Owners,
            "诉求完成时限已重新设定", "{title}（{enterpriseName}）：新的完成时限 {dueDate}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandReviewNeeded, "新诉求待人工审核（服务专员）", [Roles.Commissioner],
            "新诉求待审核", "{enterpriseName}（{contactName}）提交的诉求需人工审核（{verdict}）：{title}", DemandPage,
            new Dictionary<string, PlaceholderType>(DemandFields) { ["verdict"] = PlaceholderType.Text, ["contactName"] = PlaceholderType.Text }),
        new KindInfo(NotificationKinds.DemandReviewed, "诉求审核结果（提交的企业联系人）", [Roles.Staff],
            "诉求审核结果", "{title}：{text}", DemandPage, WorkflowFields),
        new KindInfo(NotificationKinds.DemandDueSoon, "临近完成时限（责任人；按设置的工作日节点提醒）", Owners,
            "诉求临近完成时限", "{title}：完成时限 {dueDate}，还剩 {daysLeft} 个工作日", DemandPage, ReminderFields),
        new KindInfo(NotificationKinds.DemandOverdue, "已逾期（责任人，每个工作日）", Owners,
            "诉求已逾期", "{title}：已逾期 {overdueDays} 个工作日（时限 {dueDate}）", DemandPage, ReminderFields),
        new KindInfo(NotificationKinds.DemandOverdueCommissioner, "逾期升级提醒（服务专员）", [Roles.Commissioner],
            "逾期诉求督办提醒", "{title}（责任人 {ownerName}）已逾期 {overdueDays} 个工作日", DemandPage, ReminderFields),
        new KindInfo(NotificationKinds.DemandOverdueSecretary, "逾期升级提醒（支部书记）", [Roles.Secretary],
            "逾期诉求提请关注", "{title}（责任人 {ownerName}）已逾期 {overdueDays} 个工作日", DemandPage, ReminderFields),
        new KindInfo(NotificationKinds.MaterialReceived, "收到资料清单（企业联系人）", [Roles.Staff],
            "收到资料清单", "{senderName}发来 {count} 个文件：{titles}", "pages/material/detail?id={materialId}",
            new Dictionary<string, PlaceholderType>
            {
                ["materialId"] = PlaceholderType.Number, ["title"] = PlaceholderType.Text, ["titles"] = PlaceholderType.Text, ["count"] = PlaceholderType.Number,
                ["senderName"] = PlaceholderType.Text, ["note"] = PlaceholderType.Text, ["enterpriseName"] = PlaceholderType.Text,
            }),
        new KindInfo(NotificationKinds.VisitDue, "本月回访提醒（包挂成员）", TaskForce,
            "本月回访提醒", "{enterpriseName} {month} 尚未回访", "pages/visit/new?enterpriseId={enterpriseId}",
            new Dictionary<string, PlaceholderType>
            {
                ["enterpriseId"] = PlaceholderType.Number, ["enterpriseName"] = PlaceholderType.Text, ["month"] = PlaceholderType.Code,
                ["lastVisitedOn"] = PlaceholderType.Date,
            }),
        new KindInfo(NotificationKinds.MeetingScheduled, "月度会商通知（专班成员）", TaskForce,
            "月度会商通知", "{title}：{when}，{place}", "pages/meeting/detail?id={meetingId}",
            new Dictionary<string, PlaceholderType>
            {
                ["meetingId"] = PlaceholderType.Number, ["title"] = PlaceholderType.Text, ["month"] = PlaceholderType.Code,
                ["heldAt"] = PlaceholderType.Date, ["when"] = PlaceholderType.Text, ["place"] = PlaceholderType.Text,
                ["at"] = PlaceholderType.Instant,
            }),
        // The programme's own tools (Features/Whistle, CreditRepair, Leniency).
        new KindInfo("whistle_report_in_due", "吹哨报到时限将到（服务专员、包挂成员）", [Roles.Commissioner, Roles.Member],
            "吹哨诉求待报到", "{enterpriseName}吹哨：{title}，请在 {deadlineAt} 前报到", DemandPage,
            new Dictionary<string, PlaceholderType>(DemandFields) { ["deadlineAt"] = PlaceholderType.Instant, ["reportInHours"] = PlaceholderType.Number }),
        new KindInfo("whistle_report_in_missed", "吹哨超时未报到（支部书记）", [Roles.Secretary],
            "吹哨诉求超时未报到", "{enterpriseName}吹哨：{title}，报到时限 {deadlineAt} 已过", DemandPage,
            new Dictionary<string, PlaceholderType>(DemandFields) { ["deadlineAt"] = PlaceholderType.Instant, ["reportInHours"] = PlaceholderType.Number }),
        new KindInfo("credit_repair_eligible", "信用修复可以申请（包挂成员）", TaskForce,
            "信用修复可以申请了", "{enterpriseName}：{title}，自 {earliestRepairOn} 起可申请信用修复", DemandPage,
            new Dictionary<string, PlaceholderType>(DemandFields) { ["earliestRepairOn"] = PlaceholderType.Date }),
        new KindInfo("leniency_follow_up_due", "免罚整改到期回访（包挂成员）", TaskForce,
            "免罚整改到期，请回访", "{enterpriseName} 整改期限 {rectifyBy} 已到，请回访核实", "pages/visit/new?enterpriseId={enterpriseId}",
            new Dictionary<string, PlaceholderType>
            {
                ["checkId"] = PlaceholderType.Number, ["enterpriseId"] = PlaceholderType.Number, ["enterpriseName"] = PlaceholderType.Text,
                ["rectifyBy"] = PlaceholderType.Date,
            }),
    }.ToDictionary(k => k.Kind, StringComparer.Ordinal);

    /// <summary>The placeholders of a kind, including <c>{at}</c>.</summary>
    public static PlaceholderType? TypeOf(KindInfo kind, string placeholder) =>
        kind.Placeholders.TryGetValue(placeholder, out var type) ? type : placeholder == At ? PlaceholderType.Instant : null;

    /// <summary>A kind that is not (yet) in the catalogue still reaches the inbox, with neutral wording.</summary>
    public static KindInfo Unknown(string kind) =>
        new(kind, kind, [], "新消息", "您有一条新消息", "", new Dictionary<string, PlaceholderType>());
}
