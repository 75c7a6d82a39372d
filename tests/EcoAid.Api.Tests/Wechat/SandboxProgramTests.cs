using Dapper;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;

namespace EcoAid.Api.Tests.Wechat;

/// <summary>The sandbox is a program of its own that the service reaches only over HTTP.</summary>
public class SandboxProgramTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TheServiceAssemblyDoesNotReferenceTheSandbox()
    {
        Assert.DoesNotContain(typeof(Program).Assembly.GetReferencedAssemblies(), a => a.Name!.Contains("Sandbox", StringComparison.Ordinal));
        Assert.Null(Type.GetType("EcoAid.Wechat.Sandbox.WechatSandbox, EcoAid.Api"));
    }

    [Fact]
    public async Task AtStartupTheServiceTellsTheSandboxItsTemplatesFollowersAndAcceptancesOverHttp()
    {
        // A sandbox that starts empty, as the dev run's does, on a port of its own.
        var sandbox = SandboxProgram.Create(new SandboxHostOptions
        {
            MiniProgram = new() { AppId = EcoAidFixture.AppId, AppSecret = EcoAidFixture.AppSecret },
            OfficialAccount = new() { AppId = EcoAidFixture.OaAppId, AppSecret = EcoAidFixture.OaAppSecret, Token = EcoAidFixture.OaToken, EncodingAesKey = EcoAidFixture.OaEncodingAesKey },
        }, TimeProvider.System);
        await using var server = await SandboxServer.StartAsync(sandbox, Ct);

        string follower, user;
        await using (var first = new EcoAidApp(fixture))
        {
            var world = new World(first);
            var (cityId, branchId) = await world.BranchAsync();
            var memberId = await world.MemberAsync(branchId);
            follower = World.Unique("oa_");
            user = World.Unique("mp_");
            await using var connection = await first.OpenDatabaseAsync();
            await connection.ExecuteAsync("UPDATE members SET oa_openid = @follower, oa_following = TRUE WHERE id = @memberId", new { follower, memberId });
            var userId = await connection.ExecuteScalarAsync<long>("""
                INSERT INTO users (openid, display_name, city_id, branch_id, created_at) VALUES (@user, '测试', @cityId, @branchId, NOW(6));
                SELECT LAST_INSERT_ID();
                """, new { user, cityId, branchId });
            await connection.ExecuteAsync("""
                INSERT INTO subscribe_quotas (user_id, template_id, remaining, accepted, updated_at) VALUES (@userId, @template, 3, 3, NOW(6))
                """, new { userId, template = TestTemplates.Subscribe });
        }
        Assert.False(sandbox.KnowsTemplate(TestTemplates.Subscribe));

        await using var second = new EcoAidApp(fixture, s =>
        {
            s["Sandbox:Enabled"] = "true";
            s["Wechat:ApiBaseUrl"] = server.BaseAddress.AbsoluteUri;
        });
        _ = second.Services; // startup runs the step

        Assert.True(sandbox.KnowsTemplate(TestTemplates.Subscribe));
        Assert.True(sandbox.KnowsTemplate(TestTemplates.OfficialAccount));
        Assert.True(sandbox.IsFollowing(follower));
        Assert.Equal(3, sandbox.SubscriptionsLeft(user, TestTemplates.Subscribe));
    }
}
