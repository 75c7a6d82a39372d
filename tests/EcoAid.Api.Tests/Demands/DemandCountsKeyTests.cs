using Dapper;
using EcoAid.Api.Features.Demands;

namespace EcoAid.Api.Tests.Demands;

public class DemandCountsKeyTests
{
    private static DynamicParameters Reach(long userId, long? memberId)
    {
        var p = new DynamicParameters();
        p.Add("ReachBranchIds", new long[] { 7 });
        p.Add("ReachMemberId", memberId);
        p.Add("ReachUserId", userId);
        p.Add("q", "%废%");
        p.Add("qExact", "废");
        return p;
    }

    [Fact]
    public void TwoUsersWhoseClauseDoesNotNameThemShareOneKey()
    {
        const string where = "d.branch_id IN @ReachBranchIds AND (TRUE)";
        Assert.Equal(DemandCounts.KeyOf("demands d", where, Reach(1, null)), DemandCounts.KeyOf("demands d", where, Reach(2, 5)));
    }

    [Fact]
    public void EveryValueTheClauseUsesIsInTheKey()
    {
        const string where = "d.branch_id IN @ReachBranchIds AND (d.owner_member_id = @ReachMemberId) AND (d.title LIKE @q OR d.number = @qExact)";
        Assert.NotEqual(DemandCounts.KeyOf("demands d", where, Reach(1, 5)), DemandCounts.KeyOf("demands d", where, Reach(1, 6)));
        var other = Reach(1, 5);
        other.Add("qExact", "危");
        Assert.NotEqual(DemandCounts.KeyOf("demands d", where, Reach(1, 5)), DemandCounts.KeyOf("demands d", where, other));
        other = Reach(1, 5);
        other.Add("ReachBranchIds", new long[] { 8 });
        Assert.NotEqual(DemandCounts.KeyOf("demands d", where, Reach(1, 5)), DemandCounts.KeyOf("demands d", where, other));
    }
}
