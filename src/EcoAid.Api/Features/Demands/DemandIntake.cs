using System.Data.Common;
using Dapper;
using EcoAid.Api.Features.Calendar;
using EcoAid.Api.Features.Notifications;
using EcoAid.Api.Infrastructure.Http;
using MySqlConnector;

namespace EcoAid.Api.Features.Demands;

/// <summary>How a demand is opened: by the submit endpoint and by a visit's rectification items.</summary>
internal static class DemandIntake
{
    /// <summary>The <c>content_check</c> a demand is stored with: WeChat unreachable → pending (checked again later).</summary>
    internal static string ContentState(ContentVerdict verdict) =>
        verdict switch { ContentVerdict.Unavailable => "pending", ContentVerdict.Review => "review", ContentVerdict.Risky => "risky", _ => "passed" };

    /// <summary>The state a new demand starts in: held for a person's review when WeChat called it risky or asked for review.</summary>
    internal static string StatusFor(string contentState) =>
        contentState is "risky" or "review" ? DemandStatus.PendingReview : DemandStatus.Submitted;

    /// <summary>A demand to open: what intake and a visit's rectification items have in common.</summary>
    internal sealed record NewDemand(long BranchId, long EnterpriseId, string EnterpriseName, long? LiaisonMemberId, string Category, string Source,
        string Title, string Description, bool Urgent, DateOnly? ExpectedBy, string ContentCheck, long SubmittedBy, string? EventText,
        IReadOnlyCollection<long>? AttachmentIds);

    /// <summary>Who hears of a new demand and how the enterprise's person is named, read before the demand is written.</summary>
    internal sealed record Audience(IReadOnlyList<Recipient> Commissioners, string ContactName);

    /// <summary>
    /// The two queries of <see cref="Audience"/>, for a caller's batch (<see cref="ReadAudienceAsync"/>); parameters
    /// <c>@commissionersOfEnterprise</c>, <c>@personUserId</c> and <c>@personEnterpriseId</c>.
    /// </summary>
    internal const string AudienceQueries = Outbox.CommissionersOfEnterpriseQuery + ";\n" + Organisation.PersonNames.EnterprisePerson + ";";

    internal static async Task<Audience> ReadAudienceAsync(SqlMapper.GridReader grid) =>
        new(Outbox.AsRecipients(await grid.ReadAsync<(long, long?)>()), await grid.ReadSingleAsync<string>());

    /// <summary>
    /// What <see cref="SubmitAsync"/> writes for the Idempotency-Key in the same batch as the number: the answer as
    /// <paramref name="Answer"/> makes it from the demand's id and a placeholder number (the number is known only inside
    /// the batch, which puts it in place of the placeholder), and the Location from the id.
    /// </summary>
    internal sealed record KeyedAnswer(long UserId, string Key, int Status, Func<long, string, string> Answer, Func<long, string> Location);

    /// <summary>
    /// Opens a demand inside the caller's transaction (a visit's rectification items, a 监督帮扶 list), as
    /// <see cref="SubmitAsync"/> does but without committing: the caller has more to write.
    /// </summary>
    internal static async Task<(long Id, string Number)> InsertAsync(DbConnection connection, DbTransaction tx, NewDemand demand, DateTimeOffset now, CancellationToken ct)
    {
        Audience audience;
        await using (var grid = await connection.QueryMultipleAsync(new CommandDefinition(AudienceQueries,
            new { commissionersOfEnterprise = demand.EnterpriseId, personUserId = demand.SubmittedBy, personEnterpriseId = demand.EnterpriseId }, tx, cancellationToken: ct)))
        {
            audience = await ReadAudienceAsync(grid);
        }
        var written = await WriteAsync(connection, tx, demand, audience, now, null, null, null, commit: false, ct);
        return (written.Id, written.Number);
    }

    /// <summary>The submitter's count of demands today, raised in the first batch; above <paramref name="Limit"/> nothing is committed.</summary>
    internal sealed record DailyCount(long UserId, DateOnly Day, int Limit);

    /// <summary>Why <see cref="SubmitAsync"/> wrote nothing (its transaction is rolled back).</summary>
    internal enum Refusal
    {
        /// <summary>The submitter's count of the day is over its limit.</summary>
        OverDailyLimit,
        /// <summary>An attachment does not exist or was not uploaded by the submitter.</summary>
        AttachmentsNotOwned,
        /// <summary>The Idempotency-Key exists (answered, or left by a request that died): <see cref="Idempotency.ClaimAsync"/> decides.</summary>
        KeyTaken,
        /// <summary>Another open transaction holds the same Idempotency-Key (its claim waited a second): 409, as the claim answers.</summary>
        KeyInFlight,
    }

    /// <summary>What <see cref="SubmitAsync"/> did: wrote the demand (<see cref="Refused"/> null) or nothing.</summary>
    internal sealed record Outcome(long Id, string Number, Refusal? Refused)
    {
        public static Outcome Not(Refusal why) => new(0, "", why);
    }

    /// <summary>
    /// Opens a demand and COMMITS, in two round trips: the day's count, the demand and its first event (with the key's
    /// claim and the attachments' ownership when asked), then the number, the outbox rows, the key's answer and the
    /// commit in one batch. With <paramref name="tx"/> null the first batch begins the transaction itself (no separate
    /// round trips for the isolation level, BEGIN and COMMIT) and this method rolls it back on every way out that does
    /// not commit; with a transaction (the caller claimed the key itself) it commits that one's work and the caller
    /// closes it. Nothing is written when a <see cref="Refusal"/> is returned.
    /// </summary>
    internal static Task<Outcome> SubmitAsync(DbConnection connection, DbTransaction? tx, NewDemand demand, Audience audience, DateTimeOffset now,
        DailyCount count, Idempotency.KeyClaim? claim, KeyedAnswer? answer, CancellationToken ct) =>
        WriteAsync(connection, tx, demand, audience, now, count, claim, answer, commit: true, ct);

    /// <summary>
    /// Writes a demand, its first timeline event, the next number of the branch's year (<c>SQ{year}-{seq}</c>) and the
    /// outbox rows telling the commissioners and the enterprise's liaison.
    /// <para>
    /// Numbering: gap-free per branch and year, as the branch's register expects (SQ2026-0001, 0002, … with none missing).
    /// <c>demand_numbers</c> holds one row per branch and year, and a row lock is the only way both MySQL 8 and MariaDB
    /// give numbers that roll back with their transaction (a sequence or AUTO_INCREMENT leaves gaps), so the lock is taken
    /// LAST and held for as little as one batch on the server: the demand is written first under a provisional number
    /// (round trip one), then one batch takes the number, writes it into the demand, writes the outbox rows and the
    /// Idempotency-Key's answer with the number put in by SQL, and — for a submission — commits. No client round trip
    /// happens while the lock is held, so a busy service (64 submissions waiting for a thread) does not stretch it.
    /// A transaction that fails or rolls back rolls its increment back too.
    /// </para>
    /// </summary>
    private static async Task<Outcome> WriteAsync(DbConnection connection, DbTransaction? tx, NewDemand demand, Audience audience, DateTimeOffset now,
        DailyCount? count, Idempotency.KeyClaim? claim, KeyedAnswer? answer, bool commit, CancellationToken ct)
    {
        if (tx is not null)
        {
            return await WriteInAsync(connection, tx, demand, audience, now, count, claim, answer, commit, ct);
        }
        // The transaction is begun by the first batch: every way out that has not committed rolls it back here (a
        // refusal, an error, a client gone), so no number lock or claim outlives the request.
        var committed = false;
        try
        {
            var outcome = await WriteInAsync(connection, null, demand, audience, now, count, claim, answer, commit, ct);
            committed = outcome.Refused is null && commit;
            return outcome;
        }
        catch (MySqlException e) when (claim is not null && Idempotency.IsClaimRefusal(e) && e.Data["claim"] is true)
        {
            return Outcome.Not(e.ErrorCode == MySqlErrorCode.DuplicateKeyEntry ? Refusal.KeyTaken : Refusal.KeyInFlight);
        }
        finally
        {
            if (!committed && connection.State == System.Data.ConnectionState.Open)
            {
                // The claim's shortened lock wait is restored too (a refused claim stops its batch before it is). A connection
                // that cannot take this is broken: the server has rolled back already, and the pool does not hand it out again.
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        (claim is null ? "" : Idempotency.RestoreWaitSql) + "ROLLBACK;", cancellationToken: CancellationToken.None));
                }
                catch (MySqlException)
                {
                }
            }
        }
    }

    private static async Task<Outcome> WriteInAsync(DbConnection connection, DbTransaction? tx, NewDemand demand, Audience audience, DateTimeOffset now,
        DailyCount? count, Idempotency.KeyClaim? claim, KeyedAnswer? answer, bool commit, CancellationToken ct)
    {
        var year = WorkingCalendar.Today(now).Year;
        var title = demand.Title.Trim();
        var status = StatusFor(demand.ContentCheck);
        // Unique until the real number replaces it in the second batch, in the same transaction (nobody else sees it).
        var provisional = "#" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(9));
        var attachments = demand.AttachmentIds is { Count: > 0 } ids ? ids.Distinct().ToArray() : null;

        // Round trip one: the submitter's count of the day (its own row), the demand, its `submitted` event (and the
        // event's attachments); no lock anyone else waits for. The list-version slot is bumped in round trip two, so
        // that row is not held while this transaction waits for the number.
        // With no transaction of the caller's, this batch begins one; the key's claim comes first, so a refused claim stops
        // the batch before anything else is written (its error is raised before the first result is read).
        long id;
        SqlMapper.GridReader first;
        try
        {
            first = await connection.QueryMultipleAsync(new CommandDefinition($"""
            {(tx is null ? "START TRANSACTION;" : "")}
            {(claim is null ? "" : Idempotency.ClaimSql)}
            {(attachments is null || count is null ? "" : "SELECT COUNT(*) FROM attachments WHERE id IN @attachments AND uploaded_by = @SubmittedBy;")}
            {(count is null ? "" : """
            INSERT INTO user_daily_counts (user_id, day, kind, count) VALUES (@countUser, @countDay, 'demand', 1)
            ON DUPLICATE KEY UPDATE count = count + 1;
            SELECT count FROM user_daily_counts WHERE user_id = @countUser AND day = @countDay AND kind = 'demand';
            """)}
            INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, expected_by, status,
                                 content_check, submitted_by, submitted_at, updated_at)
            VALUES (@BranchId, @EnterpriseId, @provisional, @Category, @Source, @title, @Description, @Urgent, @expectedBy, @status,
                    @ContentCheck, @SubmittedBy, @now, @now);
            INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, created_at)
            VALUES (LAST_INSERT_ID(), @SubmittedBy, 'submitted', 'public', @EventText, @now);
            {(attachments is null ? "" : """
            INSERT INTO demand_event_attachments (event_id, attachment_id) SELECT LAST_INSERT_ID(), a.id FROM attachments a WHERE a.id IN @attachments;
            """)}
            SELECT demand_id FROM demand_events WHERE id = LAST_INSERT_ID();
            """, new
        {
            demand.BranchId, demand.EnterpriseId, provisional, demand.Category, demand.Source, title, demand.Description, demand.Urgent,
            expectedBy = demand.ExpectedBy?.ToDateTime(TimeOnly.MinValue), demand.ContentCheck, status, demand.SubmittedBy, demand.EventText,
            attachments, now = now.UtcDateTime, countUser = count?.UserId, countDay = count?.Day.ToDateTime(TimeOnly.MinValue),
            claimUser = claim?.UserId, claimKey = claim?.Key, claimHash = claim?.Hash, claimAt = now.UtcDateTime,
        }, tx, cancellationToken: ct));
        }
        catch (MySqlException e) when (claim is not null && Idempotency.IsClaimRefusal(e))
        {
            // Raised before any result: the claim's insert (the day's count upserts its own row and cannot be a duplicate).
            e.Data["claim"] = true;
            throw;
        }
        await using (first)
        {
            // The order of the answers as before: the attachments' owner (422), then the day's limit (429).
            if (attachments is not null && count is not null && await first.ReadSingleAsync<int>() != attachments.Length)
            {
                return Outcome.Not(Refusal.AttachmentsNotOwned);
            }
            if (count is not null && await first.ReadSingleAsync<int>() > count.Limit)
            {
                return Outcome.Not(Refusal.OverDailyLimit);
            }
            id = await first.ReadSingleAsync<long>();
        }

        // Round trip two: from its first statement to its end, the branch's number row is locked.
        var p = new DynamicParameters();
        p.Add("BranchId", demand.BranchId);
        p.Add("year", year);
        p.Add("id", id);
        p.Add("provisional", provisional);
        const string Number = "(SELECT n.number FROM demands n WHERE n.id = @id)";
        string WithNumber(string parameter) => $"REPLACE({parameter}, @provisional, {Number})";
        var category = DemandCategories.Names[demand.Category];
        string outbox;
        if (status == DemandStatus.PendingReview)
        {
            // Only the commissioners see it until one of them (or the secretary) has looked at it.
            outbox = Outbox.InsertStatement(p, "ob", NotificationKinds.DemandReviewNeeded, audience.Commissioners, id,
                new { demandId = id, number = provisional, title, enterpriseName = demand.EnterpriseName, category, contactName = audience.ContactName,
                      verdict = demand.ContentCheck == "risky" ? "内容安全检测认为有风险" : "内容安全检测建议人工审核" }, now, now, WithNumber);
        }
        else
        {
            var recipients = audience.Commissioners.ToList();
            if (demand.LiaisonMemberId is { } liaison)
            {
                recipients.Add(Recipient.Member(liaison));
            }
            outbox = Outbox.InsertStatement(p, "ob", NotificationKinds.DemandSubmitted, recipients, id,
                new { demandId = id, number = provisional, title, enterpriseName = demand.EnterpriseName, category, contactName = audience.ContactName, submittedAt = now },
                now, now, WithNumber);
        }
        var keyed = "";
        if (answer is not null)
        {
            // What Idempotency.CompleteAsync writes, with the number put into the stored answer here.
            p.Add("keyUser", answer.UserId);
            p.Add("keyName", answer.Key);
            p.Add("keyStatus", answer.Status);
            p.Add("keyBody", answer.Answer(id, provisional));
            p.Add("keyLocation", answer.Location(id));
            keyed = $"""
                UPDATE idempotency_keys SET response_status = @keyStatus, response_body = {WithNumber("@keyBody")}, location = @keyLocation
                WHERE user_id = @keyUser AND idem_key = @keyName;
                """;
        }
        var number = await connection.ExecuteScalarAsync<string>(new CommandDefinition($"""
            INSERT INTO demand_numbers (branch_id, year, last) VALUES (@BranchId, @year, LAST_INSERT_ID(1))
            ON DUPLICATE KEY UPDATE last = LAST_INSERT_ID(last + 1);
            UPDATE demands SET number = CONCAT('SQ', @year, '-', IF(LAST_INSERT_ID() < 10000, LPAD(LAST_INSERT_ID(), 4, '0'), LAST_INSERT_ID())) WHERE id = @id;
            {(outbox.Length == 0 ? "" : outbox + ";")}
            {keyed}
            {DemandCounts.BumpSql}
            {(commit ? "COMMIT;" : "")}
            SELECT number FROM demands WHERE id = @id;
            """, p, tx, cancellationToken: ct));
        return new Outcome(id, number!, null);
    }
}
