using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace EcoAid.Wechat.Callback;

/// <summary>
/// The SHA-1 signatures WeChat puts on callback requests: lowercase hex of
/// <c>sha1(concat(sort(parts)))</c>, sorted by ordinal string comparison.
/// </summary>
public static class CallbackSignature
{
    const int Sha1HexLength = 40;

    /// <summary>
    /// Computes the plain <c>signature</c> over token, timestamp and nonce, used for URL verification (GET)
    /// and plain-mode pushes (POST).
    /// </summary>
    /// <param name="token">The Token configured on the WeChat admin page.</param>
    /// <param name="timestamp">The <c>timestamp</c> query value, as sent.</param>
    /// <param name="nonce">The <c>nonce</c> query value, as sent.</param>
    public static string ComputeUrlSignature(string token, string timestamp, string nonce) =>
        Convert.ToHexStringLower(Hash(token, timestamp, nonce));

    /// <summary>Checks a plain <c>signature</c> in constant time; <see langword="false"/> when any value is missing.</summary>
    /// <param name="token">The Token configured on the WeChat admin page.</param>
    /// <param name="timestamp">The <c>timestamp</c> query value.</param>
    /// <param name="nonce">The <c>nonce</c> query value.</param>
    /// <param name="signature">The <c>signature</c> query value.</param>
    public static bool VerifyUrlSignature(string token, string? timestamp, string? nonce, string? signature) =>
        timestamp is not null && nonce is not null && Matches(Hash(token, timestamp, nonce), signature);

    /// <summary>Computes the safe-mode <c>msg_signature</c> over token, timestamp, nonce and the <c>Encrypt</c> value.</summary>
    /// <param name="token">The Token configured on the WeChat admin page.</param>
    /// <param name="timestamp">The <c>timestamp</c> query value (or our reply's <c>TimeStamp</c>).</param>
    /// <param name="nonce">The <c>nonce</c> query value (or our reply's <c>Nonce</c>).</param>
    /// <param name="encrypt">The Base64 <c>Encrypt</c> value, exactly as it appears in the body.</param>
    public static string ComputeMessageSignature(string token, string timestamp, string nonce, string encrypt) =>
        Convert.ToHexStringLower(Hash(token, timestamp, nonce, encrypt));

    /// <summary>Checks a safe-mode <c>msg_signature</c> in constant time; <see langword="false"/> when any value is missing.</summary>
    /// <param name="token">The Token configured on the WeChat admin page.</param>
    /// <param name="timestamp">The <c>timestamp</c> query value.</param>
    /// <param name="nonce">The <c>nonce</c> query value.</param>
    /// <param name="encrypt">The Base64 <c>Encrypt</c> value from the body.</param>
    /// <param name="msgSignature">The <c>msg_signature</c> query value.</param>
    public static bool VerifyMessageSignature(string token, string? timestamp, string? nonce, string? encrypt, string? msgSignature) =>
        timestamp is not null && nonce is not null && encrypt is not null
        && Matches(Hash(token, timestamp, nonce, encrypt), msgSignature);

    static byte[] Hash(params string[] parts)
    {
        Array.Sort(parts, StringComparer.Ordinal);
        return SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(parts)));
    }

    // Compare digests rather than hex text, so the case of the received hex does not matter
    // and the comparison runs over a fixed 20 bytes.
    static bool Matches(ReadOnlySpan<byte> expected, string? signature)
    {
        if (signature is not { Length: Sha1HexLength })
            return false;
        Span<byte> received = stackalloc byte[Sha1HexLength / 2];
        return Convert.FromHexString(signature, received, out _, out _) == OperationStatus.Done
            && CryptographicOperations.FixedTimeEquals(expected, received);
    }
}
