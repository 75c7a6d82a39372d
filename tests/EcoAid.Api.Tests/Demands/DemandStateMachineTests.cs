using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Tests.Demands;

public class DemandStateMachineTests
{
    // Every allowed move; everything not listed must be refused.
    private static readonly Dictionary<(string, DemandAction), string> Allowed = new()
    {
        [("pending_review", DemandAction.ReviewAccept)] = "submitted",
        [("pending_review", DemandAction.ReviewReturn)] = "returned",
        [("pending_review", DemandAction.Withdraw)] = "withdrawn",
        [("submitted", DemandAction.Accept)] = "accepted",
        [("submitted", DemandAction.Return)] = "returned",
        [("submitted", DemandAction.Withdraw)] = "withdrawn",
        [("submitted", DemandAction.Escalate)] = "submitted",
        [("submitted", DemandAction.Note)] = "submitted",
        [("accepted", DemandAction.Progress)] = "accepted",
        [("accepted", DemandAction.Urge)] = "accepted",
        [("accepted", DemandAction.RequestExtension)] = "accepted",
        [("accepted", DemandAction.DecideExtension)] = "accepted",
        [("accepted", DemandAction.SetDueDate)] = "accepted",
        [("accepted", DemandAction.Resolve)] = "resolved",
        [("accepted", DemandAction.Withdraw)] = "withdrawn",
        [("accepted", DemandAction.Reassign)] = "accepted",
        [("accepted", DemandAction.Escalate)] = "accepted",
        [("accepted", DemandAction.Note)] = "accepted",
        [("resolved", DemandAction.ConfirmSolved)] = "closed",
        [("resolved", DemandAction.ConfirmUnsolved)] = "accepted",
        [("resolved", DemandAction.Withdraw)] = "withdrawn",
        [("resolved", DemandAction.Note)] = "resolved",
    };

    public static TheoryData<string, DemandAction> EveryPair()
    {
        var data = new TheoryData<string, DemandAction>();
        foreach (var status in DemandStatus.All)
        {
            foreach (var action in Enum.GetValues<DemandAction>())
            {
                data.Add(status, action);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void EachMoveIsAllowedExactlyWhenTheLifecycleSaysSo(string status, DemandAction action) =>
        Assert.Equal(Allowed.GetValueOrDefault((status, action)), DemandStateMachine.Next(status, action));

    [Fact]
    public void ClosedReturnedAndWithdrawnAreFinal()
    {
        foreach (var final in new[] { "closed", "returned", "withdrawn" })
        {
            Assert.False(DemandStateMachine.IsOpen(final));
            Assert.All(Enum.GetValues<DemandAction>(), a => Assert.Null(DemandStateMachine.Next(final, a)));
        }
    }
}
