using EcoAid.Api.Infrastructure.Auth;
using MySqlConnector;

namespace EcoAid.Api.Features.Audit;

/// <summary>
/// Reads of personal data by administrators, for the audit trail: every answer that carries full phone numbers
/// (administrators see them unmasked) and every record of one person an administrator opens. The events name the
/// records, never the numbers or names in them.
/// </summary>
public static class PersonalDataAudit
{
    /// <summary>
    /// One <see cref="AuditKinds.PhoneRevealed"/> event for an answer to <paramref name="user"/>, naming the
    /// <paramref name="subjectType"/> records whose full number it shows; nothing when the user sees masked numbers or
    /// none of the records has one. <paramref name="opened"/> is the record a detail answer is about (null for lists).
    /// </summary>
    public static async Task PhonesShownAsync(MySqlConnection connection, CurrentUser user, string subjectType, long? opened,
        IEnumerable<(long Id, string? Phone)> shown, DateTimeOffset now, CancellationToken ct)
    {
        if (!user.SeesFullPhoneNumbers)
        {
            return;
        }
        var ids = shown.Where(s => !string.IsNullOrEmpty(s.Phone)).Select(s => s.Id).Distinct().ToList();
        if (ids.Count == 0)
        {
            return;
        }
        await AuditTrail.RecordAsync(connection, null,
            AuditEvent.By(user, AuditKinds.PhoneRevealed, subjectType, opened, new { ids, count = ids.Count }), now, ct);
    }

    /// <summary>
    /// One <see cref="AuditKinds.PersonalDataViewed"/> event when an administrator opens the record of one person
    /// (<paramref name="subjectType"/> <paramref name="subjectId"/>) showing <paramref name="fields"/>; nothing for
    /// other roles or for the administrator's own record.
    /// </summary>
    public static async Task RecordOpenedAsync(MySqlConnection connection, CurrentUser user, string subjectType, long subjectId,
        string[] fields, bool own, DateTimeOffset now, CancellationToken ct)
    {
        if (own || !user.IsAnyOf(Roles.Admin, Roles.CityAdmin))
        {
            return;
        }
        await AuditTrail.RecordAsync(connection, null, AuditEvent.By(user, AuditKinds.PersonalDataViewed, subjectType, subjectId, new { fields }), now, ct);
    }
}
