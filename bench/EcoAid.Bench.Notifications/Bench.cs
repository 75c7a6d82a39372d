using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure.Database;
using EcoAid.Api.Infrastructure.Wechat;
using EcoAid.Wechat;
using EcoAid.Wechat.AccessTokens;
using EcoAid.Wechat.Sandbox;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace EcoAid.Bench.Notifications;

/// <summary>
/// Drains N queued Official Account notifications through the real dispatcher and the real WeChat client to the sandbox
/// on loopback, with one and with two service instances on one database, and beside them a bare loop that claims the
/// same rows with the same SQL and posts to the same sandbox endpoint. Prints messages per second, lost and duplicated
/// messages, and the service's share of the bare loop's rate.
/// </summary>
public static class Bench
{
    private const string MiniProgramAppId = "wxbench000000001";
    private const string OfficialAccountAppId = "wxbenchoa0000001";
    private const string TemplateId = "bench-oa-todo";
    private const int Members = 200;
    private const double Target = 0.70;

    public static async Task<int> Main(string[] args)
    {
        var server = Option(args, "--server") ?? Environment.GetEnvironmentVariable("ECOAID_BENCH_MYSQL")
            ?? throw new ArgumentException("Give the MariaDB/MySQL server with --server or ECOAID_BENCH_MYSQL (a login that may create databases).");
        var count = int.Parse(Option(args, "--count") ?? "10000", CultureInfo.InvariantCulture);
        var timeout = TimeSpan.FromSeconds(int.Parse(Option(args, "--timeout") ?? "600", CultureInfo.InvariantCulture));
        var repeat = int.Parse(Option(args, "--repeat") ?? "3", CultureInfo.InvariantCulture);
        if (repeat is < 1 or > 9)
        {
            throw new ArgumentException("--repeat is between 1 and 9.");
        }
        if (count is < 1 or > 10_000)
        {
            throw new ArgumentException("--count is between 1 and 10000 (what the sandbox records).");
        }
        using var deadline = new CancellationTokenSource(timeout);
        var ct = deadline.Token;

        var database = $"ecoaid_bench_{Guid.NewGuid():N}"[..26];
        var connectionString = new MySqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        await using (var admin = new MySqlConnection(server))
        {
            await admin.ExecuteAsync(new CommandDefinition($"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", cancellationToken: ct));
        }
        try
        {
            var bench = new Runner(connectionString, count, ct);
            await bench.PrepareAsync();
            Console.WriteLine($"EcoAid notifications benchmark: {count} Official Account template messages per run, WeChat sandbox on loopback, "
                + $"{await bench.ServerVersionAsync()}");
            Console.WriteLine($"each service instance: batch {bench.Dispatcher.BatchSize}, {bench.Dispatcher.Concurrency} sends at a time; "
                + "the bare loop uses the same batch, the same claim SQL and as many sends at a time");
            Console.WriteLine();

            await bench.WarmUpAsync();
            // Each pairing runs `repeat` times, the bare loop and the service in turn, so a busy moment of the machine hits
            // both alike; the comparison uses the median of each.
            var results = new List<RunResult>();
            Console.WriteLine($"{"run",-28}{"elapsed",10}{"msg/s",10}{"lost",7}{"duplicated",12}{"repeat sends",14}{"cpu ms/msg",12}");
            foreach (var instances in new[] { 1, 2 })
            {
                for (var round = 1; round <= repeat; round++)
                {
                    foreach (var baseline in new[] { true, false })
                    {
                        var name = baseline ? $"bare loop, {instances} {(instances == 1 ? "loop" : "loops")}" : $"service, {instances} {(instances == 1 ? "instance" : "instances")}";
                        var r = await bench.RunAsync($"{name} #{round}", instances, baseline);
                        results.Add(r);
                        Console.WriteLine($"{r.Name,-28}{r.Elapsed.TotalSeconds,9:0.00}s{r.PerSecond,10:0.0}{r.Lost,7}{r.Duplicated,12}{r.RepeatSends,14}{r.CpuPerMessage,12:0.000}");
                    }
                }
            }
            Console.WriteLine();
            var met = true;
            foreach (var instances in new[] { 1, 2 })
            {
                var bare = Median(results.Where(r => r.Baseline && r.Instances == instances).Select(r => r.PerSecond));
                var service = Median(results.Where(r => !r.Baseline && r.Instances == instances).Select(r => r.PerSecond));
                var ratio = service / bare;
                met &= ratio >= Target;
                var label = instances == 1 ? "1 instance " : "2 instances";
                Console.WriteLine($"{label}: service {service:0.0} msg/s, bare loop {bare:0.0} msg/s (medians of {repeat}): {ratio:P1} of the bare loop "
                    + $"(target ≥ {Target:P0}): {(ratio >= Target ? "met" : "NOT met")}");
            }
            var clean = results.All(r => r.Lost == 0 && r.Duplicated == 0);
            Console.WriteLine(clean ? "lost 0, duplicated 0 in every run" : "MESSAGES WERE LOST OR DUPLICATED");
            return clean && met ? 0 : 1;
        }
        finally
        {
            MySqlConnection.ClearAllPools();
            await using var admin = new MySqlConnection(server);
            await admin.ExecuteAsync($"DROP DATABASE IF EXISTS `{database}`");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string? Option(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

    private sealed class ClaimedRow
    {
        public long Id { get; init; }
        public long RecipientId { get; init; }
    }

    /// <param name="CpuPerMessage">Processor time of this process (both paths and the sandbox) per message, in ms.</param>
    private sealed record RunResult(string Name, int Instances, bool Baseline, TimeSpan Elapsed, double PerSecond, int Lost, int Duplicated, int RepeatSends,
        double CpuPerMessage);

    private sealed class Runner(string connectionString, int count, CancellationToken ct)
    {
        private readonly List<(long MemberId, string OpenId)> followers = [];

        public DispatcherOptions Dispatcher { get; } = new();

        public async Task PrepareAsync()
        {
            // The schema through the service's own migration runner.
            await using (var host = BuildInstance(new Uri("http://127.0.0.1:1/")))
            {
                await host.Services.GetRequiredService<MigrationRunner>().ApplyAsync(Migration.Embedded(), ct);
            }
            await using var db = await OpenAsync();
            var now = DateTime.UtcNow;
            await db.ExecuteAsync(new CommandDefinition("INSERT INTO cities (name, created_at) VALUES ('基准市', @now)", new { now }, cancellationToken: ct));
            var branchId = await db.ExecuteScalarAsync<long>(new CommandDefinition("""
                INSERT INTO party_branches (city_id, name, created_at, updated_at) SELECT id, '基准支部', @now, @now FROM cities; SELECT LAST_INSERT_ID();
                """, new { now }, cancellationToken: ct));
            for (var i = 0; i < Members; i++)
            {
                var openId = $"bench-oa-{i:000}";
                var id = await db.ExecuteScalarAsync<long>(new CommandDefinition("""
                    INSERT INTO members (branch_id, name, title, task_force_role, phone, oa_openid, oa_following, oa_bound_at, created_at, updated_at)
                    VALUES (@branchId, @name, '专班成员', 'member', '13800000000', @openId, TRUE, @now, @now, @now); SELECT LAST_INSERT_ID();
                    """, new { branchId, name = $"成员{i:000}", openId, now }, cancellationToken: ct));
                followers.Add((id, openId));
            }
        }

        public async Task<string> ServerVersionAsync()
        {
            await using var db = await OpenAsync();
            var version = await db.ExecuteScalarAsync<string>(new CommandDefinition("SELECT VERSION()", cancellationToken: ct)) ?? "";
            return version.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? $"MariaDB {version.Split('-')[0]}" : $"MySQL {version}";
        }

        /// <summary>A shorter run of each kind first, so neither path pays for JIT compilation or cold pools in the figures.</summary>
        public async Task WarmUpAsync()
        {
            var rows = Math.Min(2000, count);
            await RunAsync("warm-up", 1, baseline: true, rows);
            await RunAsync("warm-up", 1, baseline: false, rows);
            await RunAsync("warm-up", 2, baseline: false, rows);
        }

        public async Task<RunResult> RunAsync(string name, int instances, bool baseline, int? rows = null)
        {
            var n = rows ?? count;
            var sandbox = new WechatSandbox();
            sandbox.RegisterApp(MiniProgramAppId, "bench-mp-secret", boundToOpenPlatform: false);
            sandbox.RegisterApp(OfficialAccountAppId, "bench-oa-secret", boundToOpenPlatform: false, SandboxAppKind.OfficialAccount);
            sandbox.RegisterTemplate(TemplateId, "thing1", "thing2", "time3");
            foreach (var (_, openId) in followers)
            {
                sandbox.Follow(openId);
            }
            await using var sandboxServer = await SandboxServer.StartAsync(sandbox, ct);
            var hosts = Enumerable.Range(0, instances).Select(_ => BuildInstance(sandboxServer.BaseAddress)).ToList();
            try
            {
                await ResetAsync();
                var ids = await EnqueueAsync(n);
                // Both paths start with a valid access token, as a running service has.
                foreach (var host in hosts)
                {
                    await host.Services.GetRequiredService<AccessTokenProvider>().GetTokenAsync(
                        host.Services.GetRequiredService<IOptions<WechatOptions>>().Value.OfficialAccountApp, ct);
                }
                var calls = sandbox.CallCount(NotificationKit.TemplateSend);

                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
                await Task.WhenAll(hosts.Select(host => baseline ? BareLoopAsync(host, clock, done) : ServiceAsync(host, clock, done)));
                var elapsed = await done.Task;
                var cpuPerMessage = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / n;

                var (lost, duplicated) = await CheckAsync(sandbox, ids);
                var repeats = sandbox.CallCount(NotificationKit.TemplateSend) - calls - n;
                return new RunResult(name, instances, baseline, elapsed, n / elapsed.TotalSeconds, lost, duplicated, repeats, cpuPerMessage);
            }
            finally
            {
                foreach (var host in hosts)
                {
                    await host.DisposeAsync();
                }
            }
        }

        /// <summary>
        /// One service instance as its background loop runs it: drain, and when a round finds less than a batch, wait for
        /// the next tick. The run ends when the instance that settled the last row sees nothing outstanding.
        /// </summary>
        private async Task ServiceAsync(WebApplication host, Stopwatch clock, TaskCompletionSource<TimeSpan> done)
        {
            var dispatcher = host.Services.GetRequiredService<NotificationDispatcher>();
            while (!done.Task.IsCompleted)
            {
                await dispatcher.DrainAsync(ct);
                if (await OutstandingAsync() == 0)
                {
                    done.TrySetResult(clock.Elapsed);
                    return;
                }
                await Task.WhenAny(Task.Delay(Dispatcher.Interval, ct), done.Task);
            }
        }

        /// <summary>
        /// The bare minimum: the dispatcher's claim SQL, a post of each row to template/send with the row id as
        /// client_msg_id (recipient and values known beforehand, no channel choice, no inbox, no rendering), and one update
        /// marking the whole batch sent.
        /// </summary>
        private async Task BareLoopAsync(WebApplication host, Stopwatch clock, TaskCompletionSource<TimeSpan> done)
        {
            var client = host.Services.GetRequiredService<WechatApiClient>();
            var app = host.Services.GetRequiredService<IOptions<WechatOptions>>().Value.OfficialAccountApp;
            var token = await host.Services.GetRequiredService<AccessTokenProvider>().GetTokenAsync(app, ct);
            var openIds = followers.ToDictionary(f => f.MemberId, f => f.OpenId);
            var data = new Dictionary<string, string> { ["thing1"] = "危废暂存间标识不全", ["thing2"] = "督办：请本周内完成整改", ["time3"] = "2026年3月2日 09:00" };
            var link = new TemplateMiniProgram(MiniProgramAppId, "pages/demand/detail?id=4242");
            while (!done.Task.IsCompleted)
            {
                List<ClaimedRow> rows;
                await using (var db = await OpenAsync())
                {
                    await using var tx = await db.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
                    var now = DateTime.UtcNow;
                    rows = [.. await db.QueryAsync<ClaimedRow>(new CommandDefinition(NotificationDispatcher.ClaimSql,
                        new { now, limit = Dispatcher.BatchSize }, tx, cancellationToken: ct))];
                    if (rows.Count > 0)
                    {
                        // The bare loop is no dispatcher instance and keeps no heartbeat: its claims name none (claimed_by NULL).
                        await db.ExecuteAsync(new CommandDefinition(NotificationDispatcher.MarkSendingSql,
                            new { token = 1L, instance = (long?)null, leaseUntil = now.AddMinutes(2), now, ids = rows.Select(r => r.Id).ToList() }, tx, cancellationToken: ct));
                    }
                    await tx.CommitAsync(ct);
                }
                if (rows.Count == 0)
                {
                    if (await OutstandingAsync() == 0)
                    {
                        done.TrySetResult(clock.Elapsed);
                        return;
                    }
                    await Task.WhenAny(Task.Delay(Dispatcher.Interval, ct), done.Task);
                    continue;
                }
                await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = Dispatcher.Concurrency, CancellationToken = ct }, async (row, c) =>
                {
                    var sent = await client.SendTemplateMessageAsync(token, new TemplateMessage(openIds[row.RecipientId], TemplateId, data, MiniProgram: link,
                        ClientMsgId: row.Id.ToString(CultureInfo.InvariantCulture)), c);
                    if (!sent.IsSuccess)
                    {
                        throw new InvalidOperationException($"bare loop: errcode {sent.Error!.ErrCode}");
                    }
                });
                await using (var db = await OpenAsync())
                {
                    await db.ExecuteAsync(new CommandDefinition("UPDATE notification_outbox SET status = 'sent', claim_token = NULL WHERE id IN @ids",
                        new { ids = rows.Select(r => r.Id).ToList() }, cancellationToken: ct));
                }
            }
        }

        private async Task<int> OutstandingAsync()
        {
            await using var db = await OpenAsync();
            return await db.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM notification_outbox WHERE status IN ('pending', 'sending')", cancellationToken: ct));
        }

        private async Task ResetAsync()
        {
            await using var db = await OpenAsync();
            await db.ExecuteAsync(new CommandDefinition(
                "DELETE FROM notification_inbox; DELETE FROM notification_outbox; DELETE FROM wechat_access_tokens;", cancellationToken: ct));
        }

        private async Task<List<long>> EnqueueAsync(int n)
        {
            var payload = JsonSerializer.Serialize(new
            {
                demandId = 4242, number = "SQ2026-0042", title = "危废暂存间标识不全", enterpriseName = "江苏基准环保科技有限公司",
                category = "污染治理", status = "accepted", text = "请本周内完成整改", dueDate = "2026-03-20",
            });
            var now = DateTime.UtcNow.AddSeconds(-1);
            await using var db = await OpenAsync();
            for (var start = 0; start < n; start += 1000)
            {
                var sql = new StringBuilder("INSERT INTO notification_outbox (kind, recipient_type, recipient_id, payload, next_attempt_at, created_at) VALUES ");
                var parameters = new DynamicParameters(new { payload, now, kind = NotificationKinds.DemandUrged });
                for (var i = start; i < Math.Min(n, start + 1000); i++)
                {
                    sql.Append(i == start ? "" : ",").Append(CultureInfo.InvariantCulture, $"(@kind, 'member', @r{i}, @payload, @now, @now)");
                    parameters.Add($"r{i}", followers[i % followers.Count].MemberId);
                }
                await db.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: ct));
            }
            return [.. await db.QueryAsync<long>(new CommandDefinition("SELECT id FROM notification_outbox ORDER BY id", cancellationToken: ct))];
        }

        /// <summary>Lost: a row not sent, or sent without WeChat having it. Duplicated: a row WeChat delivered more than once.</summary>
        private async Task<(int Lost, int Duplicated)> CheckAsync(WechatSandbox sandbox, List<long> ids)
        {
            await using var db = await OpenAsync();
            var sent = (await db.QueryAsync<long>(new CommandDefinition(
                "SELECT id FROM notification_outbox WHERE status IN ('sent', 'delivered')", cancellationToken: ct))).ToHashSet();
            // The service sends "{database token}-{row id}" (DatabaseIdentity.ClientMsgId), the bare loop the row id alone: both
            // are counted by the row id they end with.
            var delivered = sandbox.Deliveries.Where(d => d.ClientMsgId is not null)
                .GroupBy(d => d.ClientMsgId![(d.ClientMsgId!.LastIndexOf('-') + 1)..]).ToDictionary(g => g.Key, g => g.Count());
            var lost = ids.Count(id => !sent.Contains(id) || !delivered.ContainsKey(id.ToString(CultureInfo.InvariantCulture)));
            return (lost, delivered.Values.Sum(c => c - 1));
        }

        private async Task<MySqlConnection> OpenAsync()
        {
            var connection = new MySqlConnection(connectionString);
            await connection.OpenAsync(ct);
            return connection;
        }

        /// <summary>One service instance: the API's own database, WeChat and notification setup, pointed at the sandbox.</summary>
        private WebApplication BuildInstance(Uri sandbox)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:EcoAid"] = connectionString,
                ["Wechat:ApiBaseUrl"] = sandbox.AbsoluteUri,
                ["Wechat:MiniProgram:AppId"] = MiniProgramAppId,
                ["Wechat:MiniProgram:AppSecret"] = "bench-mp-secret",
                ["Wechat:OfficialAccount:AppId"] = OfficialAccountAppId,
                ["Wechat:OfficialAccount:AppSecret"] = "bench-oa-secret",
                ["Wechat:OfficialAccount:Token"] = "benchtoken",
                ["Wechat:OfficialAccount:EncodingAesKey"] = "BenchOnlyEncodingAesKey0123456789abcdefghij",
                ["Notifications:Dispatcher:Interval"] = Dispatcher.Interval.ToString(),
                ["Notifications:Templates:demand_urged:OfficialAccount:TemplateId"] = TemplateId,
                ["Notifications:Templates:demand_urged:OfficialAccount:Data:thing1"] = "{title}",
                ["Notifications:Templates:demand_urged:OfficialAccount:Data:thing2"] = "督办：{text}",
                ["Notifications:Templates:demand_urged:OfficialAccount:Data:time3"] = "{at}",
            });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
            builder.AddEcoAidDatabase();
            builder.AddEcoAidWechat();
            builder.AddNotifications();
            return builder.Build();
        }
    }

    private static class NotificationKit
    {
        public const string TemplateSend = "cgi-bin/message/template/send";
    }
}
