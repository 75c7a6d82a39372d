using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Tests.Demands;

/// <summary>The one rule that writes 责任单位/责任人 in the 清单 export and the report's list.</summary>
public class ResponsibleTextTests
{
    [Theory]
    [InlineData("member", "刘洋", null, "刘洋")]
    [InlineData("department_contact", "孙静", null, "孙静")]
    [InlineData("other", "王强", "13800001111", "王强（13800001111）")]
    [InlineData("other", "王强", null, "王强")]
    [InlineData("member", "刘洋", "13800001111", "刘洋")] // only a person of another body is written with a phone
    [InlineData("member", " ", null, null)]
    public void ThePersonIsNamedWithAPhoneOnlyForAnotherBody(string kind, string name, string? phone, string? expected) =>
        Assert.Equal(expected, DemandListColumns.ResponsiblePerson(kind, name, phone));

    [Fact]
    public void ARowAndItsSnapshotPrintAlike()
    {
        var row = new DemandRow
        {
            OwnerMemberId = 4, OwnerName = "刘洋", ResponsibleUnit = "县自然资源局", ResponsibleUnitKind = "other", ResponsiblePersonKind = "other",
            ResponsiblePersonName = "王强", ResponsiblePersonPhone = "13800001111",
        };
        var snapshot = DemandListColumns.Snapshot(row)!;
        Assert.Equal((DemandListColumns.ResponsibleUnit(row), DemandListColumns.ResponsiblePerson(row)),
            (DemandListColumns.ResponsibleUnit(snapshot), DemandListColumns.ResponsiblePerson(snapshot)));
        Assert.Equal(("县自然资源局", "王强（13800001111）"), (DemandListColumns.ResponsibleUnit(snapshot), DemandListColumns.ResponsiblePerson(snapshot)));
        // A row from before the structured columns: the claiming member, under the branch.
        var old = new DemandRow { OwnerMemberId = 4, OwnerName = "刘洋", ResponsibleUnit = "某党支部" };
        Assert.Equal(("某党支部", "刘洋"), (DemandListColumns.ResponsibleUnit(old), DemandListColumns.ResponsiblePerson(old)));
        Assert.Null(DemandListColumns.Snapshot(new DemandRow()));
    }
}
