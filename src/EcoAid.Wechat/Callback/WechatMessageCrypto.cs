using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EcoAid.Wechat.Callback;

/// <summary>
/// Safe-mode (<c>encrypt_type=aes</c>) encryption of callback messages: AES-256-CBC with the key from the
/// EncodingAESKey, IV = first 16 key bytes, and PKCS#7 padding to 32-byte blocks. The plaintext is
/// <c>random(16) || big-endian length(4) || message (UTF-8) || appid</c>.
/// </summary>
/// <remarks>
/// Failures of outside input throw <see cref="WechatCallbackException"/>; the instance is immutable and thread-safe.
/// </remarks>
public sealed class WechatMessageCrypto
{
    /// <summary>Length of the EncodingAESKey shown on the WeChat admin page.</summary>
    public const int EncodingAesKeyLength = 43;

    /// <summary>Length of the random prefix of every encrypted message.</summary>
    public const int RandomLength = 16;

    const int BlockSize = 32;       // WeChat pads to 32 bytes although AES blocks are 16
    const int LengthFieldSize = 4;
    const int HeaderSize = RandomLength + LengthFieldSize;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    readonly string _token;
    readonly byte[] _key;
    readonly byte[] _appId;

    /// <summary>Creates the crypto for one account.</summary>
    /// <param name="token">The Token configured on the WeChat admin page.</param>
    /// <param name="encodingAesKey">The 43-character EncodingAESKey (letters and digits).</param>
    /// <param name="appId">Our AppID; decrypted messages must end with it.</param>
    /// <exception cref="ArgumentException">A value is empty or the EncodingAESKey is not 43 letters and digits.</exception>
    public WechatMessageCrypto(string token, string encodingAesKey, string appId)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(encodingAesKey);
        ArgumentException.ThrowIfNullOrEmpty(appId);
        if (encodingAesKey.Length != EncodingAesKeyLength || !encodingAesKey.All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException($"The EncodingAESKey must be {EncodingAesKeyLength} ASCII letters and digits.", nameof(encodingAesKey));

        _token = token;
        _key = Convert.FromBase64String(encodingAesKey + "=");
        _appId = Encoding.UTF8.GetBytes(appId);
    }

    /// <summary>
    /// Verifies <paramref name="msgSignature"/> over <paramref name="encrypt"/>, then decrypts it and checks the app id.
    /// </summary>
    /// <param name="timestamp">The <c>timestamp</c> query value.</param>
    /// <param name="nonce">The <c>nonce</c> query value.</param>
    /// <param name="encrypt">The <c>Encrypt</c> value from the body (see <see cref="CallbackXml.ParseEnvelope"/>).</param>
    /// <param name="msgSignature">The <c>msg_signature</c> query value.</param>
    /// <returns>The decrypted message, byte for byte (WeChat's XML contains newlines that must not be trimmed).</returns>
    /// <exception cref="WechatCallbackException">The signature, ciphertext, padding, length or app id is wrong.</exception>
    public string Decrypt(string? timestamp, string? nonce, string? encrypt, string? msgSignature)
    {
        if (encrypt is null || !CallbackSignature.VerifyMessageSignature(_token, timestamp, nonce, encrypt, msgSignature))
            throw new WechatCallbackException(WechatCallbackError.InvalidSignature, "The msg_signature does not match.");
        return Open(encrypt).Message;
    }

    /// <summary>Encrypts <paramref name="message"/> with a fresh cryptographically random prefix.</summary>
    /// <param name="message">The message to encrypt, usually a passive-reply XML.</param>
    /// <returns>The Base64 <c>Encrypt</c> value.</returns>
    public string Encrypt(string message)
    {
        Span<byte> random = stackalloc byte[RandomLength];
        RandomNumberGenerator.Fill(random);
        return Encrypt(message, random);
    }

    /// <summary>Encrypts <paramref name="message"/> with a given random prefix; meant for reproducing test vectors.</summary>
    /// <param name="message">The message to encrypt.</param>
    /// <param name="random">Exactly <see cref="RandomLength"/> bytes.</param>
    /// <returns>The Base64 <c>Encrypt</c> value.</returns>
    /// <exception cref="ArgumentException"><paramref name="random"/> is not 16 bytes long.</exception>
    public string Encrypt(string message, ReadOnlySpan<byte> random)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (random.Length != RandomLength)
            throw new ArgumentException($"The random prefix must be {RandomLength} bytes.", nameof(random));

        int messageLength = Encoding.UTF8.GetByteCount(message);
        int contentLength = HeaderSize + messageLength + _appId.Length;
        int padLength = BlockSize - contentLength % BlockSize;

        var plaintext = new byte[contentLength + padLength];
        random.CopyTo(plaintext);
        BinaryPrimitives.WriteInt32BigEndian(plaintext.AsSpan(RandomLength), messageLength);
        Encoding.UTF8.GetBytes(message, plaintext.AsSpan(HeaderSize));
        _appId.CopyTo(plaintext.AsSpan(HeaderSize + messageLength));
        plaintext.AsSpan(contentLength).Fill((byte)padLength);

        using var aes = CreateAes();
        return Convert.ToBase64String(aes.EncryptCbc(plaintext, Iv, PaddingMode.None));
    }

    /// <summary>Encrypts a passive reply and signs it, ready to be sent as the response body.</summary>
    /// <param name="message">The reply message, usually XML such as a text reply.</param>
    /// <param name="timestamp">The reply's <c>TimeStamp</c>: current unix seconds.</param>
    /// <param name="nonce">The reply's <c>Nonce</c>; echoing the request nonce is customary.</param>
    public EncryptedReply EncryptReply(string message, string timestamp, string nonce) =>
        Sign(Encrypt(message), timestamp, nonce);

    /// <summary>Encrypts and signs a passive reply with a given random prefix; meant for reproducing test vectors.</summary>
    /// <param name="message">The reply message.</param>
    /// <param name="timestamp">The reply's <c>TimeStamp</c>.</param>
    /// <param name="nonce">The reply's <c>Nonce</c>.</param>
    /// <param name="random">Exactly <see cref="RandomLength"/> bytes.</param>
    public EncryptedReply EncryptReply(string message, string timestamp, string nonce, ReadOnlySpan<byte> random) =>
        Sign(Encrypt(message, random), timestamp, nonce);

    EncryptedReply Sign(string encrypt, string timestamp, string nonce) =>
        new(encrypt, CallbackSignature.ComputeMessageSignature(_token, timestamp, nonce, encrypt), timestamp, nonce);

    /// <summary>Decrypts without looking at any signature; the caller has already verified it.</summary>
    internal DecryptedMessage Open(string encrypt)
    {
        byte[] ciphertext = DecodeCiphertext(encrypt);
        byte[] plaintext;
        using (var aes = CreateAes())
            plaintext = aes.DecryptCbc(ciphertext, Iv, PaddingMode.None);

        ReadOnlySpan<byte> content = plaintext.AsSpan(0, plaintext.Length - PadLength(plaintext));
        if (content.Length < HeaderSize)
            throw new WechatCallbackException(WechatCallbackError.InvalidMessageLength, "The decrypted data is shorter than its header.");

        uint messageLength = BinaryPrimitives.ReadUInt32BigEndian(content[RandomLength..]);
        if (messageLength > (uint)(content.Length - HeaderSize))
            throw new WechatCallbackException(WechatCallbackError.InvalidMessageLength, "The message length does not fit the decrypted data.");

        int appIdStart = HeaderSize + (int)messageLength;
        if (!content[appIdStart..].SequenceEqual(_appId))
            throw new WechatCallbackException(WechatCallbackError.AppIdMismatch, "The message was encrypted for another app id.");

        string message;
        try
        {
            message = StrictUtf8.GetString(content[HeaderSize..appIdStart]);
        }
        catch (DecoderFallbackException e)
        {
            throw new WechatCallbackException(WechatCallbackError.InvalidMessageEncoding, "The decrypted message is not valid UTF-8.", e);
        }
        return new DecryptedMessage(content[..RandomLength].ToArray(), message);
    }

    static byte[] DecodeCiphertext(string encrypt)
    {
        var buffer = new byte[encrypt.Length / 4 * 3 + 3];
        if (!Convert.TryFromBase64String(encrypt, buffer, out int written))
            throw new WechatCallbackException(WechatCallbackError.InvalidCiphertext, "The Encrypt value is not valid Base64.");
        if (written == 0 || written % BlockSize != 0)
            throw new WechatCallbackException(WechatCallbackError.InvalidCiphertext, $"The ciphertext is not a whole number of {BlockSize}-byte blocks.");
        return buffer[..written];
    }

    // Manual PKCS#7 for 32-byte blocks: PaddingMode.PKCS7 assumes the 16-byte AES block and refuses pads of 17-32.
    static int PadLength(ReadOnlySpan<byte> plaintext)
    {
        int pad = plaintext[^1];
        if (pad is < 1 or > BlockSize || plaintext[^pad..].ContainsAnyExcept((byte)pad))
            throw new WechatCallbackException(WechatCallbackError.InvalidPadding, "The decrypted data has invalid PKCS#7 padding.");
        return pad;
    }

    ReadOnlySpan<byte> Iv => _key.AsSpan(0, 16);

    Aes CreateAes()
    {
        var aes = Aes.Create();
        aes.Key = _key;
        return aes;
    }
}

/// <summary>The parts of a decrypted message that tests look at.</summary>
internal readonly record struct DecryptedMessage(byte[] Random, string Message);
