using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security;
using System.Text;

namespace EcoAid.Api.Tests.Infrastructure;

/// <summary>Builds 监督帮扶 list files the way spreadsheet programs save them (inline strings), with the faults the import must refuse.</summary>
public static class ListXlsx
{
    public static readonly string[] StandardHeader = ["序号", "省/市/区县", "企业名称", "统一社会信用代码", "问题类型", "问题描述", "发现时间", "交办时间", "整改时限", "整改情况"];

    public static byte[] Build(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? formulaCell = null, string? mergeRange = null,
        (string Name, long Bytes)? padding = null)
    {
        var sheet = new StringBuilder("""<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>""");
        var n = 0;
        foreach (var row in rows.Prepend(header))
        {
            n++;
            sheet.Append($"<row r=\"{n}\">");
            for (var c = 0; c < row.Count; c++)
            {
                sheet.Append($"<c r=\"{Column(c)}{n}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{SecurityElement.Escape(row[c])}</t></is></c>");
            }
            if (formulaCell is not null && n == 2)
            {
                sheet.Append($"<c r=\"{formulaCell}\"><f>1+1</f><v>2</v></c>");
            }
            sheet.Append("</row>");
        }
        sheet.Append("</sheetData>");
        if (mergeRange is not null)
        {
            sheet.Append($"<mergeCells count=\"1\"><mergeCell ref=\"{mergeRange}\"/></mergeCells>");
        }
        sheet.Append("</worksheet>");
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "[Content_Types].xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>""");
            Add(zip, "_rels/.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>""");
            Add(zip, "xl/workbook.xml", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="问题清单" sheetId="1" r:id="rId1"/></sheets></workbook>""");
            Add(zip, "xl/_rels/workbook.xml.rels", """<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>""");
            Add(zip, "xl/worksheets/sheet1.xml", sheet.ToString());
            if (padding is { } pad)
            {
                // Zeros deflate to almost nothing: a small file that unpacks to a great deal.
                using var stream = zip.CreateEntry(pad.Name, CompressionLevel.SmallestSize).Open();
                var zeros = new byte[1 << 20];
                for (long written = 0; written < pad.Bytes; written += zeros.Length)
                {
                    stream.Write(zeros);
                }
            }
        }
        return buffer.ToArray();
    }

    public static MultipartFormDataContent Form(byte[] bytes, string fileName = "监督帮扶问题清单.xlsx")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        return new MultipartFormDataContent { { content, "file", fileName } };
    }

    private static void Add(ZipArchive zip, string name, string text)
    {
        using var writer = new StreamWriter(zip.CreateEntry(name).Open(), new UTF8Encoding(false));
        writer.Write(text);
    }

    private static string Column(int index)
    {
        var name = "";
        for (var i = index + 1; i > 0; i = (i - 1) / 26)
        {
            name = (char)('A' + (i - 1) % 26) + name;
        }
        return name;
    }
}
