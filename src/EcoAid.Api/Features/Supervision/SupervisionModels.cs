using EcoAid.Api.Infrastructure.Validation;

namespace EcoAid.Api.Features.Supervision;

public sealed class SupervisionOptions
{
    /// <summary>Largest list file accepted (bytes). Lists are dozens of rows; 5 MB leaves room for pictures pasted in.</summary>
    public long MaxUploadBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>The most a list may unpack to (all parts of the xlsx package together).</summary>
    public long MaxUnpackedBytes { get; set; } = 50 * 1024 * 1024;

    /// <summary>Most data rows in one list.</summary>
    public int MaxRows { get; set; } = 2000;
}

public sealed record ColumnView(int Index, string Header, string? Field, string? FieldName);

public sealed record CandidateView(long EnterpriseId, string Name);

/// <summary>One row as it would be imported. <c>match</c>: matched, choose (candidates to pick from), unmatched.</summary>
public sealed record RowPreview(int RowNumber, string? Seq, string? EnterpriseName, string? CreditCode, string? ProblemType, string? Description,
    DateOnly? Deadline, string Match, long? EnterpriseId, string? MatchedName, IReadOnlyList<CandidateView> Candidates, IReadOnlyList<string> Problems,
    bool Blocked, long? ItemId, long? DemandId);

public sealed record BatchPreview(long Id, string FileName, string Status, bool Duplicate, int RowCount, IReadOnlyList<ColumnView> Columns,
    IReadOnlyList<string> MappingProblems, int Matched, int NeedChoice, int Unmatched, int Blocked, IReadOnlyList<RowPreview> Rows,
    DateTimeOffset CreatedAt, DateTimeOffset? AppliedAt);

public sealed record BatchListItem(long Id, string FileName, string Status, int RowCount, int Items, int ClosedOut, DateTimeOffset CreatedAt, DateTimeOffset? AppliedAt);

public sealed record FieldView(string Code, string Name);

/// <summary>The corrected mapping: for each column (by index, from 0), the field it holds, or null to leave it unread.</summary>
public sealed record SetMappingRequest(string?[] Columns) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        if (Columns is null)
        {
            errors.Add("columns", "请给出每一列对应的字段（不读取的列为 null）。");
            return;
        }
        foreach (var code in Columns.Where(c => c is not null && !ListColumns.ByCode.ContainsKey(c)))
        {
            errors.Add("columns", $"未知的字段“{code}”，可选：{string.Join("、", ListColumns.Fields.Select(f => f.Code))}。");
        }
        foreach (var twice in Columns.Where(c => c is not null).GroupBy(c => c).Where(g => g.Count() > 1))
        {
            errors.Add("columns", $"字段“{ListColumns.ByCode[twice.Key!].Name}”只能对应一列。");
        }
    }
}

/// <summary>For a row that needs it: the enterprise chosen, or skip (the row is not imported).</summary>
public sealed record RowChoice(int RowNumber, long? EnterpriseId, bool? Skip);

public sealed record ApplyBatchRequest(RowChoice[]? Choices) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        foreach (var c in Choices ?? [])
        {
            if (c.EnterpriseId is null == (c.Skip != true))
            {
                errors.Add("choices", $"第 {c.RowNumber} 行：请选择企业（enterpriseId）或跳过（skip=true），二选一。");
            }
        }
    }
}

public sealed record AppliedItem(long ItemId, int RowNumber, long DemandId, string Number, long EnterpriseId, bool Created);

public sealed record ApplyResult(long BatchId, int Created, int AlreadyImported, int Skipped, IReadOnlyList<AppliedItem> Items);

public sealed record CloseOutRequest(string Evidence, string Verifier, long[]? AttachmentIds) : IValidatable
{
    public void Validate(ValidationErrors errors)
    {
        errors.Required("evidence", Evidence, 1000);
        errors.Required("verifier", Verifier, 50);
        if (AttachmentIds is { Length: > 9 })
        {
            errors.Add("attachmentIds", "附件不能超过 9 个。");
        }
    }
}

public sealed record ItemView(long Id, long BatchId, int RowNumber, long DemandId, string Number, string Status, long EnterpriseId, DateOnly? DueDate,
    bool ClosedOut, DateTimeOffset? ClosedOutAt, string? Evidence, string? Verifier);
