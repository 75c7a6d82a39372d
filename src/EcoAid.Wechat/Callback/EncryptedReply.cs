using System.Text;
using System.Xml;

namespace EcoAid.Wechat.Callback;

/// <summary>An encrypted, signed passive reply (safe mode).</summary>
/// <param name="Encrypt">The Base64 ciphertext of the reply message.</param>
/// <param name="MsgSignature">sha1 over token, <paramref name="TimeStamp"/>, <paramref name="Nonce"/> and <paramref name="Encrypt"/>.</param>
/// <param name="TimeStamp">The unix-seconds timestamp that was signed.</param>
/// <param name="Nonce">The nonce that was signed.</param>
public sealed record EncryptedReply(string Encrypt, string MsgSignature, string TimeStamp, string Nonce)
{
    /// <summary>Renders the response body: <c>&lt;xml&gt;</c> with Encrypt, MsgSignature, TimeStamp and Nonce.</summary>
    public string ToXml()
    {
        var xml = new StringBuilder();
        using (var writer = XmlWriter.Create(xml, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            writer.WriteStartElement("xml");
            WriteCData(writer, "Encrypt", Encrypt);
            WriteCData(writer, "MsgSignature", MsgSignature);
            writer.WriteElementString("TimeStamp", TimeStamp);
            WriteCData(writer, "Nonce", Nonce);
            writer.WriteEndElement();
        }
        return xml.ToString();
    }

    static void WriteCData(XmlWriter writer, string name, string value)
    {
        writer.WriteStartElement(name);
        writer.WriteCData(value);
        writer.WriteEndElement();
    }
}
