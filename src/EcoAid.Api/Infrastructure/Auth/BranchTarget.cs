using EcoAid.Api.Infrastructure.Http;

namespace EcoAid.Api.Infrastructure.Auth;

/// <summary>Which branch a write goes to: a branch admin's own, or the one a city admin names (within their city).</summary>
public static class BranchTarget
{
    public static bool TryResolve(CurrentUser user, long? requested, out long branchId, out IResult? problem)
    {
        problem = null;
        branchId = 0;
        var chosen = user.IsInRole(Roles.Admin) && user.BranchId is not null ? user.BranchId : requested;
        if (chosen is null)
        {
            problem = Problems.Validation("branchId", "请指定支部。");
            return false;
        }
        if (!user.Reaches(chosen.Value) || requested is { } asked && asked != chosen)
        {
            problem = Problems.NotFound("指定的支部不存在或不在您的管理范围内。");
            return false;
        }
        branchId = chosen.Value;
        return true;
    }
}

/// <summary>MySQL's duplicate-key error, the one a unique constraint answers with.</summary>
public static class MySqlErrors
{
    public static bool IsDuplicateKey(Exception e, string? constraint = null) =>
        e is MySqlConnector.MySqlException { ErrorCode: MySqlConnector.MySqlErrorCode.DuplicateKeyEntry } m
        && (constraint is null || m.Message.Contains(constraint, StringComparison.Ordinal));
}
