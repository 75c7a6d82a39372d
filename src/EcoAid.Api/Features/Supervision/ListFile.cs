using System.Globalization;
using System.IO.Compression;
using System.Xml;
using MiniExcelLibs;
using MiniExcelLibs.OpenXml;

namespace EcoAid.Api.Features.Supervision;

/// <summary>What an uploaded list is refused for: a stable code and a Chinese sentence for the commissioner.</summary>
public sealed record ListFileRefusal(string Code, string Title, string Detail);

/// <summary>An uploaded list as read: the header row and the data rows, every cell as text (dates as yyyy-MM-dd).</summary>
public sealed record ListTable(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>
/// Reads the ministry's 监督帮扶 list. Before the spreadsheet library sees the file, the package itself is checked: it
/// must be an xlsx workbook, must not unpack to more than a set size (a zip bomb is refused by counting the bytes really
/// inflated, not by trusting the sizes the archive declares), and its worksheets must hold no formulas and no merged cells
/// in the header row. The cells are then read with MiniExcel, the first row being the header.
/// </summary>
public static class ListFile
{
    public static (ListTable? Table, ListFileRefusal? Refusal) Read(byte[] bytes, SupervisionOptions options)
    {
        if (bytes.Length < 4 || bytes[0] != (byte)'P' || bytes[1] != (byte)'K' || bytes[2] != 3 || bytes[3] != 4)
        {
            return (null, NotXlsx());
        }
        var sheetParts = new List<string>();
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            if (zip.GetEntry("[Content_Types].xml") is null || zip.GetEntry("xl/workbook.xml") is null)
            {
                return (null, NotXlsx());
            }
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                var inflated = CountBytes(stream, options.MaxUnpackedBytes - total);
                if (inflated is null)
                {
                    return (null, new ListFileRefusal("supervision.file_too_large_unpacked", "文件解压后过大",
                        $"文件解压后超过 {options.MaxUnpackedBytes / (1024 * 1024)} MB，疑似压缩炸弹，已拒绝导入。请另存为普通的 xlsx 文件后再上传。"));
                }
                total += inflated.Value;
                if (entry.FullName.StartsWith("xl/worksheets/", StringComparison.Ordinal) && entry.FullName.EndsWith(".xml", StringComparison.Ordinal))
                {
                    sheetParts.Add(entry.FullName);
                }
            }
            foreach (var part in sheetParts)
            {
                using var stream = zip.GetEntry(part)!.Open();
                if (InspectSheet(stream) is { } refusal)
                {
                    return (null, refusal);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or XmlException or IOException)
        {
            return (null, NotXlsx());
        }
        if (sheetParts.Count == 0)
        {
            return (null, NotXlsx());
        }

        List<IDictionary<string, object?>> rows;
        try
        {
            rows = [];
            var configuration = new OpenXmlConfiguration { FillMergedCells = false };
            foreach (IDictionary<string, object?> row in MiniExcel.Query(new MemoryStream(bytes, writable: false), useHeaderRow: false, excelType: ExcelType.XLSX,
                configuration: configuration))
            {
                rows.Add(row);
                if (rows.Count > options.MaxRows + 1)
                {
                    return (null, TooManyRows(options.MaxRows));
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return (null, NotXlsx());
        }
        // Trailing empty rows are formatting, not data.
        while (rows.Count > 0 && rows[^1].Values.All(v => string.IsNullOrWhiteSpace(Text(v))))
        {
            rows.RemoveAt(rows.Count - 1);
        }
        if (rows.Count == 0)
        {
            return (null, new ListFileRefusal("supervision.empty", "文件没有内容", "工作表第一行应为表头（序号、企业名称、问题描述等），其下每行一个问题。"));
        }
        var columns = rows[0].Keys.ToList();
        var headers = columns.Select(c => Text(rows[0][c]).Trim()).ToList();
        while (headers.Count > 0 && headers[^1].Length == 0)
        {
            headers.RemoveAt(headers.Count - 1);
            columns.RemoveAt(columns.Count - 1);
        }
        if (headers.Count == 0 || headers.Any(h => h.Length == 0))
        {
            return (null, new ListFileRefusal("supervision.bad_header", "表头不完整", "第一行应为表头，且每一列都要有列名（不要留空列名，也不要在表头上方加标题行）。"));
        }
        if (headers.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            return (null, new ListFileRefusal("supervision.bad_header", "表头有重复列名", $"列名“{duplicate.Key}”出现了不止一次，请改成不同的列名。"));
        }
        var data = rows.Skip(1).Select(r => (IReadOnlyList<string>)columns.Select(c => Text(r.TryGetValue(c, out var v) ? v : null).Trim()).ToList()).ToList();
        if (data.Count > options.MaxRows)
        {
            return (null, TooManyRows(options.MaxRows));
        }
        return (new ListTable(headers, data), null);
    }

    /// <summary>A cell's text: dates as yyyy-MM-dd, numbers without exponent or trailing zeros.</summary>
    public static string Text(object? value) => value switch
    {
        null => "",
        DateTime d => d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        double n => n.ToString("0.##########", CultureInfo.InvariantCulture),
        decimal m => m.ToString("0.##########", CultureInfo.InvariantCulture),
        bool b => b ? "是" : "否",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static ListFileRefusal NotXlsx() =>
        new("supervision.not_xlsx", "文件不是 xlsx 工作簿", "请上传 Excel 的 .xlsx 文件（不支持 .xls、.csv、WPS 专有格式或改了扩展名的其他文件）。");

    private static ListFileRefusal TooManyRows(int max) =>
        new("supervision.too_many_rows", "行数过多", $"一份清单最多 {max} 行问题，请拆分后分批导入。");

    /// <summary>Inflates the stream to nowhere; null once more than <paramref name="budget"/> bytes came out.</summary>
    private static long? CountBytes(Stream stream, long budget)
    {
        var buffer = new byte[81920];
        long count = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            count += read;
            if (count > budget)
            {
                return null;
            }
        }
        return count;
    }

    /// <summary>Refuses a worksheet with a formula anywhere, or a merged range that touches the header row.</summary>
    private static ListFileRefusal? InspectSheet(Stream sheet)
    {
        using var reader = XmlReader.Create(sheet, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }
            if (reader.LocalName == "f")
            {
                return new ListFileRefusal("supervision.formulas", "文件含有公式",
                    "清单中不能有公式（导入只认单元格里的值）。请复制全部内容后“选择性粘贴—数值”，另存后再上传。");
            }
            if (reader.LocalName == "mergeCell" && reader.GetAttribute("ref") is { } range && TouchesFirstRow(range))
            {
                return new ListFileRefusal("supervision.merged_header", "表头有合并单元格",
                    $"表头不能合并单元格（{range}）。请取消合并，让每一列只有一个列名，并删去表头上方的标题行。");
            }
        }
        return null;
    }

    private static bool TouchesFirstRow(string range)
    {
        var start = range.Split(':')[0];
        var digits = new string(start.SkipWhile(char.IsLetter).ToArray());
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var row) && row <= 1;
    }
}
