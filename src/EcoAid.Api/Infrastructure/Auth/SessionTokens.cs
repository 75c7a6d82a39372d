using System.Security.Cryptography;
using System.Text;

namespace EcoAid.Api.Infrastructure.Auth;

/// <summary>Opaque secrets handed to clients (session tokens, invite codes) and the hashes that are stored instead.</summary>
public static class Secrets
{
    /// <summary>A 256-bit session token, URL-safe.</summary>
    public static string NewSessionToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    // No 0/O, 1/I/L: an invite code is read aloud and typed on a phone.
    private const string InviteAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

    /// <summary>A 10-character invite code (about 50 bits), shown once to the admin who made it.</summary>
    public static string NewInviteCode() => RandomNumberGenerator.GetString(InviteAlphabet, 10);

    /// <summary>Invite codes are compared case-insensitively, ignoring spaces and dashes people add when copying.</summary>
    public static string NormalizeInviteCode(string code) =>
        new string(code.Where(c => !char.IsWhiteSpace(c) && c != '-').ToArray()).ToUpperInvariant();

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
