using System.Globalization;
using System.Text;
using Dapper;
using MySqlConnector;

namespace EcoAid.Api.Features.PolicyLibrary;

public sealed class BenchOptions
{
    /// <summary>Mount /bench/* for scripts/bench-policies.sh: a seeder and the bare Dapper list it compares with. Refused in Production.</summary>
    public bool Enabled { get; set; }
}

/// <summary>
/// What the policy benchmark needs besides the real endpoints: a seeder for N published documents and a "bare" list —
/// the same 20 rows as the first public page, straight from Dapper to JSON with no cache — as the yardstick. Only mounted
/// with Bench:Enabled, which Production refuses.
/// </summary>
public static class BenchApi
{
    public static void Register(WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>("Bench:Enabled") && builder.Environment.IsProduction())
        {
            throw new InvalidOperationException("Bench:Enabled 不能在生产环境中开启。");
        }
    }

    public static WebApplication MapBenchIfEnabled(this WebApplication app)
    {
        if (!app.Configuration.GetValue<bool>("Bench:Enabled"))
        {
            return app;
        }
        var group = app.MapGroup("/bench").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/bare-list", BareList);
        group.MapPost("/seed", Seed);
        group.MapGet("/bare-demands", BareDemands);
        group.MapPost("/bare-submit", BareSubmit);
        // A WeChat stand-in on loopback for the submission benchmark (Wechat:ApiBaseUrl = {service}/bench/wechat/): an
        // access token, and msg_sec_check answering "pass" at once — the content check still makes its HTTP call.
        group.MapPost("/wechat/cgi-bin/stable_token", () => TypedResults.Ok(new { access_token = "bench-access-token", expires_in = 7200 }));
        group.MapPost("/wechat/wxa/msg_sec_check", () => TypedResults.Ok(new
        {
            errcode = 0, errmsg = "ok", result = new { suggest = "pass", label = 100 }, trace_id = "bench",
        }));
        return app;
    }

    public sealed record BareRow(long Id, string Category, string Title, string Summary, string Tags, string? Source, DateTime? EffectiveDate, DateTime PublishedAt);

    static async Task<IResult> BareList(MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<BareRow>(new CommandDefinition("""
            SELECT p.id, p.category, p.title, p.summary, p.tags, p.source, p.effective_date, p.published_at
            FROM policies p WHERE p.status = 'published' ORDER BY p.published_at DESC, p.id DESC LIMIT 20
            """, cancellationToken: ct));
        return TypedResults.Ok(rows);
    }

    public sealed record BareDemandRow(long Id, string Number, long EnterpriseId, string EnterpriseName, string Category, string Title, string Status,
        DateTime? DueDate, DateTime SubmittedAt, int Version);

    /// <summary>
    /// The demand benchmark's yardstick (scripts/bench-demands.sh): a branch's first 20 demands in the list's order, one
    /// indexed query joined to the enterprise name, straight from Dapper to JSON — no session, no reach, no counts.
    /// </summary>
    static async Task<IResult> BareDemands(long branchId, MySqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<BareDemandRow>(new CommandDefinition("""
            SELECT d.id, d.number, d.enterprise_id, e.name AS enterprise_name, d.category, d.title, d.status, d.due_date, d.submitted_at, d.version
            FROM demands d JOIN enterprises e ON e.id = d.enterprise_id
            WHERE d.branch_id = @branchId ORDER BY d.submitted_at DESC, d.id DESC LIMIT 20
            """, new { branchId }, cancellationToken: ct));
        return TypedResults.Ok(rows);
    }

    /// <summary>
    /// The submission benchmark's yardstick (scripts/bench-demands.sh): in one transaction, one demand row (a random
    /// unique number, no numbering counter) and one outbox row, then the commit — no session, no idempotency, no
    /// daily count, no event, no content check.
    /// </summary>
    static async Task<IResult> BareSubmit(long enterpriseId, long userId, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var number = "B" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(9));
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, status, content_check,
                                 submitted_by, submitted_at, updated_at)
            SELECT e.branch_id, e.id, @number, 'pollution_control', 'mini_program', '基准提交', '基准测试提交的描述文字。', FALSE, 'submitted', 'passed',
                   @userId, @now, @now
            FROM enterprises e WHERE e.id = @enterpriseId;
            SELECT LAST_INSERT_ID();
            """, new { enterpriseId, userId, number, now }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO notification_outbox (kind, recipient_type, recipient_id, demand_id, payload, next_attempt_at, created_at)
            VALUES ('demand_submitted', 'user', @userId, @id, @payload, @now, @now)
            """, new { userId, id, payload = $$"""{"demandId":{{id}},"number":"{{number}}","title":"基准提交"}""", now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/demands/{id}", new { id, number });
    }

    private static readonly string[] Topics =
    [
        "危险废物贮存", "挥发性有机物治理", "活性炭吸附装置", "排污许可", "环境影响评价", "扬尘污染防治", "噪声污染防治", "环境信用修复",
        "清洁生产审核", "一般工业固体废物", "喷涂废气收集", "自行监测", "突发环境事件应急", "危险废物转移", "在线监测设备运维",
    ];

    private static readonly string[] Kinds = ["办事指南", "政策解读", "常见问题", "执法要点", "申报须知", "技术要求"];

    private static readonly string[] Sentences =
    [
        "企业应当建立健全环境管理台账，如实记录污染防治设施的运行、维护和检修情况。",
        "危险废物应当分类收集、分区贮存，贮存设施须设置规范的识别标志。",
        "活性炭吸附装置应按设计要求定期更换吸附材料，并保留更换记录和处置凭证。",
        "喷漆工序应在密闭空间内进行，废气经收集后进入治理设施处理后达标排放。",
        "排污单位应当按照排污许可证规定的内容和频次开展自行监测，并公开监测信息。",
        "建设项目开工建设前，应依法完成环境影响评价文件的审批或备案手续。",
        "对首次违法且危害后果轻微并及时改正的，可以依法不予行政处罚，但应当责令改正。",
        "信用修复申请人应当提交整改完成的证明材料，经核实后按程序办理。",
        "物料堆场应采取覆盖、围挡、喷淋等措施，防止扬尘污染。",
        "企业可通过小程序提交诉求，专班将在承诺时限内给予答复。",
        "本文为基准测试生成的文字，不代表任何真实文件的内容。",
        "危险废物转移应当执行转移联单制度，严禁非法转移和倾倒。",
    ];

    /// <summary>
    /// Adds <paramref name="count"/> published documents of made-up text (the same text on every run), in batches of 200
    /// that each commit with their search index and a library version of their own: no transaction, statement or buffer
    /// holds the whole seed, so seeding 10,000 documents raises the service's memory no more than seeding 200 does.
    /// </summary>
    static async Task<IResult> Seed(int? count, MySqlDataSource db, TimeProvider clock, PolicyLibraryVersion versions, CancellationToken ct)
    {
        var n = Math.Clamp(count ?? 10_000, 1, 100_000);
        var random = new Random(20260302);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO cities (name, created_at) VALUES ('基准测试市', @now) ON DUPLICATE KEY UPDATE name = name;
            INSERT INTO party_branches (city_id, name, created_at, updated_at)
            SELECT id, '基准测试支部', @now, @now FROM cities WHERE name = '基准测试市'
            ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at);
            INSERT INTO users (openid, display_name, created_at) VALUES ('bench-admin', '基准测试', @now) ON DUPLICATE KEY UPDATE display_name = display_name;
            """, new { now }, cancellationToken: ct));
        var branchId = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT b.id FROM party_branches b JOIN cities c ON c.id = b.city_id WHERE c.name = '基准测试市' AND b.name = '基准测试支部'", cancellationToken: ct));
        var userId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM users WHERE openid = 'bench-admin'", cancellationToken: ct));
        var categories = PolicyCategories.Names.Keys.ToArray();
        const int batch = 200;
        for (var start = 0; start < n; start += batch)
        {
            var sql = new StringBuilder("""
                INSERT INTO policies (branch_id, category, title, summary, body, body_text, tags, source, effective_date, status, revision,
                                      created_by, created_at, updated_by, updated_at, published_at) VALUES
                """);
            var parameters = new DynamicParameters();
            parameters.Add("branchId", branchId);
            parameters.Add("userId", userId);
            for (var k = start; k < Math.Min(n, start + batch); k++)
            {
                var topic = Topics[random.Next(Topics.Length)];
                var title = $"{topic}{Kinds[random.Next(Kinds.Length)]}（第 {k + 1} 号）";
                var paragraphs = Enumerable.Range(0, 4).Select(_ => string.Concat(Enumerable.Range(0, 5).Select(_ => Sentences[random.Next(Sentences.Length)])));
                var body = PolicyHtml.Sanitize(string.Concat(paragraphs.Select(p => $"<p>{p}</p>")));
                var published = now.AddMinutes(-random.Next(0, 3 * 365 * 24 * 60));
                if (k > start)
                {
                    sql.Append(',');
                }
                sql.Append(CultureInfo.InvariantCulture, $"(@branchId, @c{k}, @t{k}, @s{k}, @b{k}, @x{k}, '[]', '基准测试', NULL, 'published', 1, @userId, @p{k}, @userId, @p{k}, @p{k})");
                parameters.Add($"c{k}", categories[random.Next(categories.Length)]);
                parameters.Add($"t{k}", title);
                parameters.Add($"s{k}", $"关于{topic}的要点摘要：{Sentences[random.Next(Sentences.Length)]}");
                parameters.Add($"b{k}", body.Html);
                parameters.Add($"x{k}", body.Text);
                parameters.Add($"p{k}", published);
            }
            await using var tx = await connection.BeginTransactionAsync(ct);
            // Parameter names differ per batch: a one-off statement that Dapper need not keep.
            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, tx, flags: CommandFlags.NoCache, cancellationToken: ct));
            // Index what was just written (the search index is cut beside each revision, as an edit would do it).
            var unindexed = (await connection.QueryAsync<long>(new CommandDefinition("""
                SELECT p.id FROM policies p LEFT JOIN policy_search_indexed i ON i.policy_id = p.id WHERE i.policy_id IS NULL
                """, transaction: tx, cancellationToken: ct))).ToList();
            foreach (var chunk in unindexed.Chunk(batch))
            {
                await PolicySearchIndex.IndexAsync(connection, tx, chunk, ct);
            }
            var version = await PolicyLibraryVersion.BumpAsync(connection, tx, ct);
            await tx.CommitAsync(ct);
            versions.Observe(version);
        }
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM policies WHERE status = 'published'", cancellationToken: ct));
        return TypedResults.Ok(new { seeded = n, published = total });
    }
}
