using Dapper;
using EcoAid.Api.Features.Organisation;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Database;
using MySqlConnector;

namespace EcoAid.Api.Database.Seed;

/// <summary>
/// The demo programme for the dev run (Demo:Seed=true; Development only; the console's demo walk loads it too): the Party branch of
/// 邳州生态环境综合行政执法局 under 徐州市, its task force, four assisted enterprises and a demo user for every role.
/// People's names, phone numbers and credit codes are made up; the credit codes use region 000000, which no registrar
/// has, with correct check characters.
/// </summary>
public sealed class DemoData(MySqlDataSource db, TimeProvider clock, ILogger<DemoData> logger) : IStartupDataStep
{
    public const string BranchName = "邳州生态环境综合行政执法局党支部";

    /// <summary>Demo users: the sandbox openid that logs in as each, and what they are.</summary>
    public static readonly IReadOnlyList<(string OpenId, string Role, string Who)> Users =
    [
        ("demo-secretary", Roles.Secretary, "李红梅，支部书记"),
        ("demo-commissioner", Roles.Commissioner, "张伟，宣传委员、助企服务专员"),
        ("demo-member", Roles.Member, "刘洋，组织委员，包挂江苏南方永磁科技有限公司"),
        ("demo-staff", Roles.Staff, "王芳，江苏南方永磁科技有限公司的企业联系人"),
        ("demo-liaison", Roles.DepartmentLiaison, "孙静，法制宣传科的科室联络人"),
        ("demo-admin", Roles.Admin, "支部管理员"),
        ("demo-city-viewer", Roles.CityViewer, "徐州市局查看人员"),
        ("demo-city-admin", Roles.CityAdmin, "徐州市局管理员"),
    ];

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM party_branches WHERE name = @BranchName)", new { BranchName }, cancellationToken: ct)))
        {
            return;
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        async Task<long> Insert(string sql, object args) =>
            await connection.ExecuteScalarAsync<long>(new CommandDefinition(sql + "; SELECT LAST_INSERT_ID();", args, tx, cancellationToken: ct));

        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cities (name, created_at) VALUES ('徐州市', @now) ON DUPLICATE KEY UPDATE name = name", new { now }, tx, cancellationToken: ct));
        var cityId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT id FROM cities WHERE name = '徐州市'", transaction: tx, cancellationToken: ct));
        var branchId = await Insert("INSERT INTO party_branches (city_id, name, created_at, updated_at) VALUES (@cityId, @BranchName, @now, @now)",
            new { cityId, BranchName, now });

        var members = new Dictionary<string, long>();
        foreach (var (name, title, role, phone) in new[]
        {
            ("王建国", "局长", "leader", "13800000001"),
            ("李红梅", "支部书记", "leader", "13800000002"),
            ("张伟", "宣传委员（助企服务专员）", "member", "13800000003"),
            ("刘洋", "组织委员", "member", "13800000004"),
            ("陈磊", "技术骨干", "member", "13800000005"),
            ("赵敏", "技术骨干", "member", "13800000006"),
        })
        {
            members[name] = await Insert("""
                INSERT INTO members (branch_id, name, title, task_force_role, phone, created_at, updated_at)
                VALUES (@branchId, @name, @title, @role, @phone, @now, @now)
                """, new { branchId, name, title, role, phone, now });
        }

        var departments = new Dictionary<string, long>();
        foreach (var (name, description) in new[]
        {
            ("法制宣传科", "执法普法、信用修复与首违不罚的认定"),
            ("执法大队", "现场检查与交办整改"),
            ("邳州生态环境综合行政执法局", "局本级：跨科室事项"),
        })
        {
            departments[name] = await Insert("""
                INSERT INTO departments (branch_id, name, description, created_at, updated_at) VALUES (@branchId, @name, @description, @now, @now)
                """, new { branchId, name, description, now });
        }

        var enterprises = new Dictionary<string, long>();
        var serial = 0;
        foreach (var (name, industry, address, liaison, contact, title) in new[]
        {
            ("江苏南方永磁科技有限公司", "磁性材料制造", "邳州经济开发区（演示地址）", "刘洋", "王芳", "安全环保部经理"),
            ("江苏金发再生资源有限公司", "再生资源回收利用", "邳州市循环经济产业园（演示地址）", "张伟", "孙丽", "办公室主任"),
            ("江苏蒂尼倍斯特家具有限公司", "家具制造", "邳州市板材家具产业园（演示地址）", "陈磊", "马超", "安全环保专员"),
            ("徐州新阳光木业有限公司", "木材加工", "邳州市官湖镇（演示地址）", "赵敏", "吴刚", "厂长"),
        })
        {
            var body = $"91000000DM{++serial:0000000}";
            var phone = $"1390000000{serial}";
            enterprises[name] = await Insert("""
                INSERT INTO enterprises (branch_id, name, credit_code, address, industry, contact_name, contact_phone, liaison_member_id, created_at, updated_at)
                VALUES (@branchId, @name, @creditCode, @address, @industry, @contact, @phone, @liaisonId, @now, @now)
                """, new { branchId, name, creditCode = body + Uscc.CheckCharacter(body), address, industry, contact, phone, liaisonId = members[liaison], now });
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO enterprise_contacts (enterprise_id, name, title, phone, is_primary, created_at, updated_at)
                VALUES (@enterpriseId, @contact, @title, @phone, TRUE, @now, @now)
                """, new { enterpriseId = enterprises[name], contact, title, phone, now }, tx, cancellationToken: ct));
        }
        // A second, non-primary contact: enterprises name more than one person.
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO enterprise_contacts (enterprise_id, name, title, phone, is_primary, created_at, updated_at)
            VALUES (@enterpriseId, '周强', '生产副总经理', '13900000011', FALSE, @now, @now)
            """, new { enterpriseId = enterprises["江苏南方永磁科技有限公司"], now }, tx, cancellationToken: ct));

        foreach (var (openId, role, who) in Users)
        {
            var cityLevel = Roles.CityLevel.Contains(role);
            var userId = await Insert("""
                INSERT INTO users (openid, display_name, city_id, branch_id, enterprise_id, member_id, department_id, created_at)
                VALUES (@openId, @displayName, @cityId, @branchId, @enterpriseId, @memberId, @departmentId, @now)
                """, new
            {
                openId, displayName = who.Split('，')[0], cityId, branchId = cityLevel ? (long?)null : branchId,
                enterpriseId = role == Roles.Staff ? enterprises["江苏南方永磁科技有限公司"] : (long?)null,
                memberId = role switch { Roles.Secretary => members["李红梅"], Roles.Commissioner => members["张伟"], Roles.Member => members["刘洋"], _ => (long?)null },
                departmentId = role == Roles.DepartmentLiaison ? departments["法制宣传科"] : (long?)null,
                now,
            });
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO user_roles (user_id, role, granted_at) VALUES (@userId, @role, @now)", new { userId, role, now }, tx, cancellationToken: ct));
            if (role == Roles.Staff)
            {
                // 王芳's mini-program account is the primary contact of her enterprise.
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE enterprise_contacts SET user_id = @userId WHERE enterprise_id = @enterpriseId AND is_primary",
                    new { userId, enterpriseId = enterprises["江苏南方永磁科技有限公司"] }, tx, cancellationToken: ct));
            }
        }

        await tx.CommitAsync(ct);
        logger.LogInformation("Loaded the demo programme: branch {Branch} with {Enterprises} enterprises", BranchName, enterprises.Count);
    }
}
