namespace EcoAid.Api.Features.Stats;

/// <summary>A rate with the counts behind it. No denominator → <c>value</c> is null (never NaN, never an error).</summary>
public sealed record Rate(double? Value, int Numerator, int Denominator)
{
    public static Rate Of(int numerator, int denominator) =>
        denominator == 0 ? new Rate(null, 0, 0) : new Rate(Math.Round((double)numerator / denominator, 4), numerator, denominator);
}

/// <summary>
/// The counts behind the four rates for one group (a branch, an enterprise, a member, or a roll-up of several). Each
/// is a count of demands or events, so the counts of two groups add up to the counts of both.
/// </summary>
/// <param name="ResponseDue">Demands submitted in the period that were accepted or whose response limit had passed.</param>
/// <param name="ResponseMet">Of those, the ones accepted within the limit.</param>
/// <param name="Resolutions">Resolutions (<c>resolved</c> events) in the period.</param>
/// <param name="ResolvedOnTime">Of those, the ones on or before the due date in force then (Shanghai dates).</param>
/// <param name="Confirmations">Confirmations (<c>confirmed</c> and <c>reopened</c> events) in the period.</param>
/// <param name="Solved">Of those, the ones answering "solved".</param>
/// <param name="Rated">Confirmations that carried a rating.</param>
/// <param name="Satisfied">Of those, the ones rated <see cref="Kpis.SatisfiedFrom"/> or more.</param>
internal readonly record struct RateCounts(int ResponseDue, int ResponseMet, int Resolutions, int ResolvedOnTime, int Confirmations, int Solved, int Rated,
    int Satisfied)
{
    public static RateCounts operator +(RateCounts a, RateCounts b) => new(a.ResponseDue + b.ResponseDue, a.ResponseMet + b.ResponseMet,
        a.Resolutions + b.Resolutions, a.ResolvedOnTime + b.ResolvedOnTime, a.Confirmations + b.Confirmations, a.Solved + b.Solved, a.Rated + b.Rated,
        a.Satisfied + b.Satisfied);

    public static RateCounts Sum(IEnumerable<RateCounts> counts) => counts.Aggregate(default(RateCounts), (a, b) => a + b);
}

/// <summary>
/// The programme's four rates, as defined in miniprogram-api-docs/stats.md. A period is <c>[from 00:00, to + 1 day
/// 00:00)</c> Asia/Shanghai; each rate is reported with its numerator and denominator.
/// </summary>
/// <remarks>
/// Which demand or event falls in which count is decided in the database (<see cref="StatsCounts"/>, by the rules
/// below, each written once as a SQL condition here), so that a period of any length is read as a few rows per group;
/// the rates are then pure functions of the counts.
/// </remarks>
internal static class Kpis
{
    /// <summary>Ratings 4 (基本满意) and 5 (满意) count as satisfied; 1–3 do not.</summary>
    public const int SatisfiedFrom = 4;

    /// <summary>
    /// 响应率: of the demands submitted in the period whose response limit has passed (at the moment of computing) or that
    /// were accepted, those accepted (claimed or transferred) within the limit of submission. A demand still waiting
    /// inside its limit is not counted yet.
    /// </summary>
    public static Rate Response(RateCounts c) => Rate.Of(c.ResponseMet, c.ResponseDue);

    /// <summary>
    /// 按期办结率: of the resolutions in the period, those on or before the due date in force at the time (after approved
    /// extensions), comparing Shanghai dates. A demand resolved, reopened and resolved again counts each time.
    /// </summary>
    public static Rate OnTime(RateCounts c) => Rate.Of(c.ResolvedOnTime, c.Resolutions);

    /// <summary>解决率: of the confirmations received in the period, those answering "solved".</summary>
    public static Rate Resolution(RateCounts c) => Rate.Of(c.Solved, c.Confirmations);

    /// <summary>满意率: of the ratings received in the period (one per confirmation), those of 4 or 5.</summary>
    public static Rate Satisfaction(RateCounts c) => Rate.Of(c.Satisfied, c.Rated);

    public static Rates RatesOf(RateCounts c) => new(Response(c), OnTime(c), Resolution(c), Satisfaction(c));

    public static MemberRates MemberRatesOf(RateCounts c) => new(OnTime(c), Resolution(c), Satisfaction(c));

    /// <summary>
    /// The rules as SQL conditions over a demand <c>d</c> (with <c>{accepted}</c> its acceptance as far as the moment
    /// knows it) and the parameters <c>@dueBy</c> (the moment minus the limit) and <c>@limitSeconds</c>.
    /// </summary>
    internal static class Sql
    {
        /// <summary>Accepted, or the limit has passed: submitted + limit ≤ the moment.</summary>
        public static string ResponseDue(string accepted) => $"({accepted} IS NOT NULL OR d.submitted_at <= @dueBy)";

        /// <summary>Accepted at most the limit after submission (exactly at the limit is in time).</summary>
        public static string ResponseMet(string accepted) => $"({accepted} IS NOT NULL AND {accepted} <= d.submitted_at + INTERVAL @limitSeconds SECOND)";

        /// <summary>
        /// An event's details as the timeline wrote them (a JSON object), or nothing usable: events written before
        /// details existed, or unreadable ones, fall back to the demand's own columns.
        /// </summary>
        private const string HasDetails = "(CASE WHEN JSON_VALID(ev.details) THEN JSON_TYPE(ev.details) = 'OBJECT' ELSE FALSE END)";

        /// <summary>The due date in force when a <c>resolved</c> event happened: its details' (none: no due date), or the row's.</summary>
        public const string DueThen = $"CASE WHEN {HasDetails} THEN CAST(JSON_VALUE(ev.details, '$.dueDate') AS DATE) ELSE d.due_date END";

        /// <summary>The Shanghai calendar date of an event (Asia/Shanghai has been UTC+8 all year since 1991).</summary>
        public const string ShanghaiDay = "DATE(ev.created_at + INTERVAL 8 HOUR)";

        /// <summary>A confirmation's answer: its details'; an old <c>confirmed</c> was solved, an old <c>reopened</c> not.</summary>
        public const string Solved = $"""
            CASE WHEN {HasDetails} THEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ev.details, '$.solved')) = 'true', FALSE) ELSE ev.kind = 'confirmed' END
            """;

        /// <summary>
        /// A confirmation's rating: its details'; an old <c>confirmed</c> is final, so the row still holds its rating; an
        /// old <c>reopened</c> has none the row can still tell.
        /// </summary>
        public const string Rating = $"""
            CASE WHEN {HasDetails} THEN (CASE WHEN JSON_TYPE(JSON_EXTRACT(ev.details, '$.satisfaction')) = 'INTEGER'
                                              THEN CAST(JSON_EXTRACT(ev.details, '$.satisfaction') AS SIGNED) END)
                 WHEN ev.kind = 'confirmed' THEN d.satisfaction END
            """;
    }
}
