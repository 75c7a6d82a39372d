using System.Data.Common;
using Dapper;
using EcoAid.Api.Infrastructure.Auth;
using EcoAid.Api.Infrastructure.Http;
using EcoAid.Api.Infrastructure.Validation;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;

namespace EcoAid.Api.Features.Calendar;

/// <summary>
/// The holiday and make-up-workday table deadlines are counted against. It is national, shared by every branch, so only
/// city administrators change it.
/// </summary>
public static class CalendarApi
{
    internal static IEndpointRouteBuilder MapCalendarEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/calendar").WithTags("Calendar").AddEndpointFilter<ValidationFilter>();
        group.MapGet("/", ListCalendarDays).RequireAuthorization(Policies.User).WithName(nameof(ListCalendarDays))
            .WithSummary("节假日与调休表").WithDescription("列出某年的法定节假日（工作日放假）和调休上班日（周末上班）。其余日子周一至周五为工作日。");
        group.MapPut("/{day}", SetCalendarDay).RequireAuthorization(Policies.CityAdmin).WithName(nameof(SetCalendarDay)).WithSummary("设置某天为节假日或调休上班日");
        group.MapDelete("/{day}", DeleteCalendarDay).RequireAuthorization(Policies.CityAdmin).WithName(nameof(DeleteCalendarDay)).WithSummary("恢复某天的默认安排");
        return routes;
    }

    public sealed record CalendarDayRequest(string Kind, string Name) : IValidatable
    {
        public void Validate(ValidationErrors errors)
        {
            errors.OneOf("kind", Kind, ["holiday", "workday"]);
            errors.Required("name", Name, 50);
        }
    }

    public sealed record CalendarDayResponse(DateOnly Day, string Kind, string Name);

    static async Task<Results<Ok<IReadOnlyList<CalendarDayResponse>>, ValidationProblem>> ListCalendarDays(int? year, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        var y = year ?? WorkingCalendar.Today(clock.GetUtcNow()).Year;
        if (y is < 2000 or > 2100)
        {
            return Problems.Validation("year", "年份须在 2000 到 2100 之间。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, string Kind, string Name)>(new CommandDefinition(
            "SELECT day, kind, name FROM calendar_days WHERE day BETWEEN @from AND @to ORDER BY day",
            new { from = new DateTime(y, 1, 1), to = new DateTime(y, 12, 31) }, cancellationToken: ct));
        return TypedResults.Ok<IReadOnlyList<CalendarDayResponse>>(rows.Select(r => new CalendarDayResponse(DateOnly.FromDateTime(r.Day), r.Kind, r.Name)).ToList());
    }

    static async Task<Results<Ok<CalendarDayResponse>, ValidationProblem>> SetCalendarDay(string day, CalendarDayRequest request, MySqlDataSource db, TimeProvider clock, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date))
        {
            return Problems.Validation("day", "日期格式应为 yyyy-MM-dd。");
        }
        var weekend = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        if (request.Kind == "workday" && !weekend)
        {
            return Problems.Validation("kind", "调休上班日只能设在周末。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO calendar_days (day, kind, name, updated_at) VALUES (@day, @Kind, @Name, @now)
            ON DUPLICATE KEY UPDATE kind = VALUES(kind), name = VALUES(name), updated_at = VALUES(updated_at)
            """, new { day = date.ToDateTime(TimeOnly.MinValue), request.Kind, Name = request.Name.Trim(), now = clock.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return TypedResults.Ok(new CalendarDayResponse(date, request.Kind, request.Name.Trim()));
    }

    static async Task<Results<NoContent, ValidationProblem>> DeleteCalendarDay(string day, MySqlDataSource db, CancellationToken ct)
    {
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", out var date))
        {
            return Problems.Validation("day", "日期格式应为 yyyy-MM-dd。");
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM calendar_days WHERE day = @day",
            new { day = date.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        return TypedResults.NoContent();
    }

    /// <summary>The calendar with the exceptions of the given window (a year either side of today covers every deadline we count).</summary>
    public static async Task<WorkingCalendar> LoadAsync(DbConnection connection, DbTransaction? tx, DateOnly around, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(DateTime Day, string Kind)>(new CommandDefinition(
            "SELECT day, kind FROM calendar_days WHERE day BETWEEN @from AND @to",
            new { from = around.AddYears(-1).ToDateTime(TimeOnly.MinValue), to = around.AddYears(2).ToDateTime(TimeOnly.MinValue) }, tx, cancellationToken: ct));
        return new WorkingCalendar(rows.ToDictionary(r => DateOnly.FromDateTime(r.Day), r => r.Kind == "workday" ? DayKind.Workday : DayKind.Holiday));
    }
}
