using System.Text;
using EcoAid.Wechat.Callback;

namespace EcoAid.Wechat.Tests.Callback;

public class CallbackXmlTests
{
    const string Header = "<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName><FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName><CreateTime>1395658920</CreateTime>";

    static string Event(string name, string extra = "") =>
        $"<xml>{Header}<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{name}]]></Event>{extra}</xml>";

    [Fact]
    public void SafeModeEnvelopeIsParsed()
    {
        var envelope = CallbackXml.ParseEnvelope("<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>");

        Assert.Equal(new EncryptedEnvelope("gh_97417a04a28d", "abc+/="), envelope);
    }

    [Fact]
    public void EnvelopeWithoutEncryptIsRejected() =>
        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseEnvelope("<xml><ToUserName><![CDATA[gh_1]]></ToUserName></xml>"));

    [Fact]
    public void PlainSubscribeHasNoScene()
    {
        var subscribe = Assert.IsType<SubscribeEvent>(CallbackXml.ParseMessage(Event("subscribe")));

        Assert.Equal("gh_7f083739789a", subscribe.ToUserName);
        Assert.Equal("oia2TjuEGTNoeX76QEjQNrcURxG8", subscribe.FromUserName);
        Assert.Equal(1395658920, subscribe.CreateTime);
        Assert.Null(subscribe.Scene);
        Assert.Null(subscribe.Ticket);
    }

    [Fact]
    public void SubscribeWithEmptyEventKeyHasNoScene()
    {
        var subscribe = Assert.IsType<SubscribeEvent>(CallbackXml.ParseMessage(Event("subscribe", "<EventKey><![CDATA[]]></EventKey>")));

        Assert.Null(subscribe.Scene);
    }

    [Fact]
    public void SubscribeThroughQrCodeCarriesSceneWithoutPrefixAndTicket()
    {
        var subscribe = Assert.IsType<SubscribeEvent>(CallbackXml.ParseMessage(
            Event("subscribe", "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>")));

        Assert.Equal("123123", subscribe.Scene);
        Assert.Equal("TICKET", subscribe.Ticket);
    }

    [Fact]
    public void ScanCarriesSceneAndTicket()
    {
        var scan = Assert.IsType<ScanEvent>(CallbackXml.ParseMessage(
            Event("SCAN", "<EventKey><![CDATA[staff_42]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>")));

        Assert.Equal("staff_42", scan.Scene);
        Assert.Equal("TICKET", scan.Ticket);
    }

    [Fact]
    public void ScanWithoutEventKeyIsRejected() =>
        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(Event("SCAN")));

    [Fact]
    public void UnsubscribeIsParsed()
    {
        var unsubscribe = Assert.IsType<UnsubscribeEvent>(CallbackXml.ParseMessage(Event("unsubscribe")));

        Assert.Equal("oia2TjuEGTNoeX76QEjQNrcURxG8", unsubscribe.FromUserName);
    }

    [Theory]
    [InlineData("success")]
    [InlineData("failed:user block")]
    [InlineData("failed: system failed")]
    public void TemplateSendJobFinishCarriesMsgIdAndStatusVerbatim(string status)
    {
        var finished = Assert.IsType<TemplateSendJobFinishEvent>(CallbackXml.ParseMessage(
            Event("TEMPLATESENDJOBFINISH", $"<MsgID>200163836</MsgID><Status><![CDATA[{status}]]></Status>")));

        Assert.Equal(200163836L, finished.MsgId);
        Assert.Equal(status, finished.Status);
    }

    [Fact]
    public void TemplateSendJobFinishWithoutMsgIdIsRejected() =>
        Rejected.With(WechatCallbackError.MalformedXml,
            () => CallbackXml.ParseMessage(Event("TEMPLATESENDJOBFINISH", "<Status><![CDATA[success]]></Status>")));

    [Fact]
    public void TextMessageIsParsed()
    {
        var text = Assert.IsType<TextMessage>(CallbackXml.ParseMessage(
            $"<xml>{Header}<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[路灯不亮 <b>&]]></Content><MsgId>6054768590064713728</MsgId></xml>"));

        Assert.Equal("路灯不亮 <b>&", text.Content);
        Assert.Equal(6054768590064713728, text.MsgId);
    }

    [Theory]
    [InlineData("Subscribe", typeof(SubscribeEvent))]
    [InlineData("UNSUBSCRIBE", typeof(UnsubscribeEvent))]
    [InlineData("scan", typeof(ScanEvent))]
    [InlineData("templateSendJobFinish", typeof(TemplateSendJobFinishEvent))]
    public void EventNamesMatchCaseInsensitively(string name, Type expected)
    {
        var message = CallbackXml.ParseMessage(Event(name, "<EventKey>1</EventKey><MsgID>1</MsgID><Status>success</Status>"));

        Assert.IsType(expected, message);
    }

    [Fact]
    public void UnknownEventKeepsMsgTypeAndEvent()
    {
        var unknown = Assert.IsType<UnknownMessage>(CallbackXml.ParseMessage(Event("subscribe_msg_popup_event", "<SubscribeMsgPopupEvent><List><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent>")));

        Assert.Equal("event", unknown.MsgType);
        Assert.Equal("subscribe_msg_popup_event", unknown.Event);
        Assert.Null(unknown.MsgId);
    }

    [Fact]
    public void UnknownMessageTypeKeepsMsgTypeAndMsgId()
    {
        var unknown = Assert.IsType<UnknownMessage>(CallbackXml.ParseMessage(
            $"<xml>{Header}<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x]]></PicUrl><MsgId>1234567890123456</MsgId></xml>"));

        Assert.Equal("image", unknown.MsgType);
        Assert.Null(unknown.Event);
        Assert.Equal(1234567890123456L, unknown.MsgId);
    }

    [Fact]
    public void MessagesDedupeByMsgId()
    {
        var text = CallbackXml.ParseMessage($"<xml>{Header}<MsgType>text</MsgType><Content>hi</Content><MsgId>42</MsgId></xml>");
        var image = CallbackXml.ParseMessage($"<xml>{Header}<MsgType>image</MsgType><MsgId>43</MsgId></xml>");

        Assert.Equal("msg:42", text.DedupeKey);
        Assert.Equal("msg:43", image.DedupeKey);
    }

    [Fact]
    public void EventsDedupeBySenderCreateTimeAndEvent()
    {
        var subscribe = CallbackXml.ParseMessage(Event("subscribe", "<EventKey>qrscene_1</EventKey>"));
        var retried = CallbackXml.ParseMessage(Event("subscribe", "<EventKey>qrscene_1</EventKey>"));
        var scan = CallbackXml.ParseMessage(Event("SCAN", "<EventKey>1</EventKey>"));

        Assert.Equal("event:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:subscribe", subscribe.DedupeKey);
        Assert.Equal(subscribe.DedupeKey, retried.DedupeKey);
        Assert.Equal("event:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:scan", scan.DedupeKey);
        Assert.Equal("event:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:unsubscribe", CallbackXml.ParseMessage(Event("unsubscribe")).DedupeKey);
        Assert.Equal("event:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:debug_demo", CallbackXml.ParseMessage(Event("debug_demo")).DedupeKey);
    }

    [Fact]
    public void TemplateResultsInTheSameSecondDedupeSeparately()
    {
        var first = CallbackXml.ParseMessage(Event("TEMPLATESENDJOBFINISH", "<MsgID>1</MsgID><Status>success</Status>"));
        var second = CallbackXml.ParseMessage(Event("TEMPLATESENDJOBFINISH", "<MsgID>2</MsgID><Status>success</Status>"));

        Assert.Equal("event:oia2TjuEGTNoeX76QEjQNrcURxG8:1395658920:templatesendjobfinish:1", first.DedupeKey);
        Assert.NotEqual(first.DedupeKey, second.DedupeKey);
    }

    [Fact]
    public void DoctypeWithExternalEntityIsRejected()
    {
        const string xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <xml><ToUserName>gh_1</ToUserName><FromUserName>&secret;</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>
            """;

        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(xxe));
        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseEnvelope(xxe));
    }

    [Fact]
    public void DoctypeIsRejectedEvenWhenTheRestOfTheBodyIsValid()
    {
        // Without the DOCTYPE this body parses (see PlainSubscribeHasNoScene), so only the DTD ban can reject it.
        string body = "<!DOCTYPE xml>" + Event("subscribe");

        var exception = Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(body));

        Assert.IsType<System.Xml.XmlException>(exception.InnerException);
    }

    [Fact]
    public void DoctypeWithInternalEntityIsRejected()
    {
        string body = "<!DOCTYPE xml [<!ENTITY who \"o1\">]>" + Event("subscribe").Replace("oia2TjuEGTNoeX76QEjQNrcURxG8", "&who;", StringComparison.Ordinal);

        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(body));
    }

    [Fact]
    public void BodyOverTheCapIsRejectedBeforeParsing()
    {
        // Deliberately not well-formed: the size check has to fire before the parser sees it.
        string body = "<xml>" + new string('a', CallbackXml.MaxBodyBytes);

        Rejected.With(WechatCallbackError.BodyTooLarge, () => CallbackXml.ParseMessage(body));
        Rejected.With(WechatCallbackError.BodyTooLarge, () => CallbackXml.ParseEnvelope(body));
    }

    [Fact]
    public void CapCountsUtf8BytesNotCharacters()
    {
        string content = new('灯', CallbackXml.MaxBodyBytes / 3); // fewer characters than the cap, more bytes
        string body = $"<xml>{Header}<MsgType>text</MsgType><Content>{content}</Content><MsgId>1</MsgId></xml>";
        Assert.True(body.Length < CallbackXml.MaxBodyBytes);

        Rejected.With(WechatCallbackError.BodyTooLarge, () => CallbackXml.ParseMessage(body));
    }

    [Fact]
    public void BodyExactlyAtTheCapIsParsed()
    {
        string prefix = $"<xml>{Header}<MsgType>text</MsgType><MsgId>1</MsgId><Content>";
        const string suffix = "</Content></xml>";
        string body = prefix + new string('a', CallbackXml.MaxBodyBytes - prefix.Length - suffix.Length) + suffix;
        Assert.Equal(CallbackXml.MaxBodyBytes, Encoding.UTF8.GetByteCount(body));

        Assert.IsType<TextMessage>(CallbackXml.ParseMessage(body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("success")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName>")]
    [InlineData("{\"ToUserName\":\"gh_1\",\"Encrypt\":\"abc\"}")]
    public void MalformedBodyIsATypedRejection(string body) =>
        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(body));

    [Fact]
    public void RootOtherThanXmlIsRejected() =>
        Rejected.With(WechatCallbackError.MalformedXml,
            () => CallbackXml.ParseMessage($"<root>{Header}<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></root>"));

    [Theory]
    [InlineData("<xml><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><MsgType>event</MsgType><Event>subscribe</Event></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>soon</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>-1</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>")]
    [InlineData("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>99999999999999999999</MsgId></xml>")]
    public void MissingOrInvalidRequiredFieldIsRejected(string body) =>
        Rejected.With(WechatCallbackError.MalformedXml, () => CallbackXml.ParseMessage(body));

    [Fact]
    public async Task ReadingABodyWithinTheCapReturnsItsText()
    {
        using var body = new MemoryStream(Encoding.UTF8.GetBytes("<xml>路灯</xml>"));

        Assert.Equal("<xml>路灯</xml>", await CallbackXml.ReadBodyAsync(body, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ReadingAnEndlessBodyStopsJustPastTheCap()
    {
        using var body = new EndlessStream();

        var exception = await Assert.ThrowsAsync<WechatCallbackException>(
            () => CallbackXml.ReadBodyAsync(body, TestContext.Current.CancellationToken));

        Assert.Equal(WechatCallbackError.BodyTooLarge, exception.Error);
        Assert.Equal(CallbackXml.MaxBodyBytes + 1, body.BytesRead);
    }

    [Fact]
    public async Task ReadingABodyThatIsNotUtf8IsRejected()
    {
        using var body = new MemoryStream([0x3C, 0xC3, 0x28, 0x3E]);

        var exception = await Assert.ThrowsAsync<WechatCallbackException>(
            () => CallbackXml.ReadBodyAsync(body, TestContext.Current.CancellationToken));

        Assert.Equal(WechatCallbackError.MalformedXml, exception.Error);
    }

    // Hands out 'a' bytes forever, a few at a time, and counts them.
    sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, 1000);
            buffer[..n].Fill((byte)'a');
            BytesRead += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
