using System.Diagnostics;
using System.Globalization;
using System.Net;
using EcoAid.Api.Tests.Infrastructure;

namespace EcoAid.Api.Tests.Database;

/// <summary>
/// The service with a fault proxy between it and MariaDB: refused, cut and stalled connections answer 503
/// <c>service.unavailable</c> with Retry-After, a cached public policy list keeps answering, and the service recovers
/// without a restart. How fast the 503 comes is a figure of scripts/fault-drill.sh; here the bound is only far below
/// the connector's own 15 s default, so that the deliberate timeouts are shown to be in force.
/// </summary>
public class DatabaseAwayTests(EcoAidFixture fixture) : IClassFixture<EcoAidFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(FaultMode.Refuse)]
    [InlineData(FaultMode.Cut)]
    [InlineData(FaultMode.Stall)]
    public async Task TheDatabaseAwayAnswers503WithRetryAfterCachedPoliciesStillAnswerAndItRecovers(FaultMode fault)
    {
        await using var proxy = FaultProxy.Start(fixture.Database.ConnectionString);
        await using var app = new EcoAidApp(fixture, s =>
        {
            s["ConnectionStrings:EcoAid"] = proxy.ConnectionString;
            s["Database:ConnectTimeout"] = "00:00:02";
            s["Database:CommandTimeout"] = "00:00:02";
        });
        var user = await app.LoginAsAsync(World.Unique("o-away-"));
        var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/me", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/policies", Ct)).StatusCode); // now cached

        proxy.Set(fault);
        var clock = Stopwatch.StartNew();
        var away = await user.GetAsync("/api/me", Ct);
        clock.Stop();

        await ProblemAssert.IsProblemAsync(away, HttpStatusCode.ServiceUnavailable, "service.unavailable");
        var retryAfter = int.Parse(away.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the 503 took {clock.Elapsed}");
        var cached = await anonymous.GetAsync("/api/policies", Ct);
        Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        var ready = await anonymous.GetAsync("/readyz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        proxy.Set(FaultMode.Pass);
        // No restart: the pool drops broken connections and opens new ones. Bounded: a few tries, each its own request.
        HttpStatusCode status = 0;
        for (var attempt = 0; attempt < 10 && status != HttpStatusCode.OK; attempt++)
        {
            if (attempt > 0) await Task.Delay(300, Ct);
            status = (await user.GetAsync("/api/me", Ct)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz", Ct)).StatusCode);
    }
}
