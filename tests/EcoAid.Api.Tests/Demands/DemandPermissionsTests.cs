using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Tests.Demands;

/// <summary><c>allowedActions</c> over every state × part the caller plays, read against the state machine's own table.</summary>
public class DemandPermissionsTests
{
    private static readonly DemandActor[] Actors =
    [
        new(Manager: false, Owner: false, StaffOfEnterprise: false), // a city viewer, a liaison member who does not own it
        new(Manager: true, Owner: false, StaffOfEnterprise: false),
        new(Manager: false, Owner: true, StaffOfEnterprise: false),
        new(Manager: true, Owner: true, StaffOfEnterprise: false),
        new(Manager: false, Owner: false, StaffOfEnterprise: true),
    ];

    public static TheoryData<string, bool> States() => [.. DemandStatus.All.SelectMany(s => new[] { (s, false), (s, true) })];

    [Theory]
    [MemberData(nameof(States))]
    public void EveryAllowedActionIsAllowedByTheStateMachineAndEveryOtherIsNot(string status, bool extensionPending)
    {
        foreach (var actor in Actors)
        {
            var allowed = DemandPermissions.Allowed(status, extensionPending, actor);
            foreach (var rule in DemandPermissions.Rules)
            {
                var machine = rule.Actions.Any(a => DemandStateMachine.Next(status, a) is not null);
                Assert.Equal(machine && rule.Who(actor, extensionPending), allowed.Contains(rule.Name));
                if (!machine)
                {
                    Assert.DoesNotContain(rule.Name, allowed);
                }
            }
        }
    }

    [Fact]
    public void EveryHttpActionOfTheMachineHasARule()
    {
        var meetingOnly = new[] { DemandAction.Reassign, DemandAction.Escalate, DemandAction.Note };
        var covered = DemandPermissions.Rules.SelectMany(r => r.Actions).ToHashSet();
        Assert.All(Enum.GetValues<DemandAction>().Except(meetingOnly), a => Assert.Contains(a, covered));
    }

    [Theory]
    [InlineData("pending_review", "manager", false, "reviewAccept,reviewReturn")]
    [InlineData("pending_review", "staff", false, "withdraw")]
    [InlineData("pending_review", "owner", false, "")]
    [InlineData("submitted", "manager", false, "accept,return")]
    [InlineData("submitted", "staff", false, "withdraw")]
    [InlineData("accepted", "owner", false, "progress,requestExtension,resolve")]
    [InlineData("accepted", "owner", true, "progress,resolve")]
    [InlineData("accepted", "manager", true, "progress,urge,approveExtension,rejectExtension,setDueDate,setResponsible")]
    [InlineData("accepted", "manager", false, "progress,urge,setDueDate,setResponsible")]
    [InlineData("resolved", "staff", false, "confirm,withdraw")]
    [InlineData("resolved", "owner", false, "")]
    [InlineData("closed", "manager", false, "")]
    [InlineData("returned", "staff", false, "")]
    [InlineData("withdrawn", "owner", false, "")]
    public void WhatEachPartMayDoInEachState(string status, string part, bool extensionPending, string expected)
    {
        var actor = part switch
        {
            "manager" => new DemandActor(true, false, false),
            "owner" => new DemandActor(false, true, false),
            _ => new DemandActor(false, false, true),
        };
        Assert.Equal(expected, string.Join(",", DemandPermissions.Allowed(status, extensionPending, actor)));
    }
}
