using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.PolicyLibrary;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// The demo policy library for the dev run (Demo:Seed=true, after <see cref="DemoData"/>): published documents in every
/// category, explainers (码上说执法) for the problems the demo enterprises bring, material lists already sent to the four
/// enterprises (some read), and two weeks of views and scans. Titles that name a real law, standard or procedure are
/// facts; every body is short text written by this project and says so in its first line.
/// </summary>
public sealed class PolicyDemoData(MySqlDataSource db, TimeProvider clock, PolicyLibraryVersion versions, ILogger<PolicyDemoData> logger) : IStartupDataStep
{
    public const string DemoNote = "<p><em>演示文本：本页正文由本项目编写，仅供演示，不是该文件的原文，请以正式发布的文件为准。</em></p>";

    private sealed record Doc(string Key, string Category, string Title, string? Source, string? Effective, string Summary, string[] Tags, string Body);

    private static readonly Doc[] Documents =
    [
        new("eia-law", PolicyCategories.LawsStandards, "《中华人民共和国环境影响评价法》", "全国人民代表大会常务委员会", null,
            "建设项目在开工前要做环境影响评价：按影响程度编制报告书、报告表或填报登记表。", ["环评", "法律"],
            "<h3>和企业有什么关系</h3><p>新建、改建、扩建项目，要先判断属于环评分类管理名录中的哪一类，再编制相应文件；需要审批的，批准前不得开工建设。</p>"
            + "<ul><li>报告书、报告表：报生态环境部门审批；</li><li>登记表：在网上备案即可；</li><li>项目的性质、规模、地点或污染防治措施发生重大变动的，应重新报批。</li></ul>"),
        new("solid-waste-law", PolicyCategories.LawsStandards, "《中华人民共和国固体废物污染环境防治法》", "全国人民代表大会常务委员会", null,
            "产生工业固体废物和危险废物的单位要建立台账、如实申报、规范贮存和转移。", ["固废", "危废", "法律"],
            "<p>产生危险废物的单位应当制定危险废物管理计划，建立管理台账，并通过国家危险废物信息管理系统申报种类、产生量、流向、贮存和处置情况。</p>"
            + "<p>危险废物须交给持有经营许可证的单位利用或处置，转移时执行转移联单制度。</p>"),
        new("air-law", PolicyCategories.LawsStandards, "《中华人民共和国大气污染防治法》", "全国人民代表大会常务委员会", null,
            "排放挥发性有机物和粉尘的企业，要在密闭空间或设备中生产，配套收集和治理设施。", ["大气", "VOCs", "法律"],
            "<p>产生含挥发性有机物废气的生产和服务活动，应当在密闭空间或者设备中进行，并按规定安装、使用污染防治设施；无法密闭的，应当采取措施减少废气排放。</p>"),
        new("env-law", PolicyCategories.LawsStandards, "《中华人民共和国环境保护法》", "全国人民代表大会常务委员会", null,
            "企业是防治污染的责任主体，应当采取措施防治生产中产生的废气、废水、废渣等对环境的污染和危害。", ["法律"],
            "<p>排放污染物的企业事业单位，应当建立环境保护责任制度，明确单位负责人和相关人员的责任。</p><p>重点排污单位应当如实向社会公开主要污染物的名称、排放方式、排放浓度和总量等信息。</p>"),
        new("gb18597", PolicyCategories.LawsStandards, "GB 18597《危险废物贮存污染控制标准》", "生态环境部", null,
            "危险废物贮存设施的选址、建设、运行和管理要求：防渗、分区、标识、台账。", ["危废", "贮存", "标准"],
            "<p>贮存设施要防风、防雨、防晒、防渗漏，地面与裙脚采用坚固、防渗的材料；不相容的危险废物分区存放。</p>"
            + "<ul><li>容器和包装完好，贴危险废物标签；</li><li>贮存场所设置识别标志；</li><li>出入库如实记录，台账与申报数据一致。</li></ul>"),
        new("gb37822", PolicyCategories.LawsStandards, "GB 37822《挥发性有机物无组织排放控制标准》", "生态环境部、国家市场监督管理总局", null,
            "VOCs 物料的储存、转移、工艺过程和废气收集要控制无组织排放。", ["VOCs", "标准"],
            "<p>含 VOCs 的物料应储存于密闭的容器、包装袋或储罐中，存放在室内或有雨棚的专用场地；盛装容器在非取用状态时应加盖、封口。</p>"
            + "<p>废气收集系统的输送管道应密闭，在负压下运行；收集的废气应送入治理设施。</p>"),
        new("hj2026", PolicyCategories.LawsStandards, "HJ 2026《吸附法工业有机废气治理工程技术规范》", "环境保护部", null,
            "活性炭等吸附法治理有机废气的设计、施工、验收和运行维护要求。", ["活性炭", "VOCs", "技术规范"],
            "<p>吸附装置的设计要与废气的风量、浓度和成分相适应，进入吸附装置的废气应预处理去除颗粒物和油雾。</p>"
            + "<p>吸附剂达到饱和前应及时更换或再生，更换下来的废活性炭按危险废物管理。</p>"),
        new("gb16297", PolicyCategories.LawsStandards, "GB 16297《大气污染物综合排放标准》", "国家环境保护局", null,
            "没有行业排放标准的，执行本标准规定的排放限值。", ["大气", "标准"],
            "<p>标准规定了多种大气污染物的最高允许排放浓度、最高允许排放速率和无组织排放监控浓度限值。有行业标准的，优先执行行业标准。</p>"),
        new("gb18599", PolicyCategories.LawsStandards, "GB 18599《一般工业固体废物贮存和填埋污染控制标准》", "生态环境部", null,
            "一般工业固体废物贮存场所的建设和管理要求。", ["固废", "标准"],
            "<p>一般工业固体废物贮存场所应采取防扬散、防流失、防渗漏措施，分类贮存，不得混入危险废物和生活垃圾。</p>"),
        new("permit-rule", PolicyCategories.LawsStandards, "《排污许可管理条例》", "国务院", null,
            "实行排污许可管理的单位，应当依法申请取得排污许可证，按证排污。", ["排污许可", "行政法规"],
            "<p>排污单位应当按照排污许可证规定的种类、浓度和排放量排放污染物，建立环境管理台账，按时提交执行报告，并依法开展自行监测。</p>"),
        new("hw-transfer", PolicyCategories.LawsStandards, "《危险废物转移管理办法》", "生态环境部、公安部、交通运输部", null,
            "危险废物转移执行电子转移联单，移出人、承运人、接受人各负其责。", ["危废", "转移"],
            "<p>移出危险废物前，应核实承运人和接受人的资质，如实填写转移联单，并确保运输过程中防扬散、防流失、防渗漏。</p>"),
        new("penalty-rule", PolicyCategories.LawsStandards, "《生态环境行政处罚办法》", "生态环境部", null,
            "生态环境行政处罚的实施程序，以及不予处罚、从轻减轻处罚的情形。", ["执法", "首违不罚"],
            "<p>违法行为轻微并及时改正、没有造成危害后果的，不予行政处罚；初次违法且危害后果轻微并及时改正的，可以不予行政处罚。不予处罚的，仍应责令改正（免罚不免责）。</p>"),
        new("eia-directory", PolicyCategories.ProjectApproval, "《建设项目环境影响评价分类管理名录》", "生态环境部", null,
            "按行业和规模查出项目应编制报告书、报告表还是填报登记表。", ["环评", "名录"],
            "<p>查名录时先找项目所属行业，再看规模和敏感区条件。名录未作规定的项目，不纳入环评管理；拿不准的，可以在小程序提交“环评审批”诉求，专班帮您确认。</p>"),
        new("eia-guide", PolicyCategories.ProjectApproval, "建设项目环评审批办事指南", "邳州生态环境综合行政执法局党支部（演示）", null,
            "环评文件的受理、技术评估、审批流程和所需材料（演示）。", ["环评", "办事指南"],
            "<ol><li>确定环评类别，委托编制单位编制环评文件；</li><li>在线提交申请，上传环评文件和相关附件；</li><li>受理后进行技术评估，按意见修改；</li><li>审批决定公开后，方可开工建设。</li></ol>"),
        new("funding-guide", PolicyCategories.Funding, "生态环境治理项目资金申报须知", "邳州生态环境综合行政执法局党支部（演示）", null,
            "污染治理、清洁生产等项目申请各级资金支持时的一般条件和材料（演示）。", ["资金", "申报"],
            "<p>一般要求项目已完成环评等前期手续、建设内容明确、具有可量化的减排效果。申报材料通常包括申请表、可行性研究报告、环评批复和资金筹措说明。具体以当年度申报通知为准。</p>"),
        new("honor-guide", PolicyCategories.Honor, "生态环境信用评价与绿色企业评定说明", "邳州生态环境综合行政执法局党支部（演示）", null,
            "企业环境信用等级怎么评、守信企业可以享受哪些激励（演示）。", ["信用", "荣誉"],
            "<p>环境信用评价主要看企业的污染防治、环境管理、社会监督等方面的表现。评为守信的企业，在监督检查频次、评优评先等方面可以获得激励。</p>"),
        new("petition-guide", PolicyCategories.Petition, "生态环境信访投诉办理流程", "邳州生态环境综合行政执法局党支部（演示）", null,
            "12369 环保举报受理后的转办、调查、答复和回访（演示）。", ["信访", "12369"],
            "<p>群众可以通过 12369 环保举报热线和网络平台反映环境问题。受理后转相关单位调查处理，并按时答复举报人。涉及企业的，企业应配合调查，如实说明情况并及时整改。</p>"),
        new("credit-repair", PolicyCategories.CreditRepair, "生态环境信用修复办理流程", "邳州生态环境综合行政执法局党支部（演示）", null,
            "受到行政处罚的企业，整改到位后如何申请修复信用（演示）。", ["信用修复"],
            "<ol><li>履行行政处罚决定，完成整改；</li><li>向作出处罚决定的部门提出信用修复申请，提交整改完成的证明材料和信用承诺书；</li>"
            + "<li>主管部门核实后作出是否同意修复的决定；</li><li>同意的，在信用平台停止公示相关处罚信息。</li></ol>"),
        new("explain-hw-storage", PolicyCategories.Explainer, "码上说执法：危险废物贮存间怎么建、怎么管", "邳州生态环境综合行政执法局党支部（演示）", null,
            "检查危废贮存间时我们看什么：防渗、分区、标识、台账。", ["危废", "码上说执法"],
            "<h3>我们检查什么</h3><ul><li>地面防渗、裙脚和导流沟是否完好；</li><li>不同类别的危废是否分区存放，容器是否贴标签；</li>"
            + "<li>门口是否设置识别标志，台账记录是否与实际一致。</li></ul><p>常见问题：标签信息不全、台账只记入库不记出库。发现问题可以先自查整改，拿不准的在小程序里提诉求。</p>"),
        new("explain-carbon-box", PolicyCategories.Explainer, "码上说执法：活性炭吸附箱的更换与台账", "邳州生态环境综合行政执法局党支部（演示）", null,
            "活性炭多久换一次、换下来的怎么处理、台账记什么。", ["活性炭", "VOCs", "码上说执法"],
            "<p>更换周期按设计的装填量、废气浓度和运行时间计算，不能“装上就不管”。</p><ul><li>记录每次更换的日期、数量和采购凭证；</li>"
            + "<li>换下的废活性炭按危险废物贮存和转移；</li><li>定期检查压差和风机运行，发现穿透及时更换。</li></ul>"),
        new("explain-spray-booth", PolicyCategories.Explainer, "码上说执法：喷漆房废气的收集与治理", "邳州生态环境综合行政执法局党支部（演示）", null,
            "喷漆房要密闭、负压收集，漆雾预处理后再进治理设施。", ["喷涂", "VOCs", "码上说执法"],
            "<p>喷漆、流平、烘干都应在密闭空间内进行，门窗在作业时关闭，收集系统保持负压。</p><p>漆雾先经过滤等预处理，再进入活性炭吸附或燃烧等治理设施；治理设施应先于生产设备开启、后于生产设备关闭。</p>"),
        new("explain-credit-repair", PolicyCategories.Explainer, "码上说执法：信用修复怎么办", "邳州生态环境综合行政执法局党支部（演示）", null,
            "被处罚后不是“一罚了之”：整改到位就可以申请信用修复。", ["信用修复", "码上说执法"],
            "<p>准备好处罚决定书、罚款缴纳凭证、整改完成的照片和说明，以及信用承诺书，向作出处罚的部门申请。专班可以帮您梳理材料，在小程序提交“信用修复”诉求即可。</p>"),
        new("explain-first-violation", PolicyCategories.Explainer, "码上说执法：首违不罚的适用条件", "邳州生态环境综合行政执法局党支部（演示）", null,
            "初次违法、危害后果轻微、及时改正：三个条件同时满足才可能不罚。", ["首违不罚", "码上说执法"],
            "<ul><li>初次违法：一定期限内没有同类违法记录；</li><li>危害后果轻微；</li><li>在责令改正期限内改正到位。</li></ul>"
            + "<p>不予处罚不等于不用整改：“免罚不免责”，整改情况我们会回访核查。</p>"),
        new("explain-dust", PolicyCategories.Explainer, "码上说执法：木材加工粉尘的收集与防爆", "邳州生态环境综合行政执法局党支部（演示）", null,
            "锯切、砂光工序的粉尘要就地收集，除尘器要定期清灰。", ["粉尘", "码上说执法"],
            "<p>锯切、砂光、打磨等工序应设置集气罩，粉尘经布袋除尘等设施处理后排放；除尘器定期清灰，收集的粉尘妥善贮存，注意防火防爆。</p>"),
    ];

    // Material lists already sent: enterprise, note, the documents, and whether its staff have read it.
    private static readonly (string Enterprise, string Note, string[] Docs, bool Read)[] Lists =
    [
        ("江苏南方永磁科技有限公司", "VOCs 治理资料，请对照活性炭更换要求自查。", ["gb37822", "hj2026", "explain-carbon-box"], true),
        ("江苏南方永磁科技有限公司", "危废贮存间整改参考。", ["gb18597", "explain-hw-storage", "hw-transfer"], true),
        ("江苏南方永磁科技有限公司", "排污许可执行报告的填报要求。", ["permit-rule"], false),
        ("江苏金发再生资源有限公司", "再生资源回收涉及的危废与固废管理要求。", ["solid-waste-law", "gb18597", "gb18599", "hw-transfer"], true),
        ("江苏金发再生资源有限公司", "新建项目环评手续清单。", ["eia-law", "eia-directory", "eia-guide"], false),
        ("江苏蒂尼倍斯特家具有限公司", "喷漆房废气治理资料。", ["air-law", "gb37822", "explain-spray-booth", "explain-carbon-box"], true),
        ("江苏蒂尼倍斯特家具有限公司", "治理项目可以关注的资金政策。", ["funding-guide", "honor-guide"], false),
        ("徐州新阳光木业有限公司", "信用修复办理材料清单。", ["credit-repair", "explain-credit-repair", "penalty-rule"], true),
        ("徐州新阳光木业有限公司", "首违不罚的条件与粉尘治理要点。", ["explain-first-violation", "explain-dust", "gb16297"], false),
    ];

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var branchId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT id FROM party_branches WHERE name = @BranchName", new { DemoData.BranchName }, cancellationToken: ct));
        if (branchId is null || await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM policies WHERE branch_id = @branchId)", new { branchId }, cancellationToken: ct)))
        {
            return;
        }
        var admin = await UserAsync(connection, "demo-admin", ct);
        var commissioner = await UserAsync(connection, "demo-commissioner", ct);
        var member = await UserAsync(connection, "demo-member", ct);
        if (admin is null || commissioner is null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        await using var tx = await connection.BeginTransactionAsync(ct);
        var ids = new Dictionary<string, long>();
        for (var k = 0; k < Documents.Length; k++)
        {
            var d = Documents[k];
            var body = PolicyHtml.Sanitize(DemoNote + d.Body);
            var publishedAt = now.AddDays(-(Documents.Length - k) * 3).UtcDateTime;
            ids[d.Key] = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO policies (branch_id, category, title, summary, body, body_text, tags, source, effective_date, status, revision,
                                      created_by, created_at, updated_by, updated_at, published_at)
                VALUES (@branchId, @Category, @Title, @Summary, @html, @text, @tags, @Source, NULL, 'published', 1, @admin, @publishedAt, @admin, @publishedAt, @publishedAt);
                SELECT LAST_INSERT_ID();
                """, new { branchId, d.Category, d.Title, d.Summary, html = body.Html, text = body.Text, tags = PolicyFields.TagsJson(d.Tags), d.Source, admin, publishedAt },
                tx, cancellationToken: ct));
            await PolicyAdminApi.SnapshotAsync(connection, tx, ids[d.Key], "published", admin.Value, new DateTimeOffset(publishedAt, TimeSpan.Zero), ct);
        }

        var staffByEnterprise = (await connection.QueryAsync<(string Name, long UserId)>(new CommandDefinition("""
            SELECT e.name, u.id FROM enterprises e JOIN users u ON u.enterprise_id = e.id JOIN user_roles r ON r.user_id = u.id AND r.role = 'staff'
            WHERE e.branch_id = @branchId
            """, new { branchId }, tx, cancellationToken: ct))).ToLookup(r => r.Name, r => r.UserId);
        var sentLists = 0;
        for (var k = 0; k < Lists.Length; k++)
        {
            var (enterpriseName, note, docs, read) = Lists[k];
            var enterpriseId = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "SELECT id FROM enterprises WHERE branch_id = @branchId AND name = @enterpriseName", new { branchId, enterpriseName }, tx, cancellationToken: ct));
            if (enterpriseId is null)
            {
                continue;
            }
            var sentAt = now.AddDays(-(Lists.Length - k) * 2).UtcDateTime;
            var sender = enterpriseName == "江苏南方永磁科技有限公司" && member is not null ? member.Value : commissioner.Value;
            var listId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO material_lists (branch_id, enterprise_id, note, sent_by, sent_at) VALUES (@branchId, @enterpriseId, @note, @sender, @sentAt);
                SELECT LAST_INSERT_ID();
                """, new { branchId, enterpriseId, note, sender, sentAt }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO material_list_items (list_id, policy_id, position) VALUES (@listId, @policyId, @position)",
                docs.Select((key, i) => new { listId, policyId = ids[key], position = i + 1 }), tx, cancellationToken: ct));
            if (read)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO material_reads (list_id, user_id, read_at) VALUES (@listId, @userId, @readAt)",
                    staffByEnterprise[enterpriseName].Select(userId => new { listId, userId, readAt = sentAt.AddHours(5) }), tx, cancellationToken: ct));
            }
            sentLists++;
        }

        // Two weeks of reading: explainers are mostly scanned (at the gate, in the workshop), the rest mostly opened from the list.
        var today = WorkingCalendar.Today(now);
        var views = new List<object>();
        var scans = new List<object>();
        for (var day = 0; day < 14; day++)
        {
            var date = today.AddDays(-day).ToDateTime(TimeOnly.MinValue);
            for (var k = 0; k < Documents.Length; k++)
            {
                var id = ids[Documents[k].Key];
                views.Add(new { id, date, count = 3 + (k * 7 + day * 5) % 11 });
                if (Documents[k].Category == PolicyCategories.Explainer)
                {
                    scans.Add(new { id, source = "", date, count = 2 + (k + day) % 6 });
                    scans.Add(new { id, source = "gate", date, count = 5 + (k * 3 + day) % 9 });
                }
            }
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO policy_daily_views (policy_id, day, views) VALUES (@id, @date, @count)", views, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO policy_daily_scans (policy_id, source, day, scans) VALUES (@id, @source, @date, @count)", scans, tx, cancellationToken: ct));
        var version = await PolicyLibraryVersion.BumpAsync(connection, tx, ct);
        await tx.CommitAsync(ct);
        versions.Observe(version);
        logger.LogInformation("Loaded the demo policy library: {Documents} documents, {Lists} material lists", Documents.Length, sentLists);
    }

    private static async Task<long?> UserAsync(MySqlConnection connection, string openId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT id FROM users WHERE openid = @openId", new { openId }, cancellationToken: ct));
}
