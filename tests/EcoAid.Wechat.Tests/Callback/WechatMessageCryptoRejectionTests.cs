using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EcoAid.Wechat.Callback;
using static EcoAid.Wechat.Tests.Callback.TestVectors;

namespace EcoAid.Wechat.Tests.Callback;

public class WechatMessageCryptoRejectionTests
{
    static readonly WechatMessageCrypto Tv2Crypto = new(Tv2.Token, Tv2.EncodingAesKey, Tv2.AppId);

    // The TV5/TV6 EncodingAESKey of 43 'A's is 32 zero bytes, so tests can encrypt hand-made plaintexts.
    static readonly WechatMessageCrypto ZeroKeyCrypto = new(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);

    static string FlipLastCiphertextByte(string encrypt, byte mask)
    {
        byte[] bytes = Convert.FromBase64String(encrypt);
        bytes[^1] ^= mask;
        return Convert.ToBase64String(bytes);
    }

    // Signs with the right token so the check under test, not the signature, is what rejects the input.
    static string DecryptSigned(WechatMessageCrypto crypto, string token, string encrypt) =>
        crypto.Decrypt("1409735669", "1320562132", encrypt, CallbackSignature.ComputeMessageSignature(token, "1409735669", "1320562132", encrypt));

    static string SealWithZeroKey(byte[] plaintext)
    {
        using var aes = Aes.Create();
        aes.Key = new byte[32];
        return Convert.ToBase64String(aes.EncryptCbc(plaintext, new byte[16], PaddingMode.None));
    }

    // random(16) || big-endian length || message || appid, then `padding` bytes appended as given.
    static byte[] Plaintext(uint declaredLength, byte[] message, string appId, byte[] padding)
    {
        byte[] appIdBytes = Encoding.UTF8.GetBytes(appId);
        var plaintext = new byte[20 + message.Length + appIdBytes.Length + padding.Length];
        BinaryPrimitives.WriteUInt32BigEndian(plaintext.AsSpan(16), declaredLength);
        message.CopyTo(plaintext, 20);
        appIdBytes.CopyTo(plaintext, 20 + message.Length);
        padding.CopyTo(plaintext, 20 + message.Length + appIdBytes.Length);
        return plaintext;
    }

    static byte[] Pad(int messageLength, string appId)
    {
        int pad = 32 - (20 + messageLength + appId.Length) % 32;
        return Enumerable.Repeat((byte)pad, pad).ToArray();
    }

    [Fact]
    public void WrongTokenIsRejectedAsInvalidSignature()
    {
        var crypto = new WechatMessageCrypto("spamtesT", Tv2.EncodingAesKey, Tv2.AppId);

        Rejected.With(WechatCallbackError.InvalidSignature,
            () => crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
    }

    [Theory]
    [InlineData(null, Tv2.Nonce, Tv2.MsgSignature)]
    [InlineData(Tv2.Timestamp, null, Tv2.MsgSignature)]
    [InlineData(Tv2.Timestamp, Tv2.Nonce, null)]
    [InlineData(Tv2.Timestamp, Tv2.Nonce, "0000000000000000000000000000000000000000")]
    public void MissingOrWrongSignatureInputsAreRejected(string? timestamp, string? nonce, string? msgSignature) =>
        Rejected.With(WechatCallbackError.InvalidSignature, () => Tv2Crypto.Decrypt(timestamp, nonce, Tv2.Encrypt, msgSignature));

    [Fact]
    public void MissingEncryptIsRejectedAsInvalidSignature() =>
        Rejected.With(WechatCallbackError.InvalidSignature, () => Tv2Crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, null, Tv2.MsgSignature));

    [Fact]
    public void FlippedCiphertextByteIsRejectedByTheSignatureFirst() =>
        Rejected.With(WechatCallbackError.InvalidSignature,
            () => Tv2Crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, FlipLastCiphertextByte(Tv2.Encrypt, 0x01), Tv2.MsgSignature));

    [Fact]
    public void LastCiphertextByteXorFFIsRejectedAsInvalidPadding() =>
        Rejected.With(WechatCallbackError.InvalidPadding,
            () => DecryptSigned(Tv2Crypto, Tv2.Token, FlipLastCiphertextByte(Tv2.Encrypt, 0xFF)));

    [Fact]
    public void LastCiphertextByteXor01PassesThePaddingCheckButNotTheAppIdCheck() =>
        // §15: the garbled last block happens to end in 0x01, a valid one-byte pad; the length field (in the
        // first block) is intact, so the appid region is one garbled byte too long and the appid check catches it.
        Rejected.With(WechatCallbackError.AppIdMismatch,
            () => DecryptSigned(Tv2Crypto, Tv2.Token, FlipLastCiphertextByte(Tv2.Encrypt, 0x01)));

    [Fact]
    public void WrongAppIdIsRejected()
    {
        var crypto = new WechatMessageCrypto(Tv2.Token, Tv2.EncodingAesKey, "wx0000000000000000");

        Rejected.With(WechatCallbackError.AppIdMismatch, () => crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
    }

    [Fact]
    public void AppIdThatIsOnlyAPrefixOfOursIsRejected()
    {
        var crypto = new WechatMessageCrypto(Tv2.Token, Tv2.EncodingAesKey, Tv2.AppId + "x");

        Rejected.With(WechatCallbackError.AppIdMismatch, () => crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
    }

    [Fact]
    public void WrongEncodingAesKeyIsRejected()
    {
        var crypto = new WechatMessageCrypto(Tv2.Token, Tv5.EncodingAesKey, Tv2.AppId);

        // Garbage plaintext: which check trips first depends on the bytes, but it must be a typed rejection.
        Assert.Throws<WechatCallbackException>(() => crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]                                 // 16 bytes: one AES block, not a 32-byte block
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 48 bytes
    public void CiphertextThatIsNotWholeBlocksOfBase64IsRejected(string encrypt) =>
        Rejected.With(WechatCallbackError.InvalidCiphertext, () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, encrypt));

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    [InlineData(255)]
    public void PadByteOutside1To32IsRejected(byte padByte)
    {
        byte[] message = "hi"u8.ToArray();
        byte[] padding = Pad(message.Length, Tv5.AppId);
        padding[^1] = padByte;

        Rejected.With(WechatCallbackError.InvalidPadding,
            () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(Plaintext(2, message, Tv5.AppId, padding))));
    }

    [Fact]
    public void PadBytesThatDisagreeAreRejected()
    {
        byte[] message = "hi"u8.ToArray();
        byte[] padding = Pad(message.Length, Tv5.AppId);
        Assert.True(padding.Length > 1);
        padding[0] ^= 0x01;

        Rejected.With(WechatCallbackError.InvalidPadding,
            () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(Plaintext(2, message, Tv5.AppId, padding))));
    }

    [Theory]
    [InlineData(uint.MaxValue)]
    [InlineData(int.MaxValue + 1u)]
    [InlineData(21u)] // one byte more than message + appid
    public void DeclaredLengthBeyondTheDataIsRejected(uint declaredLength)
    {
        byte[] message = "hi"u8.ToArray();

        Rejected.With(WechatCallbackError.InvalidMessageLength,
            () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(Plaintext(declaredLength, message, Tv5.AppId, Pad(message.Length, Tv5.AppId)))));
    }

    [Fact]
    public void PlaintextShorterThanItsHeaderIsRejected()
    {
        // 32 bytes: 16 bytes of random and 16 pad bytes, no room for the length field.
        var plaintext = new byte[32];
        plaintext.AsSpan(16).Fill(16);

        Rejected.With(WechatCallbackError.InvalidMessageLength, () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(plaintext)));
    }

    [Fact]
    public void MessageThatIsNotUtf8IsRejected()
    {
        byte[] message = [0xC3, 0x28]; // a lead byte followed by a non-continuation byte

        Rejected.With(WechatCallbackError.InvalidMessageEncoding,
            () => DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(Plaintext(2, message, Tv5.AppId, Pad(message.Length, Tv5.AppId)))));
    }

    [Fact]
    public void HandMadePlaintextWithValidLayoutIsAccepted()
    {
        // Guards the helpers above: the same construction with nothing wrong decrypts.
        byte[] message = "hi"u8.ToArray();

        Assert.Equal("hi", DecryptSigned(ZeroKeyCrypto, Tv5.Token, SealWithZeroKey(Plaintext(2, message, Tv5.AppId, Pad(message.Length, Tv5.AppId)))));
    }

    [Theory]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF")]   // 42 characters
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH")] // 44 characters
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456789ABCDE+G")]  // not a letter or digit
    [InlineData("")]
    public void EncodingAesKeyThatIsNot43LettersAndDigitsIsRefused(string encodingAesKey) =>
        Assert.ThrowsAny<ArgumentException>(() => new WechatMessageCrypto(Tv1.Token, encodingAesKey, Tv1.AppId));

    [Theory]
    [InlineData(15)]
    [InlineData(17)]
    public void RandomPrefixThatIsNot16BytesIsRefused(int length)
    {
        var crypto = new WechatMessageCrypto(Tv1.Token, Tv1.EncodingAesKey, Tv1.AppId);

        Assert.Throws<ArgumentException>(() => crypto.Encrypt("x", new byte[length]));
    }
}
