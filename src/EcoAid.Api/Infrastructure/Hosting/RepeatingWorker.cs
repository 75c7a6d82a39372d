namespace EcoAid.Api.Infrastructure.Hosting;

/// <summary>
/// The one loop every background worker runs: do a round, wait for the next tick, again until the host stops. A round
/// that fails is logged by the worker (each keeps its own event id, level and wording) and the loop goes on; only the
/// host stopping ends it.
/// </summary>
public static class RepeatingWork
{
    /// <param name="interval">Time between rounds.</param>
    /// <param name="clock">The clock the wait runs on (a fake one in tests that move time by hand).</param>
    /// <param name="runAtStart">True: a first round at once; false: the first round after one interval.</param>
    /// <param name="round">One round of work.</param>
    /// <param name="failed">Logs a round that threw (anything but the host's cancellation).</param>
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, bool runAtStart, Func<CancellationToken, Task> round,
        Action<Exception> failed, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        if (!runAtStart && !await timer.WaitForNextTickAsync(stoppingToken))
        {
            return;
        }
        do
        {
            try
            {
                await round(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>A hosted service whose whole life is <see cref="RepeatingWork.RunAsync"/>: the worker says how often, what, and how a failure is logged.</summary>
public abstract class RepeatingWorker : BackgroundService
{
    /// <summary>The clock the wait runs on: the system's unless the worker waits on its injected (in tests, fake) clock.</summary>
    protected virtual TimeProvider TimerClock => TimeProvider.System;

    /// <summary>Time between rounds.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>True for a first round at start-up rather than after one interval.</summary>
    protected virtual bool RunsAtStart => false;

    /// <summary>False leaves the service idle for this process (a switch in the settings).</summary>
    protected virtual bool Enabled => true;

    /// <summary>One round of work.</summary>
    protected abstract Task RunRoundAsync(CancellationToken ct);

    /// <summary>Logs a round that threw; the loop goes on.</summary>
    protected abstract void RoundFailed(Exception exception);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Enabled ? RepeatingWork.RunAsync(Interval, TimerClock, RunsAtStart, RunRoundAsync, RoundFailed, stoppingToken) : Task.CompletedTask;
}
