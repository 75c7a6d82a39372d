using EcoAid.Api.Features.PolicyLibrary;
using Microsoft.Extensions.Options;

namespace EcoAid.Api.Tests.PolicyLibrary;

public class SearchGateTests
{
    [Fact]
    public async Task ASearchBeyondTheLimitWaitsAndThenGivesUp()
    {
        var gate = new SearchGate(Options.Create(new PolicyOptions { SearchConcurrency = 1, SearchQueueTimeout = TimeSpan.FromMilliseconds(100) }));
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = gate.RunAsync(() => release.Task);

        await Assert.ThrowsAsync<SearchBusyException>(() => gate.RunAsync(() => Task.FromResult(2)));
        release.SetResult(1);
        Assert.Equal(1, await running);
        Assert.Equal(3, await gate.RunAsync(() => Task.FromResult(3))); // the slot is free again
    }
}
