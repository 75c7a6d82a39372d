namespace EcoAid.Wechat.Callback;

/// <summary>Why a pushed callback request was rejected.</summary>
/// <remarks>The comments name the closest error code of WeChat's official <c>WXBizMsgCrypt</c> samples.</remarks>
public enum WechatCallbackError
{
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
