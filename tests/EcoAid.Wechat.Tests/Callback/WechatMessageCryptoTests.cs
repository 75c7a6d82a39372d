using System.Text;
using System.Xml.Linq;
using EcoAid.Wechat.Callback;
using static EcoAid.Wechat.Tests.Callback.TestVectors;

namespace EcoAid.Wechat.Tests.Callback;

public class WechatMessageCryptoTests
{
    static byte[] Ascii(string value) => Encoding.ASCII.GetBytes(value);

    static int Utf8Length(string value) => Encoding.UTF8.GetByteCount(value);

    static int CiphertextLength(string encrypt) => Convert.FromBase64String(encrypt).Length;

    [Fact]
    public void EncodingAesKeyDecodesToTheDocumentedAesKey() =>
        // The 43rd character carries bits past the 32nd byte; the decoder must ignore them, not refuse the key.
        Assert.Equal(Tv1.AesKeyHex, Convert.ToHexStringLower(Convert.FromBase64String(Tv1.EncodingAesKey + "=")));

    [Fact]
    public void Tv1EncryptingWithFixedRandomReproducesTheJavaSample()
    {
        var crypto = new WechatMessageCrypto(Tv1.Token, Tv1.EncodingAesKey, Tv1.AppId);

        Assert.Equal(Tv1.A1Encrypt, crypto.Encrypt(Tv1.A1Message, Ascii(Tv1.Random)));
        Assert.Equal(Tv1.A2Encrypt, crypto.Encrypt(Tv1.A2Message, Ascii(Tv1.Random)));
    }

    [Fact]
    public void Tv1CiphertextDecryptsBackToRandomAndChineseMessage()
    {
        var crypto = new WechatMessageCrypto(Tv1.Token, Tv1.EncodingAesKey, Tv1.AppId);

        var opened = crypto.Open(Tv1.A1Encrypt);

        Assert.Equal(Ascii(Tv1.Random), opened.Random);
        Assert.Equal(Tv1.A1Message, opened.Message);
        Assert.Equal(19, Utf8Length(opened.Message));
    }

    [Fact]
    public void Tv2CompatibleModeBodyVerifiesDecryptsAndParses()
    {
        var crypto = new WechatMessageCrypto(Tv2.Token, Tv2.EncodingAesKey, Tv2.AppId);
        var envelope = CallbackXml.ParseEnvelope(Tv2.Body);

        string message = crypto.Decrypt(Tv2.Timestamp, Tv2.Nonce, envelope.Encrypt, Tv2.MsgSignature);

        Assert.Equal("gh_10f6c3c3ac5a", envelope.ToUserName);
        Assert.Equal(Tv2.Encrypt, envelope.Encrypt);
        Assert.Equal(Tv2.Message, message);
        Assert.Equal(280, Utf8Length(message));
        Assert.Equal(Ascii(Tv2.Random), crypto.Open(Tv2.Encrypt).Random);

        var text = Assert.IsType<TextMessage>(CallbackXml.ParseMessage(message));
        Assert.Equal("abcdteT", text.Content);
        Assert.Equal(6054768590064713728, text.MsgId);
        Assert.Equal("oyORnuP8q7ou2gfYjqLzSIWZf0rs", text.FromUserName);
    }

    [Fact]
    public void Tv4aOfficialCSharpSampleDecrypts()
    {
        var crypto = new WechatMessageCrypto(Tv4.Token, Tv4.EncodingAesKey, Tv4.AppId);

        string message = crypto.Decrypt(Tv4.Timestamp, Tv4.Nonce, Tv4.Encrypt, Tv4.MsgSignature);

        Assert.Equal(Tv4.Message, message);
        Assert.Equal(284, Utf8Length(message));
    }

    [Fact]
    public void Tv4bWeComVerifyUrlEchoStrDecrypts()
    {
        var crypto = new WechatMessageCrypto(Tv4.Token, Tv4.EncodingAesKey, Tv4.AppId);

        string echo = crypto.Decrypt(Tv4.VerifyUrlTimestamp, Tv4.VerifyUrlNonce, Tv4.VerifyUrlEchoStr, Tv4.VerifyUrlMsgSignature);

        Assert.Equal(Tv4.VerifyUrlEcho, echo);
    }

    [Fact]
    public void Tv5RequestWith22PadBytesDecrypts()
    {
        var crypto = new WechatMessageCrypto(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);

        string message = crypto.Decrypt(Tv5.Timestamp, Tv5.Nonce, Tv5.Encrypt, Tv5.MsgSignature);

        Assert.Equal(Tv5.Message, message);
        Assert.Equal(292, Utf8Length(message));
        Assert.Equal(352, CiphertextLength(Tv5.Encrypt));                        // TmpMsg
        Assert.Equal(330, 16 + 4 + Utf8Length(message) + Utf8Length(Tv5.AppId)); // FullStr: 22 pad bytes, more than one AES block
        Assert.Equal(Ascii(Tv5.Random), crypto.Open(Tv5.Encrypt).Random);

        var unknown = Assert.IsType<UnknownMessage>(CallbackXml.ParseMessage(message));
        Assert.Equal("event", unknown.MsgType);
        Assert.Equal("debug_demo", unknown.Event);
    }

    [Fact]
    public void Tv5ReplyWithFixedRandomReproducesThePublishedCiphertextAndSignature()
    {
        var crypto = new WechatMessageCrypto(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);

        var reply = crypto.EncryptReply(Tv5.ReplyMessage, Tv5.ReplyTimeStamp, Tv5.ReplyNonce, Ascii(Tv5.ReplyRandom));

        Assert.Equal(new EncryptedReply(Tv5.ReplyEncrypt, Tv5.ReplyMsgSignature, Tv5.ReplyTimeStamp, Tv5.ReplyNonce), reply);
        Assert.Equal(52, Utf8Length(Tv5.ReplyMessage));
        Assert.Equal(96, CiphertextLength(reply.Encrypt)); // FullStr 90 + 6 pad bytes
    }

    [Fact]
    public void Tv6JsonRequestWith19PadBytesDecrypts()
    {
        var crypto = new WechatMessageCrypto(Tv6.Token, Tv6.EncodingAesKey, Tv6.AppId);

        string message = crypto.Decrypt(Tv6.Timestamp, Tv6.Nonce, Tv6.Encrypt, Tv6.MsgSignature);

        Assert.Equal(Tv6.Message, message);
        Assert.Equal(167, Utf8Length(message));
        Assert.Equal(224, CiphertextLength(Tv6.Encrypt));
        Assert.Equal(205, 16 + 4 + Utf8Length(message) + Utf8Length(Tv6.AppId));
        Assert.Equal(Ascii(Tv6.Random), crypto.Open(Tv6.Encrypt).Random);
    }

    [Fact]
    public void Tv6ReplyWithFixedRandomReproducesThePublishedCiphertextAndSignature()
    {
        var crypto = new WechatMessageCrypto(Tv6.Token, Tv6.EncodingAesKey, Tv6.AppId);

        var reply = crypto.EncryptReply(Tv6.ReplyMessage, Tv6.ReplyTimeStamp, Tv6.ReplyNonce, Ascii(Tv6.ReplyRandom));

        Assert.Equal(Tv6.ReplyEncrypt, reply.Encrypt);
        Assert.Equal(Tv6.ReplyMsgSignature, reply.MsgSignature);
        Assert.Equal(64, CiphertextLength(reply.Encrypt)); // FullStr 63 + 1 pad byte
    }

    [Fact]
    public void RoundTripCoversEveryPadLengthFrom1To32()
    {
        var crypto = new WechatMessageCrypto(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);
        var padLengths = new HashSet<int>();

        for (int length = 0; length < 32; length++)
        {
            string message = new('a', length);
            var reply = crypto.EncryptReply(message, "1713424427", "415670741");

            int fullLength = 16 + 4 + length + Utf8Length(Tv5.AppId);
            padLengths.Add(CiphertextLength(reply.Encrypt) - fullLength);
            Assert.Equal(message, crypto.Decrypt(reply.TimeStamp, reply.Nonce, reply.Encrypt, reply.MsgSignature));
        }

        Assert.Equal(Enumerable.Range(1, 32), padLengths.Order());
    }

    [Fact]
    public void ChineseMessageRoundTripsWithItsByteLength()
    {
        var crypto = new WechatMessageCrypto(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);
        const string message = "<xml><Content><![CDATA[东门路灯坏了三天]]></Content></xml>";

        var opened = crypto.Open(crypto.Encrypt(message));

        Assert.Equal(message, opened.Message);
    }

    [Fact]
    public void EncryptUsesAFreshRandomPrefixEachTime()
    {
        var crypto = new WechatMessageCrypto(Tv5.Token, Tv5.EncodingAesKey, Tv5.AppId);

        var first = crypto.Open(crypto.Encrypt("success"));
        var second = crypto.Open(crypto.Encrypt("success"));

        Assert.NotEqual(first.Random, second.Random);
        Assert.Equal(WechatMessageCrypto.RandomLength, first.Random.Length);
    }

    [Fact]
    public void ReplyXmlCarriesTheFourElements()
    {
        var reply = new EncryptedReply(Tv5.ReplyEncrypt, Tv5.ReplyMsgSignature, Tv5.ReplyTimeStamp, Tv5.ReplyNonce);

        var root = XElement.Parse(reply.ToXml());

        Assert.Equal("xml", root.Name.LocalName);
        Assert.Equal(Tv5.ReplyEncrypt, root.Element("Encrypt")?.Value);
        Assert.Equal(Tv5.ReplyMsgSignature, root.Element("MsgSignature")?.Value);
        Assert.Equal(Tv5.ReplyTimeStamp, root.Element("TimeStamp")?.Value);
        Assert.Equal(Tv5.ReplyNonce, root.Element("Nonce")?.Value);
        Assert.Contains("<Encrypt><![CDATA[" + Tv5.ReplyEncrypt + "]]></Encrypt>", reply.ToXml(), StringComparison.Ordinal);
    }

    [Fact]
    public void ReplyXmlStaysWellFormedWhenTheNonceContainsCDataTerminator()
    {
        var reply = new EncryptedReply("e", "s", "1", "a]]>b");

        Assert.Equal("a]]>b", XElement.Parse(reply.ToXml()).Element("Nonce")?.Value);
    }
}
