using System.Net;
using System.Net.Http.Json;
using Dapper;
using EcoAid.Api.Features.Demands;
using EcoAid.Api.Tests.Infrastructure;
using EcoAid.Wechat.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace EcoAid.Api.Tests.Demands;

public class ContentCheckTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RiskyTextIsNotRefusedButHeldForReview()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var word = World.Unique("违禁词");
        app.Sandbox.RiskyWords[word] = 20006;

        var id = await w.SubmitAsync(new { category = "other", title = "普通标题", description = $"描述里有{word}" });

        var detail = await w.DetailAsync(w.Commissioner, id);
        Assert.Equal("pending_review", detail.GetProperty("status").GetString());
        Assert.Equal("risky", detail.GetProperty("contentCheck").GetString());
    }

    [Fact]
    public async Task TextNeedingReviewIsAcceptedAndMarked()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var word = World.Unique("待审词");
        app.Sandbox.ReviewWords[word] = 21000;

        var id = await w.SubmitAsync(new { category = "other", title = word, description = "请帮忙看看" });

        var detail = await w.DetailAsync(w.Commissioner, id);
        Assert.Equal("review", detail.GetProperty("contentCheck").GetString());
        Assert.Equal("pending_review", detail.GetProperty("status").GetString());
    }

    [Fact]
    public async Task WhenWechatCannotCheckTheDemandIsAcceptedAndCheckedLater()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var word = World.Unique("复检词");
        app.Sandbox.RiskyWords[word] = 20001;
        app.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(HttpStatus: 503, Times: 2));
        try
        {
            var fine = await w.SubmitAsync(new { category = "other", title = "正常诉求", description = "一切正常" });
            var flagged = await w.SubmitAsync(new { category = "other", title = "另一条", description = word });
            Assert.Equal("pending", (await w.DetailAsync(w.Commissioner, fine)).GetProperty("contentCheck").GetString());
            Assert.Equal("pending", (await w.DetailAsync(w.Commissioner, flagged)).GetProperty("contentCheck").GetString());

            var checkedNow = await app.Services.GetRequiredService<ContentRecheckWorker>().RecheckPendingAsync(Ct);

            Assert.True(checkedNow >= 2);
            Assert.Equal("passed", (await w.DetailAsync(w.Commissioner, fine)).GetProperty("contentCheck").GetString());
            var detail = await w.DetailAsync(w.Commissioner, flagged);
            Assert.Equal("risky", detail.GetProperty("contentCheck").GetString());
            Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "content_flagged");
            // The enterprise does not see the internal flag.
            Assert.DoesNotContain((await w.DetailAsync(w.Staff, flagged)).GetProperty("timeline").EnumerateArray(),
                e => e.GetProperty("kind").GetString() == "content_flagged");
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }

    [Fact]
    public async Task ADemandWechatCannotCheckWaitsItsTurnWhileTheOthersGoAheadAndEndsWithAPerson()
    {
        await using var app = new EcoAidApp(fixture);
        var w = await DemandWorld.CreateAsync(app);
        var worker = app.Services.GetRequiredService<ContentRecheckWorker>();
        await worker.RecheckPendingAsync(Ct); // nothing of other tests left pending
        app.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(HttpStatus: 503, Times: 2));
        var stuck = await w.SubmitAsync(new { category = "other", title = "第一条", description = "先提交" });
        var next = await w.SubmitAsync(new { category = "other", title = "第二条", description = "后提交" });
        try
        {
            // The first recheck of "stuck" fails too; "next" is checked in the same round all the same.
            app.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(HttpStatus: 503, Times: 1));
            Assert.Equal(1, await worker.RecheckPendingAsync(Ct));
            Assert.Equal("pending", (await w.DetailAsync(w.Commissioner, stuck)).GetProperty("contentCheck").GetString());
            Assert.Equal("passed", (await w.DetailAsync(w.Commissioner, next)).GetProperty("contentCheck").GetString());

            // Not due again before its back-off has passed.
            Assert.Equal(0, await worker.RecheckPendingAsync(Ct));

            // WeChat never manages it: after the last attempt a person is asked to look.
            app.Sandbox.InjectFault("wxa/msg_sec_check", new SandboxFault(HttpStatus: 503, Times: ContentRecheckWorker.MaxAttempts));
            for (var i = 0; i < ContentRecheckWorker.MaxAttempts; i++)
            {
                app.Clock.Advance(TimeSpan.FromHours(7));
                await worker.RecheckPendingAsync(Ct);
            }
            var detail = await w.DetailAsync(w.Commissioner, stuck);
            Assert.Equal("review", detail.GetProperty("contentCheck").GetString());
            Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), e => e.GetProperty("kind").GetString() == "content_flagged");
        }
        finally
        {
            app.Sandbox.ClearFaults();
        }
    }
}
