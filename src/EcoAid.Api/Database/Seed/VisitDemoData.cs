using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Features.Stats;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// Visits and meetings of the demo programme (Demo:Seed only), after the demo demands: an expert pool with the experts
/// of the cases (a paint-room expert for 蒂尼倍斯特, an air-volume and air-speed expert for 新阳光木业, a hazardous-waste
/// expert), the follow-up visits of September–November 2024 to the four enterprises, and the monthly meetings of those
/// months — September's raised 南方永磁's credit repair (SQ2024-0001). The experts' names, organisations and phone
/// numbers are made up and marked 演示. Agendas are written as the generator would have built them on the meeting day.
/// The present is dated from the day the demo is loaded: a visit earlier this month and last month's meeting.
/// </summary>
public sealed partial class VisitDemoData(MySqlDataSource db, TimeProvider clock, ILogger<VisitDemoData> logger) : IStartupDataStep
{
    private static readonly (string Key, string Name, string Specialty, string Organisation, string Phone)[] Experts =
    [
        ("paint", "周明（演示）", "涂装废气治理：喷漆房密闭与废气收集", "某环保技术服务中心（演示）", "13700000011"),
        ("air", "孙立（演示）", "通风与废气收集：风量、风速检测", "某环境检测有限公司（演示）", "13700000012"),
        ("waste", "钱进（演示）", "危险废物规范化管理", "某固废处置技术咨询公司（演示）", "13700000013"),
    ];

    private sealed record DemoVisit(string On, string Enterprise, string Kind, string[] Members, string[] Experts, string Findings, string Recorder,
        string? DemandNumber = null);

    private static readonly DemoVisit[] Visits =
    [
        new("2024-09-10", "江苏南方永磁科技有限公司", "follow_up", ["刘洋"], [],
            "了解企业生产经营和环保设施运行情况。企业反映因历史环境违法行为被评为环境信用较低等级，影响招投标和融资，提请支部月度会商研究。", "demo-member"),
        new("2024-09-18", "江苏蒂尼倍斯特家具有限公司", "expert", ["陈磊"], ["paint"],
            "专家到喷漆房现场查看：部分喷漆作业在喷漆房外进行，喷漆房密闭不严、废气收集不完善，提出一企一策整改建议。", "demo-commissioner"),
        new("2024-09-25", "徐州新阳光木业有限公司", "follow_up", ["赵敏"], [],
            "回访了解生产情况。企业对活性炭吸附装置的更换周期和处理效率心里没底，建议请专家现场核查。", "demo-commissioner"),
        new("2024-09-26", "江苏金发再生资源有限公司", "follow_up", ["张伟"], [],
            "回访了解再生资源回收和危废管理情况，发放危险废物规范化管理资料。", "demo-commissioner"),
        new("2024-10-09", "江苏金发再生资源有限公司", "follow_up", ["张伟"], ["waste"],
            "危废暂存间分区、标识不规范，危险废物管理台账记录不完整，现场交办整改。", "demo-commissioner", "SQ2024-0003"),
        new("2024-10-23", "江苏金发再生资源有限公司", "onsite", ["张伟"], [],
            "现场指导暂存间分区、防渗和标识设置，讲解台账填写要求。", "demo-commissioner"),
        new("2024-10-24", "徐州新阳光木业有限公司", "expert", ["赵敏"], ["air"],
            "专家现场检测吸附箱进出口风量与过滤风速，核算活性炭装填量和更换周期，风量、风速符合设计要求。", "demo-commissioner"),
        new("2024-10-28", "江苏南方永磁科技有限公司", "follow_up", ["刘洋"], [],
            "回访信用修复结果：企业环境信用等级已恢复，招投标和融资不再受限，企业表示满意。", "demo-member"),
        new("2024-10-31", "江苏蒂尼倍斯特家具有限公司", "follow_up", ["陈磊"], [],
            "复核喷漆房整改：喷漆作业已全部进入密闭喷漆房，废气收集处理设施运行正常。", "demo-commissioner"),
        new("2024-11-08", "徐州新阳光木业有限公司", "follow_up", ["赵敏"], [],
            "回访活性炭更换台账建立情况，台账记录完整，更换周期明确。", "demo-commissioner"),
        new("2024-11-15", "江苏南方永磁科技有限公司", "follow_up", ["刘洋"], [],
            "回访企业新建生产线计划，提醒提前办理环评手续，相关咨询已在办理中。", "demo-member"),
        new("2024-11-19", "江苏蒂尼倍斯特家具有限公司", "onsite", ["刘洋", "陈磊"], [],
            "现场查看开料车间集气罩设置，建议增设集气罩并更换布袋。", "demo-member"),
        new("2024-11-28", "江苏金发再生资源有限公司", "follow_up", ["张伟"], [],
            "会商后补充回访：危废暂存间已按要求分区并设置标识，台账正在完善，督促年底前完成。", "demo-commissioner"),
    ];

    private sealed record DemoItem(string Reason, string? DemandNumber, string Enterprise, string? DueDate, string Note);

    private sealed record DemoDecision(string DemandNumber, int? AgendaSeq, string Kind, string Text, string At, string? EventKind);

    private sealed record DemoMeeting(string Month, string HeldOn, string GeneratedAt, DemoItem[] Agenda, DemoDecision[] Decisions);

    private static readonly DemoMeeting[] Meetings =
    [
        new("2024-09-01", "2024-09-12", "2024-09-12T01:00:00Z",
        [
            new("not_visited", null, "徐州新阳光木业有限公司", null, "2024年9月尚无回访记录，包挂成员：赵敏"),
            new("not_visited", null, "江苏蒂尼倍斯特家具有限公司", null, "2024年9月尚无回访记录，包挂成员：陈磊"),
            new("not_visited", null, "江苏金发再生资源有限公司", null, "2024年9月尚无回访记录，包挂成员：张伟"),
        ],
        [
            // The transfer itself is the demand's ordinary acceptance; the decision points at that timeline event.
            new("SQ2024-0001", null, "note", "会上提出：南方永磁因历史环境违法行为信用等级较低，影响招投标和融资，移交法制宣传科指导信用修复，10 月底前完成。",
                "2024-09-12T03:00:00Z", null),
        ]),
        new("2024-10-01", "2024-10-29", "2024-10-29T06:00:00Z",
        [
            new("not_visited", null, "江苏蒂尼倍斯特家具有限公司", null, "2024年10月尚无回访记录，包挂成员：陈磊"),
        ],
        [
            new("SQ2024-0003", null, "urge", "危废台账建立进度偏慢，请张伟 11 月底前完成暂存间规范化，年底前建好台账。", "2024-10-29T06:30:00Z", "urged"),
        ]),
        new("2024-11-01", "2024-11-27", "2024-11-27T06:00:00Z",
        [
            new("transferred", "SQ2024-0005", "江苏南方永磁科技有限公司", "2025-01-15", "移交邳州生态环境综合行政执法局办理，完成时限 2025-01-15"),
            new("whistle", "SQ2024-0007", "江苏蒂尼倍斯特家具有限公司", "2024-12-20", "2024-11-12 企业吹哨，当前状态：办理中"),
            new("not_visited", null, "江苏金发再生资源有限公司", null, "2024年11月尚无回访记录，包挂成员：张伟"),
        ],
        [
            new("SQ2024-0005", 1, "urge", "请局本级 12 月底前明确环评类别，指导企业准备报批材料。", "2024-11-27T06:30:00Z", "urged"),
            new("SQ2024-0006", null, "note", "初期雨水收集池容积问题由张伟尽快受理，并联系企业了解雨污分流改造进度。", "2024-11-27T06:40:00Z", "meeting_note"),
        ]),
    ];

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var branchId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM party_branches WHERE name = @BranchName", new { DemoData.BranchName }, cancellationToken: ct));
        if (branchId is null
            || !await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM demands WHERE branch_id = @branchId)", new { branchId }, cancellationToken: ct))
            || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM experts WHERE branch_id = @branchId) OR EXISTS (SELECT 1 FROM meetings WHERE branch_id = @branchId)",
                new { branchId }, cancellationToken: ct)))
        {
            return;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        async Task<long> Scalar(string sql, object args) =>
            await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, args, tx, cancellationToken: ct));
        Task<long> IdOf(string table, string name) => Scalar($"SELECT id FROM {table} WHERE name = @name AND branch_id = @branchId", new { name, branchId });
        Task<long> UserOf(string openId) => Scalar("SELECT id FROM users WHERE openid = @openId", new { openId });
        Task<long> DemandOf(string number) => Scalar("SELECT id FROM demands WHERE number = @number AND branch_id = @branchId", new { number, branchId });
        static DateTime At(string instant) => DateTime.Parse(instant, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        static DateTime Day(string day) => DateTime.Parse(day, System.Globalization.CultureInfo.InvariantCulture);

        var experts = new Dictionary<string, long>();
        foreach (var x in Experts)
        {
            experts[x.Key] = await Scalar("""
                INSERT INTO experts (branch_id, name, specialty, organisation, phone, created_at, updated_at)
                VALUES (@branchId, @Name, @Specialty, @Organisation, @Phone, @at, @at); SELECT LAST_INSERT_ID();
                """, new { branchId, x.Name, x.Specialty, x.Organisation, x.Phone, at = At("2024-09-01T00:00:00Z") });
        }

        foreach (var v in Visits)
        {
            // Recorded on the visit's day, 09:30 Shanghai time.
            var createdAt = Day(v.On).AddHours(1.5);
            var visitId = await Scalar("""
                INSERT INTO visits (branch_id, enterprise_id, visited_on, kind, findings, recorded_by, created_at)
                VALUES (@branchId, @enterpriseId, @on, @Kind, @Findings, @recorder, @createdAt); SELECT LAST_INSERT_ID();
                """, new
            {
                branchId, enterpriseId = await IdOf("enterprises", v.Enterprise), on = Day(v.On), v.Kind, v.Findings,
                recorder = await UserOf(v.Recorder), createdAt,
            });
            foreach (var member in v.Members)
            {
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_members (visit_id, member_id) VALUES (@visitId, @memberId)",
                    new { visitId, memberId = await IdOf("members", member) }, tx, cancellationToken: ct));
            }
            foreach (var expert in v.Experts)
            {
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_experts (visit_id, expert_id) VALUES (@visitId, @expertId)",
                    new { visitId, expertId = experts[expert] }, tx, cancellationToken: ct));
            }
            if (v.DemandNumber is { } number)
            {
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_demands (visit_id, demand_id) VALUES (@visitId, @demandId)",
                    new { visitId, demandId = await DemandOf(number) }, tx, cancellationToken: ct));
            }
        }

        var secretary = await UserOf("demo-secretary");
        var windowStart = Periods.StartUtc(new DateOnly(2024, 8, 1));
        foreach (var m in Meetings)
        {
            var generatedAt = At(m.GeneratedAt);
            var meetingId = await Scalar("""
                INSERT INTO meetings (branch_id, month, held_on, location, window_start, generated_at, created_by, created_at)
                VALUES (@branchId, @month, @heldOn, '支部会议室', @windowStart, @generatedAt, @secretary, @generatedAt); SELECT LAST_INSERT_ID();
                """, new { branchId, month = Day(m.Month), heldOn = Day(m.HeldOn), windowStart, generatedAt, secretary });
            windowStart = generatedAt;
            var items = new List<long>();
            for (var i = 0; i < m.Agenda.Length; i++)
            {
                var item = m.Agenda[i];
                items.Add(await Scalar("""
                    INSERT INTO meeting_agenda_items (meeting_id, seq, reason, demand_id, enterprise_id, due_date, note)
                    VALUES (@meetingId, @seq, @Reason, @demandId, @enterpriseId, @due, @Note); SELECT LAST_INSERT_ID();
                    """, new
                {
                    meetingId, seq = i + 1, item.Reason, demandId = item.DemandNumber is { } n ? await DemandOf(n) : (long?)null,
                    enterpriseId = await IdOf("enterprises", item.Enterprise), due = item.DueDate is { } d ? Day(d) : (DateTime?)null, item.Note,
                }));
            }
            foreach (var decision in m.Decisions)
            {
                var demandId = await DemandOf(decision.DemandNumber);
                var at = At(decision.At);
                long eventId;
                if (decision.EventKind is { } kind)
                {
                    // As the workflow would: the event on the demand's timeline, the version moved on.
                    var label = $"{Periods.ChineseMonth(DateOnly.FromDateTime(Day(m.Month)))}会商决定";
                    eventId = await Scalar("""
                        INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                        VALUES (@demandId, @secretary, @kind, 'internal', @text, @details, @at); SELECT LAST_INSERT_ID();
                        """, new { demandId, secretary, kind, text = $"{label}：{decision.Text}", details = EventDetails.Decision(meetingId, decision.Kind), at });
                    await connection.ExecuteAsync(new CommandDefinition(
                        "UPDATE demands SET version = version + 1, updated_at = GREATEST(updated_at, @at) WHERE id = @demandId",
                        new { demandId, at }, tx, cancellationToken: ct));
                }
                else
                {
                    eventId = await Scalar("SELECT id FROM demand_events WHERE demand_id = @demandId AND kind IN ('claimed', 'transferred') ORDER BY id LIMIT 1",
                        new { demandId });
                }
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO meeting_decisions (meeting_id, agenda_item_id, demand_id, kind, text, demand_event_id, decided_by, created_at)
                    VALUES (@meetingId, @itemId, @demandId, @Kind, @Text, @eventId, @secretary, @at)
                    """, new
                {
                    meetingId, itemId = decision.AgendaSeq is { } seq ? items[seq - 1] : (long?)null, demandId, decision.Kind, decision.Text, eventId,
                    secretary, at,
                }, tx, cancellationToken: ct));
            }
        }

        var present = await PresentAsync(connection, tx, branchId.Value, windowStart, ct);

        await tx.CommitAsync(ct);
        Log.Loaded(logger, Experts.Length, Visits.Length + present.Visits, Meetings.Length + present.Meetings);
    }

    /// <summary>
    /// The present, relative to the load day (Asia/Shanghai): a follow-up visit a few days ago in this month, and last
    /// month's meeting held on a working day around the 20th with an agenda the generator could have written. A meeting
    /// month the 2024 story already has is left to the story.
    /// </summary>
    private async Task<(int Visits, int Meetings)> PresentAsync(MySqlConnection connection, MySqlTransaction tx, long branchId, DateTime windowStart,
        CancellationToken ct)
    {
        async Task<long> Scalar(string sql, object args) =>
            await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql, args, tx, cancellationToken: ct));
        var today = Features.Calendar.WorkingCalendar.Today(clock.GetUtcNow());
        var calendar = await Features.Calendar.CalendarApi.LoadAsync(connection, tx, today, ct);
        var enterprise = await Scalar("SELECT id FROM enterprises WHERE name = '江苏南方永磁科技有限公司' AND branch_id = @branchId", new { branchId });
        var member = await Scalar("SELECT id FROM members WHERE name = '刘洋' AND branch_id = @branchId", new { branchId });
        var recorder = await Scalar("SELECT id FROM users WHERE openid = 'demo-member'", new { });
        var secretary = await Scalar("SELECT id FROM users WHERE openid = 'demo-secretary'", new { });

        var firstOfMonth = new DateOnly(today.Year, today.Month, 1);
        var visitedOn = today.AddDays(-3) < firstOfMonth ? firstOfMonth : today.AddDays(-3);
        var visitId = await Scalar("""
            INSERT INTO visits (branch_id, enterprise_id, visited_on, kind, findings, recorded_by, created_at)
            VALUES (@branchId, @enterprise, @on, 'follow_up', @findings, @recorder, @createdAt); SELECT LAST_INSERT_ID();
            """, new
        {
            branchId, enterprise, on = visitedOn.ToDateTime(TimeOnly.MinValue), recorder, createdAt = visitedOn.ToDateTime(TimeOnly.MinValue).AddHours(1.5),
            findings = "回访企业新建生产线环评手续进展，企业已按要求准备报批材料；了解本月危废转移联单填报情况，未发现新问题。",
        });
        await connection.ExecuteAsync(new CommandDefinition("INSERT INTO visit_members (visit_id, member_id) VALUES (@visitId, @member)",
            new { visitId, member }, tx, cancellationToken: ct));

        var lastMonth = firstOfMonth.AddMonths(-1);
        if (lastMonth <= new DateOnly(2024, 11, 1))
        {
            return (1, 0);
        }
        var heldOn = new DateOnly(lastMonth.Year, lastMonth.Month, 20);
        while (!calendar.IsWorkingDay(heldOn))
        {
            heldOn = heldOn.AddDays(1);
        }
        // Generated on the meeting's morning, 09:00 Shanghai time.
        var generatedAt = heldOn.ToDateTime(TimeOnly.MinValue).AddHours(1);
        var meetingId = await Scalar("""
            INSERT INTO meetings (branch_id, month, held_on, location, window_start, generated_at, created_by, created_at)
            VALUES (@branchId, @month, @heldOn, '支部会议室', @windowStart, @generatedAt, @secretary, @generatedAt); SELECT LAST_INSERT_ID();
            """, new
        {
            branchId, month = lastMonth.ToDateTime(TimeOnly.MinValue), heldOn = heldOn.ToDateTime(TimeOnly.MinValue), windowStart, generatedAt, secretary,
        });
        var notVisited = await connection.QueryAsync<(long Id, string Name, string? Liaison)>(new CommandDefinition("""
            SELECT e.id, e.name, m.name FROM enterprises e LEFT JOIN members m ON m.id = e.liaison_member_id
            WHERE e.branch_id = @branchId AND e.id <> @enterprise ORDER BY e.id LIMIT 1
            """, new { branchId, enterprise }, tx, cancellationToken: ct));
        var seq = 0;
        foreach (var e in notVisited)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO meeting_agenda_items (meeting_id, seq, reason, enterprise_id, note)
                VALUES (@meetingId, @seq, 'not_visited', @Id, @note)
                """, new
            {
                meetingId, seq = ++seq, e.Id,
                note = $"{Periods.ChineseMonth(lastMonth)}尚无回访记录" + (e.Liaison is { } name ? $"，包挂成员：{name}" : ""),
            }, tx, cancellationToken: ct));
        }
        return (1, 1);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7030, Level = LogLevel.Information, Message = "Loaded {Experts} demo experts, {Visits} demo visits and {Meetings} demo meetings")]
        public static partial void Loaded(ILogger logger, int experts, int visits, int meetings);
    }
}
