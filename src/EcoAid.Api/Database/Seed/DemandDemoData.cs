using EcoAid.Api.Features.Organisation;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// The seven demands of the demo programme (Demo:Seed only): five 污染治理, one 环评审批, one 信用修复; two transferred to
/// bureau departments, five claimed by the branch. Four follow the real cases of the programme; the other three are
/// illustrative and say so. Dates are those of the 2024 programme, all closed by now (the history); texts are written by us.
/// A current slice (<see cref="Current"/>) is dated relative to the day the demo is loaded, so the dev run lives in the
/// present: open items due in the coming weeks, one a little overdue, one just submitted.
/// </summary>
public sealed class DemandDemoData(MySqlDataSource db, TimeProvider clock, ILogger<DemandDemoData> logger) : IStartupDataStep
{
    private sealed record Step(string Kind, string Visibility, string Actor, string Text, string At);

    private sealed record Demo(string Enterprise, string Category, string Source, string Title, string Description, string Status,
        string Submitter, string SubmittedAt, string? Objective, string[] Measures, string? Owner, string? Department, string? DueDate,
        string? Resolution, int? Satisfaction, string? Comment, Step[] Steps);

    private static readonly Demo[] Demos =
    [
        new("江苏南方永磁科技有限公司", "credit_repair", "symposium", "环境信用修复",
            "企业因历史环境违法行为被列入环境信用评价较低等级，影响招投标和融资，希望了解信用修复条件并获得申报指导。",
            "closed", "demo-commissioner", "2024-09-12T02:00:00Z", "帮助企业完成环境信用修复",
            ["法制宣传科与执法局联合会商，梳理修复条件", "指导企业准备整改完成证明材料", "指导企业线上提交信用修复申请", "跟踪审核结果"],
            null, "法制宣传科", "2024-10-31", "已指导企业通过线上渠道提交信用修复申请并审核通过，信用等级已恢复。", 5, "流程讲得很清楚，少跑了很多腿。",
            [
                new("transferred", "public", "demo-commissioner", "9 月支部月度会商提出，移交法制宣传科办理，完成时限 2024-10-31", "2024-09-12T03:00:00Z"),
                new("progress", "internal", "demo-liaison", "法制宣传科与执法局召开联合会商，确认企业已完成整改、罚款已缴清，符合修复条件。", "2024-09-19T06:00:00Z"),
                new("progress", "public", "demo-liaison", "已向企业说明信用修复所需材料清单，并指导线上申报。", "2024-09-26T06:00:00Z"),
                new("resolved", "public", "demo-liaison", "已指导企业通过线上渠道提交信用修复申请并审核通过，信用等级已恢复。", "2024-10-22T06:00:00Z"),
                new("confirmed", "public", "demo-staff", "企业确认已解决，满意度 5 分：流程讲得很清楚，少跑了很多腿。", "2024-10-24T06:00:00Z"),
            ]),
        new("江苏蒂尼倍斯特家具有限公司", "pollution_control", "mee_assignment", "喷漆作业不规范（监督帮扶交办）",
            "生态环境部监督帮扶发现喷漆房废气收集不完善、部分喷漆作业在喷漆房外进行，需限期整改。",
            "closed", "demo-commissioner", "2024-09-05T02:00:00Z", "喷漆作业全部进入密闭喷漆房，废气有效收集处理",
            ["组织专家到喷漆房现场诊断", "制定一企一策整改方案", "跟踪整改进度并复核"],
            "陈磊", null, "2024-10-31", "喷漆作业已全部进入密闭喷漆房，废气收集和处理设施完成改造，复核达标。", 5, null,
            [
                new("claimed", "public", "demo-commissioner", "由陈磊认领办理，完成时限 2024-10-31", "2024-09-05T03:00:00Z"),
                new("expert", "public", "demo-member", "专家到喷漆房现场查看废气收集情况，提出针对性整改建议。", "2024-09-18T02:00:00Z"),
                new("progress", "public", "demo-member", "已与企业确定一企一策整改方案，企业按方案改造喷漆房。", "2024-09-30T02:00:00Z"),
                new("resolved", "public", "demo-member", "喷漆作业已全部进入密闭喷漆房，废气收集和处理设施完成改造，复核达标。", "2024-10-29T02:00:00Z"),
                new("confirmed", "public", "demo-commissioner", "企业确认已解决，满意度 5 分", "2024-10-31T02:00:00Z"),
            ]),
        new("江苏金发再生资源有限公司", "pollution_control", "visit", "危险废物贮存不规范",
            "危废暂存间分区、标识不规范，危险废物管理台账记录不完整，企业希望得到现场指导。",
            "closed", "demo-commissioner", "2024-10-09T02:00:00Z", "危废暂存间规范化，台账完整可追溯",
            ["发放危险废物规范化管理资料", "现场指导暂存间分区与标识", "指导建立危险废物管理台账"],
            "张伟", null, "2024-12-31", "暂存间分区、防渗和标识已整改到位，危险废物管理台账已建立并按月登记。", 5, null,
            [
                new("claimed", "public", "demo-commissioner", "由张伟认领办理，完成时限 2024-12-31", "2024-10-09T03:00:00Z"),
                new("progress", "public", "demo-commissioner", "已向企业发放危险废物贮存与台账管理资料。", "2024-10-15T02:00:00Z"),
                new("onsite", "public", "demo-commissioner", "现场指导暂存间分区、防渗和标识设置，讲解台账填写要求。", "2024-10-23T02:00:00Z"),
                new("resolved", "public", "demo-commissioner", "暂存间分区、防渗和标识已整改到位，危险废物管理台账已建立并按月登记。", "2024-12-18T02:00:00Z"),
                new("confirmed", "public", "demo-commissioner", "企业确认已解决，满意度 5 分", "2024-12-20T02:00:00Z"),
            ]),
        new("徐州新阳光木业有限公司", "pollution_control", "survey", "活性炭吸附箱运行维护",
            "活性炭吸附装置更换周期不明确，担心处理效率不达标，希望专家帮助核查。",
            "closed", "demo-commissioner", "2024-10-10T02:00:00Z", "活性炭吸附装置风量、风速符合设计要求，建立更换台账",
            ["专家现场检测风量与风速", "核算活性炭装填量与更换周期", "指导建立更换记录"],
            "赵敏", null, "2024-11-15", "专家检测风量、风速符合要求，已明确更换周期并建立更换台账。", 4, "希望以后定期来看看。",
            [
                new("claimed", "public", "demo-commissioner", "由赵敏认领办理，完成时限 2024-11-15", "2024-10-10T03:00:00Z"),
                new("expert", "public", "demo-member", "专家现场检测吸附箱进出口风量与过滤风速，核算活性炭装填量。", "2024-10-24T02:00:00Z"),
                new("resolved", "public", "demo-member", "专家检测风量、风速符合要求，已明确更换周期并建立更换台账。", "2024-11-04T02:00:00Z"),
                new("confirmed", "public", "demo-commissioner", "企业确认已解决，满意度 4 分：希望以后定期来看看。", "2024-11-06T02:00:00Z"),
            ]),
        new("江苏南方永磁科技有限公司", "eia_approval", "mini_program", "新建生产线环评手续咨询（示例）",
            "【示例数据】企业计划新建一条生产线，咨询环评类别判定和审批流程。",
            "closed", "demo-staff", "2024-11-05T02:00:00Z", "明确环评类别并指导企业准备报批材料",
            ["对照名录判定环评类别", "指导编制报批材料"],
            null, "邳州生态环境综合行政执法局", "2025-01-15", "【示例数据】已对照名录明确环评类别，指导企业备齐报批材料。", 5, null,
            [
                new("transferred", "public", "demo-commissioner", "移交邳州生态环境综合行政执法局办理，完成时限 2025-01-15", "2024-11-05T06:00:00Z"),
                new("resolved", "public", "demo-commissioner", "【示例数据】已对照名录明确环评类别，指导企业备齐报批材料。", "2025-01-08T02:00:00Z"),
                new("confirmed", "public", "demo-staff", "企业确认已解决，满意度 5 分", "2025-01-10T02:00:00Z"),
            ]),
        new("江苏金发再生资源有限公司", "pollution_control", "mini_program", "初期雨水收集池设置咨询（示例）",
            "【示例数据】厂区雨污分流改造中，咨询初期雨水收集池容积如何确定。",
            "closed", "demo-commissioner", "2024-11-20T02:00:00Z", "【示例数据】按汇水面积核定初期雨水收集池容积",
            ["核算汇水面积与初期雨水量", "指导收集池与切换阀设置"],
            "张伟", null, "2025-01-10", "【示例数据】已按汇水面积核定收集池容积，企业完成切换阀改造。", 4, null,
            [
                new("claimed", "public", "demo-commissioner", "由张伟认领办理，完成时限 2025-01-10", "2024-11-28T02:00:00Z"),
                new("resolved", "public", "demo-commissioner", "【示例数据】已按汇水面积核定收集池容积，企业完成切换阀改造。", "2024-12-26T02:00:00Z"),
                new("confirmed", "public", "demo-commissioner", "企业确认已解决，满意度 4 分", "2024-12-30T02:00:00Z"),
            ]),
        new("江苏蒂尼倍斯特家具有限公司", "pollution_control", "whistle", "木工粉尘收集效果差（示例）",
            "【示例数据】企业吹哨：开料车间粉尘收集效果不好，请求指导除尘系统改造。",
            "closed", "demo-commissioner", "2024-11-12T02:00:00Z", "开料车间粉尘有效收集",
            ["现场查看集气罩设置", "指导除尘系统改造"],
            "刘洋", null, "2024-12-20", "已指导企业增设集气罩并更换布袋，收集效果明显改善。", 5, null,
            [
                new("claimed", "public", "demo-commissioner", "由刘洋认领办理，完成时限 2024-12-20", "2024-11-12T03:00:00Z"),
                new("onsite", "public", "demo-member", "现场查看开料车间集气罩设置，建议增设集气罩并更换布袋。", "2024-11-19T02:00:00Z"),
                new("resolved", "public", "demo-member", "已指导企业增设集气罩并更换布袋，收集效果明显改善。", "2024-12-10T02:00:00Z"),
                new("confirmed", "public", "demo-commissioner", "企业确认已解决，满意度 5 分", "2024-12-13T02:00:00Z"),
            ]),
    ];

    /// <summary>The present: four open demands dated from <paramref name="today"/> (Asia/Shanghai) on the national calendar.</summary>
    private static Demo[] Current(DateOnly today, Features.Calendar.WorkingCalendar calendar)
    {
        DateOnly Back(int workingDays)
        {
            var day = today;
            for (var n = 0; n < workingDays;)
            {
                day = day.AddDays(-1);
                n += calendar.IsWorkingDay(day) ? 1 : 0;
            }
            return day;
        }
        static string At(DateOnly day, int hourUtc = 2) => $"{day:yyyy-MM-dd}T{hourUtc:00}:00:00Z";
        static string Date(DateOnly day) => day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var soon = calendar.AddWorkingDays(today, 8);
        var later = calendar.AddWorkingDays(today, 15);
        var overdue = Back(2);
        return
        [
            new("江苏南方永磁科技有限公司", "pollution_control", "mini_program", "烧结车间无组织废气收集（示例）",
                "【示例数据】烧结车间门窗开启时有无组织废气逸散，希望指导集气改造方案。",
                "accepted", "demo-staff", At(Back(12)), "烧结车间废气有效收集，无组织排放达标",
                ["现场查看集气罩与车间密闭情况", "指导制定集气改造方案", "改造后复核"],
                "刘洋", null, Date(soon), null, null, null,
                [
                    new("claimed", "public", "demo-commissioner", $"由刘洋认领办理，完成时限 {Date(soon)}", At(Back(11))),
                    new("onsite", "public", "demo-member", "【示例数据】已到烧结车间现场查看，建议增设软帘并调整集气罩位置。", At(Back(6))),
                ]),
            new("江苏金发再生资源有限公司", "credit_repair", "symposium", "行政处罚信息信用修复咨询（示例）",
                "【示例数据】企业去年受到一次行政处罚，整改已完成，咨询信用修复的条件与流程。",
                "accepted", "demo-commissioner", At(Back(5)), "指导企业符合条件后申请信用修复",
                ["核对处罚决定履行情况", "讲解信用修复条件与材料", "指导线上申请"],
                null, "法制宣传科", Date(later), null, null, null,
                [
                    new("transferred", "public", "demo-commissioner", $"移交法制宣传科（责任人 孙静）办理，完成时限 {Date(later)}", At(Back(4))),
                ]),
            new("江苏蒂尼倍斯特家具有限公司", "pollution_control", "visit", "活性炭更换记录不全（示例）",
                "【示例数据】回访发现喷漆房活性炭更换记录缺页，需补齐记录并明确更换周期。",
                "accepted", "demo-commissioner", At(Back(20)), "更换记录完整，周期明确",
                ["核对采购与更换凭证", "指导建立更换台账"],
                "赵敏", null, Date(overdue), null, null, null,
                [
                    new("claimed", "public", "demo-commissioner", $"由赵敏认领办理，完成时限 {Date(overdue)}", At(Back(19))),
                ]),
            new("徐州新阳光木业有限公司", "pollution_control", "mini_program", "雨污分流检查井标识（示例）",
                "【示例数据】厂区检查井未区分雨水、污水标识，咨询标识设置要求。",
                "submitted", "demo-commissioner", At(Back(1)), null, [], null, null, null, null, null, null, []),
        ];
    }

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var branchId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM party_branches WHERE name = @BranchName", new { DemoData.BranchName }, cancellationToken: ct));
        if (branchId is null || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM demands WHERE branch_id = @branchId)", new { branchId }, cancellationToken: ct)))
        {
            return;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        async Task<long> IdOf(string table, string name) => await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT id FROM {table} WHERE name = @name AND branch_id = @branchId", new { name, branchId }, tx, cancellationToken: ct));
        async Task<long> UserOf(string openId) => await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT id FROM users WHERE openid = @openId", new { openId }, tx, cancellationToken: ct));

        var today = Features.Calendar.WorkingCalendar.Today(clock.GetUtcNow());
        var calendar = await Features.Calendar.CalendarApi.LoadAsync(connection, tx, today, ct);
        foreach (var (year, demos) in new[] { (2024, Demos), (today.Year, Current(today, calendar)) })
        {
            var number = 0;
            foreach (var d in demos)
            {
                // A transferred demand's 责任人 is its department's liaison (the demo has one, for 法制宣传科).
                var liaison = d.Department is null ? null : await connection.QuerySingleOrDefaultAsync<(long Id, string Name)?>(new CommandDefinition($"""
                    SELECT u.id, {Features.Organisation.PersonNames.Name} FROM users u JOIN departments dep ON dep.id = u.department_id
                    JOIN user_roles r ON r.user_id = u.id AND r.role = 'department_liaison'
                    WHERE dep.name = @Department AND dep.branch_id = @branchId ORDER BY u.id LIMIT 1
                    """, new { d.Department, branchId }, tx, cancellationToken: ct));
                var submitted = DateTime.Parse(d.SubmittedAt, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
                var closedStep = d.Steps.LastOrDefault(s => s.Kind == "confirmed");
                var resolvedStep = d.Steps.LastOrDefault(s => s.Kind == "resolved");
                var acceptStep = d.Steps.FirstOrDefault(s => s.Kind is "claimed" or "transferred");
                var unit = d.Department ?? (d.Owner is null ? null : DemoData.BranchName);
                var unitKind = d.Department is not null ? "department" : d.Owner is not null ? "branch" : null;
                var personKind = d.Owner is not null ? "member" : liaison is not null && d.Department is not null ? "department_contact" : null;
                var personName = d.Owner ?? (d.Department is not null ? liaison?.Name : null);
                // The claim or transfer records the pair it set, as the workflow's own events do (reports read it back).
                var acceptDetails = unit is null ? null
                    : Features.Demands.EventDetails.Responsibility(new Features.Demands.ResponsibleSnapshot(unitKind!, unit, personKind, personName, null));
                var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                    INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, status, content_check,
                        objective, measures, owner_member_id, department_id, responsible_unit, responsible_unit_kind, responsible_person_kind,
                        responsible_person_name, responsible_user_id, due_date, resolution, solved, satisfaction, rating_comment,
                        submitted_by, submitted_at, accepted_at, resolved_at, closed_at, updated_at)
                    VALUES (@branchId, @enterpriseId, @number, @Category, @Source, @Title, @Description, FALSE, @Status, 'passed',
                        @Objective, @measures, @ownerId, @departmentId, @unit, @unitKind, @personKind,
                        @personName, @personUserId, @due, @Resolution, @solved, @Satisfaction, @Comment,
                        @submitter, @submitted, @accepted, @resolved, @closed, @updated);
                    SELECT LAST_INSERT_ID();
                    """, new
                {
                    branchId, enterpriseId = await IdOf("enterprises", d.Enterprise), number = $"SQ{year}-{++number:0000}", d.Category, d.Source, d.Title,
                    d.Description, d.Status, d.Objective, measures = d.Measures.Length == 0 ? null : JsonSerializer.Serialize(d.Measures),
                    ownerId = d.Owner is null ? (long?)null : await IdOf("members", d.Owner),
                    departmentId = d.Department is null ? (long?)null : await IdOf("departments", d.Department),
                    unit, unitKind, personKind, personName,
                    personUserId = d.Department is not null ? liaison?.Id : null,
                    due = d.DueDate is null ? (DateTime?)null : DateTime.Parse(d.DueDate, System.Globalization.CultureInfo.InvariantCulture),
                    d.Resolution, solved = closedStep is null ? (bool?)null : true, d.Satisfaction, d.Comment,
                    submitter = await UserOf(d.Submitter), submitted, accepted = At(acceptStep), resolved = At(resolvedStep), closed = At(closedStep),
                    updated = At(d.Steps.LastOrDefault()) ?? submitted,
                }, tx, cancellationToken: ct));

                var steps = d.Steps.Prepend(new Step("submitted", "public", d.Submitter,
                    d.Submitter == "demo-staff" ? "" : $"代企业提交（来源：{Features.Demands.DemandSources.Names[d.Source]}）", d.SubmittedAt));
                foreach (var step in steps)
                {
                    await connection.ExecuteAsync(new CommandDefinition("""
                        INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
                        VALUES (@id, @actor, @Kind, @Visibility, @text, @details, @at)
                        """, new { id, actor = await UserOf(step.Actor), step.Kind, step.Visibility, text = step.Text.Length == 0 ? null : step.Text,
                            details = step == acceptStep ? acceptDetails : null, at = At(step) },
                        tx, cancellationToken: ct));
                }
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO demand_numbers (branch_id, year, last) VALUES (@branchId, @year, @number)", new { branchId, year, number }, tx, cancellationToken: ct));
        }
        // The secretary marked the activated-carbon demand as November's typical case (典型案例), so the 2024-11 report has one.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO typical_cases (demand_id, problem, measures, outcome, marked_by, marked_at)
            SELECT id, @problem, @measures, @outcome, @secretary, @at FROM demands WHERE branch_id = @branchId AND number = 'SQ2024-0004'
            """, new
        {
            branchId, secretary = await UserOf("demo-secretary"), at = new DateTime(2024, 11, 28, 8, 0, 0, DateTimeKind.Utc),
            problem = "企业活性炭吸附装置运行参数不清，活性炭什么时候该换心里没底，担心废气治理不达标。",
            measures = "支部认领后由党员赵敏牵头，邀请专家到现场检测吸附箱进出口风量和过滤风速，核算活性炭装填量，帮企业定下更换周期。",
            outcome = "检测结果符合设计要求，企业建立了活性炭更换台账，问题于 11 月 4 日办结，企业评价基本满意。",
        }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        logger.LogInformation("Loaded {Count} demo demands", Demos.Length + 4);
    }

    private static DateTime? At(Step? step) =>
        step is null ? null : DateTime.Parse(step.At, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
}
