using System.Security.Cryptography;
using System.Text;
using EcoAid.Wechat.Callback;
using static EcoAid.Wechat.Tests.Callback.TestVectors;

namespace EcoAid.Wechat.Tests.Callback;

public class CallbackSignatureTests
{
    public static TheoryData<string, string, string, string> UrlSignatures => new()
    {
        { Tv6.Token, Tv6.GetTimestamp, Tv6.GetNonce, Tv6.GetSignature },
        { Tv6.Token, Tv6.PlainPostTimestamp, Tv6.PlainPostNonce, Tv6.PlainPostSignature },
        { Tv6.Token, Tv6.Timestamp, Tv6.Nonce, Tv6.Signature },
        { Tv5.Token, Tv5.Timestamp, Tv5.Nonce, Tv5.Signature },
        { Tv1.Token, Tv1.Timestamp, Tv1.Nonce, Tv1.UrlSignature },
    };

    public static TheoryData<string, string, string, string, string> MessageSignatures => new()
    {
        { Tv2.Token, Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature },
        { Tv4.Token, Tv4.Timestamp, Tv4.Nonce, Tv4.Encrypt, Tv4.MsgSignature },
        { Tv4.Token, Tv4.VerifyUrlTimestamp, Tv4.VerifyUrlNonce, Tv4.VerifyUrlEchoStr, Tv4.VerifyUrlMsgSignature },
        { Tv5.Token, Tv5.Timestamp, Tv5.Nonce, Tv5.Encrypt, Tv5.MsgSignature },
        { Tv5.Token, Tv5.ReplyTimeStamp, Tv5.ReplyNonce, Tv5.ReplyEncrypt, Tv5.ReplyMsgSignature },
        { Tv6.Token, Tv6.Timestamp, Tv6.Nonce, Tv6.Encrypt, Tv6.MsgSignature },
        { Tv6.Token, Tv6.ReplyTimeStamp, Tv6.ReplyNonce, Tv6.ReplyEncrypt, Tv6.ReplyMsgSignature },
        { Tv10.Token, Tv10.Timestamp, Tv10.Nonce, Tv10.Encrypt, Tv10.MsgSignature },
    };

    [Theory]
    [MemberData(nameof(UrlSignatures))]
    public void UrlSignatureMatchesPublishedVector(string token, string timestamp, string nonce, string signature)
    {
        Assert.Equal(signature, CallbackSignature.ComputeUrlSignature(token, timestamp, nonce));
        Assert.True(CallbackSignature.VerifyUrlSignature(token, timestamp, nonce, signature));
    }

    [Theory]
    [MemberData(nameof(MessageSignatures))]
    public void MessageSignatureMatchesPublishedVector(string token, string timestamp, string nonce, string encrypt, string msgSignature)
    {
        Assert.Equal(msgSignature, CallbackSignature.ComputeMessageSignature(token, timestamp, nonce, encrypt));
        Assert.True(CallbackSignature.VerifyMessageSignature(token, timestamp, nonce, encrypt, msgSignature));
    }

    [Fact]
    public void UrlSignatureHashesTheOrdinallySortedConcatenation()
    {
        // §7.1: ["1514711492", "1714036504", "AAAAA"] — digits sort before letters.
        string expected = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("15147114921714036504AAAAA")));

        Assert.Equal(expected, CallbackSignature.ComputeUrlSignature(Tv6.Token, Tv6.GetTimestamp, Tv6.GetNonce));
    }

    [Fact]
    public void ChangingOneCharacterOfTheTokenChangesTheSignature()
    {
        const string wrongToken = "spamtesT";

        Assert.NotEqual(Tv2.MsgSignature, CallbackSignature.ComputeMessageSignature(wrongToken, Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt));
        Assert.False(CallbackSignature.VerifyMessageSignature(wrongToken, Tv2.Timestamp, Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
        Assert.False(CallbackSignature.VerifyUrlSignature("AAAAB", Tv6.GetTimestamp, Tv6.GetNonce, Tv6.GetSignature));
    }

    [Fact]
    public void ChangingTheTimestampNonceOrEncryptFailsVerification()
    {
        Assert.False(CallbackSignature.VerifyMessageSignature(Tv2.Token, "1409735670", Tv2.Nonce, Tv2.Encrypt, Tv2.MsgSignature));
        Assert.False(CallbackSignature.VerifyMessageSignature(Tv2.Token, Tv2.Timestamp, "1320562133", Tv2.Encrypt, Tv2.MsgSignature));
        Assert.False(CallbackSignature.VerifyMessageSignature(Tv2.Token, Tv2.Timestamp, Tv2.Nonce, "x" + Tv2.Encrypt, Tv2.MsgSignature));
    }

    [Fact]
    public void UppercaseHexSignatureIsAccepted() =>
        Assert.True(CallbackSignature.VerifyUrlSignature(Tv6.Token, Tv6.GetTimestamp, Tv6.GetNonce, Tv6.GetSignature.ToUpperInvariant()));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("f464b24fc39322e44b38aa78f5edd27bd144169")]   // 39 characters
    [InlineData("f464b24fc39322e44b38aa78f5edd27bd14416960")] // 41 characters
    [InlineData("z464b24fc39322e44b38aa78f5edd27bd1441696")]  // not hex
    public void MalformedOrMissingSignatureIsRejected(string? signature)
    {
        Assert.False(CallbackSignature.VerifyUrlSignature(Tv6.Token, Tv6.GetTimestamp, Tv6.GetNonce, signature));
        Assert.False(CallbackSignature.VerifyMessageSignature(Tv6.Token, Tv6.Timestamp, Tv6.Nonce, Tv6.Encrypt, signature));
    }

    [Fact]
    public void MissingTimestampNonceOrEncryptIsRejected()
    {
        Assert.False(CallbackSignature.VerifyUrlSignature(Tv6.Token, null, Tv6.GetNonce, Tv6.GetSignature));
        Assert.False(CallbackSignature.VerifyUrlSignature(Tv6.Token, Tv6.GetTimestamp, null, Tv6.GetSignature));
        Assert.False(CallbackSignature.VerifyMessageSignature(Tv6.Token, Tv6.Timestamp, Tv6.Nonce, null, Tv6.MsgSignature));
    }
}
