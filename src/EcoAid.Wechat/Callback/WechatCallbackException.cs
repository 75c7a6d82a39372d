namespace EcoAid.Wechat.Callback;

/// <summary>Why a pushed callback request was rejected.</summary>
/// <remarks>The comments name the closest error code of WeChat's official <c>WXBizMsgCrypt</c> samples.</remarks>
public enum WechatCallbackError
{
    /// <summary>The <c>signature</c> or <c>msg_signature</c> is missing or does not match (official -40001).</summary>
    InvalidSignature,

    /// <summary>The <c>Encrypt</c> value is not Base64, or its length is not a whole number of 32-byte blocks (official -40010).</summary>
    InvalidCiphertext,

    /// <summary>The decrypted data does not end in valid PKCS#7 padding for 32-byte blocks (official -40007).</summary>
    InvalidPadding,

    /// <summary>The 4-byte message length does not fit inside the decrypted data (official -40008).</summary>
    InvalidMessageLength,

    /// <summary>The decrypted message is not valid UTF-8.</summary>
    InvalidMessageEncoding,

    /// <summary>The app id at the end of the decrypted data is not ours (official -40005).</summary>
    AppIdMismatch,

    /// <summary>The body is not well-formed XML, contains a DTD, or lacks a required element (official -40002).</summary>
    MalformedXml,

    /// <summary>The body is larger than <see cref="CallbackXml.MaxBodyBytes"/>.</summary>
    BodyTooLarge,
}

/// <summary>
/// Thrown when a pushed callback request fails verification, decryption or parsing.
/// Every rejection of outside input surfaces as this type, so an endpoint needs a single catch.
/// </summary>
public sealed class WechatCallbackException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/>.</summary>
    /// <param name="error">Which check failed.</param>
    /// <param name="message">A human-readable description; never contains key material.</param>
    /// <param name="innerException">The lower-level failure, when there is one.</param>
    public WechatCallbackException(WechatCallbackError error, string message, Exception? innerException = null)
        : base(message, innerException) => Error = error;

    /// <summary>Which check failed.</summary>
    public WechatCallbackError Error { get; }
}
