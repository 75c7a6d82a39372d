using System.IO.Compression;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace EcoAid.Api.Infrastructure.Export;

/// <summary>
/// One printable worksheet: a title block (a bold title over the table's width and lines under it such as the branch and
/// the date), then the table with its header row. <see cref="Widths"/> are column widths in characters, one per column.
/// An empty title with no lines gives a sheet whose header is its first row (a list sent back in the form it came in).
/// </summary>
public sealed record SheetSpec(string Name, string Title, IReadOnlyList<string> Lines, IReadOnlyList<string> Header, IReadOnlyList<double> Widths,
    IEnumerable<IReadOnlyList<string?>> Rows);

/// <summary>
/// Writes .xlsx workbooks with the Open XML SDK in the form the bureau files them: a title block, column widths, thin
/// borders on every table cell, wrapped text aligned to the top, the header frozen on screen and repeated on every
/// printed page, landscape A4 fitted to the page width. Cells are inline strings.
/// </summary>
public static class Spreadsheet
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    // Style indexes into the stylesheet written below.
    private const uint TitleStyle = 1, LineStyle = 2, HeaderStyle = 3, BodyStyle = 4;

    public static byte[] Write(IReadOnlyList<SheetSpec> sheets)
    {
        using var buffer = new MemoryStream();
        Write(buffer, sheets);
        return buffer.ToArray();
    }

    /// <summary>
    /// Writes the workbook to <paramref name="output"/>, each worksheet row by row as its rows are enumerated. The SDK's
    /// package buffers every part in memory until it closes and refuses a write-only package, so the SDK builds only the
    /// small skeleton (empty worksheets), which is copied into a create-mode zip with the worksheets written in their place.
    /// </summary>
    public static void Write(Stream output, IReadOnlyList<SheetSpec> sheets)
    {
        var worksheets = new Dictionary<string, (SheetSpec Spec, uint HeaderRow)>(StringComparer.Ordinal);
        using var skeleton = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(skeleton, SpreadsheetDocumentType.Workbook))
        {
            var workbookPart = document.AddWorkbookPart();
            var stylesPart = workbookPart.AddNewPart<WorkbookStylesPart>();
            stylesPart.Stylesheet = Styles();
            var sheetList = new Sheets();
            var definedNames = new DefinedNames();
            uint sheetId = 1;
            foreach (var spec in sheets)
            {
                if (spec.Widths.Count != spec.Header.Count)
                {
                    throw new ArgumentException($"Sheet {spec.Name}: {spec.Widths.Count} widths for {spec.Header.Count} columns.");
                }
                var part = workbookPart.AddNewPart<WorksheetPart>();
                part.Worksheet = new Worksheet(new SheetData());
                var headerRow = HasTitle(spec) ? (uint)spec.Lines.Count + 2 : 1; // the title, its lines, then the header
                worksheets.Add(part.Uri.OriginalString.TrimStart('/'), (spec, headerRow));
                sheetList.Append(new Sheet { Id = workbookPart.GetIdOfPart(part), SheetId = sheetId, Name = spec.Name });
                // Print_Titles: the header row repeats at the top of every printed page.
                definedNames.Append(new DefinedName($"'{spec.Name}'!${headerRow}:${headerRow}") { Name = "_xlnm.Print_Titles", LocalSheetId = sheetId - 1 });
                sheetId++;
            }
            workbookPart.Workbook = new Workbook(sheetList, definedNames);
        }

        skeleton.Position = 0;
        using var source = new ZipArchive(skeleton, ZipArchiveMode.Read);
        if (worksheets.Keys.Except(source.Entries.Select(e => e.FullName)).FirstOrDefault() is { } missing)
        {
            throw new InvalidOperationException($"The workbook's skeleton has no entry {missing}.");
        }
        using var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in source.Entries)
        {
            using var to = target.CreateEntry(entry.FullName, CompressionLevel.Optimal).Open();
            if (worksheets.TryGetValue(entry.FullName, out var sheet))
            {
                using var writer = OpenXmlWriter.Create(to);
                WriteSheet(writer, sheet.Spec, sheet.HeaderRow);
            }
            else
            {
                using var from = entry.Open();
                from.CopyTo(to);
            }
        }
    }

    private static void WriteSheet(OpenXmlWriter writer, SheetSpec spec, uint headerRow)
    {
        var last = Column(spec.Header.Count);
        writer.WriteStartElement(new Worksheet());
        writer.WriteElement(new SheetProperties(new PageSetupProperties { FitToPage = true }));
        var view = new SheetView { WorkbookViewId = 0 };
        view.Append(new Pane
        {
            VerticalSplit = headerRow, TopLeftCell = $"A{headerRow + 1}", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen,
        });
        writer.WriteElement(new SheetViews(view));
        writer.WriteElement(new SheetFormatProperties { DefaultRowHeight = 15 });
        writer.WriteElement(new Columns(spec.Widths.Select((w, i) => new Column { Min = (uint)i + 1, Max = (uint)i + 1, Width = w, CustomWidth = true })));
        writer.WriteStartElement(new SheetData());
        if (HasTitle(spec))
        {
            writer.WriteElement(TextRow(1, [spec.Title], TitleStyle, height: 30));
        }
        uint r = 2;
        foreach (var line in spec.Lines)
        {
            writer.WriteElement(TextRow(r++, [line], LineStyle));
        }
        writer.WriteElement(TextRow(headerRow, spec.Header, HeaderStyle, Height(spec.Header, spec.Widths)));
        r = headerRow + 1;
        foreach (var row in spec.Rows)
        {
            IReadOnlyList<string?> cells = [.. Enumerable.Range(0, spec.Header.Count).Select(i => i < row.Count ? row[i] : null)];
            writer.WriteElement(TextRow(r++, cells, BodyStyle, Height(cells, spec.Widths)));
        }
        writer.WriteEndElement();
        if (spec.Header.Count > 1 && headerRow > 1)
        {
            var merges = new MergeCells();
            for (uint m = 1; m < headerRow; m++)
            {
                merges.Append(new MergeCell { Reference = $"A{m}:{last}{m}" });
            }
            writer.WriteElement(merges);
        }
        writer.WriteElement(new PrintOptions { HorizontalCentered = true });
        writer.WriteElement(new PageMargins { Left = 0.4, Right = 0.4, Top = 0.6, Bottom = 0.6, Header = 0.3, Footer = 0.3 });
        // A4 (9), landscape, one page wide and as many pages tall as it takes.
        writer.WriteElement(new PageSetup { PaperSize = 9, Orientation = OrientationValues.Landscape, FitToWidth = 1, FitToHeight = 0 });
        writer.WriteElement(new HeaderFooter(new OddFooter("&C第 &P 页，共 &N 页")));
        writer.WriteEndElement();
    }

    private static bool HasTitle(SheetSpec spec) => spec.Title.Length > 0 || spec.Lines.Count > 0;

    /// <summary>Column widths that fit each column's longest line (a Chinese character counts two), between 8 and 40.</summary>
    public static IReadOnlyList<double> FitWidths(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var widths = header.Select(h => (double)Units(h)).ToArray();
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Count && i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], (row[i] ?? "").Split('\n').Max(Units));
            }
        }
        return [.. widths.Select(w => Math.Clamp(w + 2, 8, 40))];
    }

    private static int Units(string line) => line.Sum(c => c > 0x2E7F ? 2 : 1);

    private static Row TextRow(uint index, IReadOnlyList<string?> values, uint style, double? height = null)
    {
        var row = new Row { RowIndex = index };
        if (height is { } h)
        {
            row.Height = h;
            row.CustomHeight = true;
        }
        for (var i = 0; i < values.Count; i++)
        {
            var cell = new Cell { CellReference = $"{Column(i + 1)}{index}", StyleIndex = style, DataType = CellValues.InlineString };
            cell.Append(new InlineString(new Text(Clean(values[i] ?? "")) { Space = SpaceProcessingModeValues.Preserve }));
            row.Append(cell);
        }
        return row;
    }

    /// <summary>
    /// The height a row needs for its wrapped text, in points. Spreadsheet programs do not grow rows of a generated file
    /// by themselves (LibreOffice prints them one line high), so the row says it: a Chinese character takes two width
    /// units, a Latin one one, and a line of 10.5-point text about 14 points.
    /// </summary>
    internal static double Height(IReadOnlyList<string?> cells, IReadOnlyList<double> widths)
    {
        var lines = 1;
        for (var i = 0; i < cells.Count && i < widths.Count; i++)
        {
            var usable = Math.Max(1, widths[i] - 1);
            var cellLines = (cells[i] ?? "").Split('\n').Sum(line => Math.Max(1, (int)Math.Ceiling(line.Sum(c => c > 0x2E7F ? 2 : 1) / usable)));
            lines = Math.Max(lines, cellLines);
        }
        return lines * 14 + 4;
    }

    /// <summary>XML 1.0 cannot carry most control characters, and a user's text could hold one.</summary>
    internal static string Clean(string text) =>
        text.Any(c => c < ' ' && c is not ('\n' or '\t' or '\r')) ? new string(text.Where(c => c >= ' ' || c is '\n' or '\t' or '\r').ToArray()) : text;

    internal static string Column(int number)
    {
        var name = "";
        for (; number > 0; number = (number - 1) / 26)
        {
            name = (char)('A' + (number - 1) % 26) + name;
        }
        return name;
    }

    private static Stylesheet Styles()
    {
        static Border Thin() => new(
            new LeftBorder(new Color { Rgb = "FF808080" }) { Style = BorderStyleValues.Thin },
            new RightBorder(new Color { Rgb = "FF808080" }) { Style = BorderStyleValues.Thin },
            new TopBorder(new Color { Rgb = "FF808080" }) { Style = BorderStyleValues.Thin },
            new BottomBorder(new Color { Rgb = "FF808080" }) { Style = BorderStyleValues.Thin },
            new DiagonalBorder());
        var fonts = new Fonts(
            new Font(new FontSize { Val = 10.5 }, new FontName { Val = "宋体" }),
            new Font(new Bold(), new FontSize { Val = 16 }, new FontName { Val = "黑体" }),
            new Font(new Bold(), new FontSize { Val = 10.5 }, new FontName { Val = "宋体" }));
        var fills = new Fills(
            new Fill(new PatternFill { PatternType = PatternValues.None }),
            new Fill(new PatternFill { PatternType = PatternValues.Gray125 }),
            new Fill(new PatternFill(new ForegroundColor { Rgb = "FFD9E1F2" }) { PatternType = PatternValues.Solid }));
        var borders = new Borders(new Border(new LeftBorder(), new RightBorder(), new TopBorder(), new BottomBorder(), new DiagonalBorder()), Thin());
        var formats = new CellFormats(
            new CellFormat(),
            new CellFormat(new Alignment { Horizontal = HorizontalAlignmentValues.Center, Vertical = VerticalAlignmentValues.Center })
                { FontId = 1, ApplyFont = true, ApplyAlignment = true },
            new CellFormat(new Alignment { Horizontal = HorizontalAlignmentValues.Left, Vertical = VerticalAlignmentValues.Center }) { ApplyAlignment = true },
            new CellFormat(new Alignment { Horizontal = HorizontalAlignmentValues.Center, Vertical = VerticalAlignmentValues.Center, WrapText = true })
                { FontId = 2, FillId = 2, BorderId = 1, ApplyFont = true, ApplyFill = true, ApplyBorder = true, ApplyAlignment = true },
            new CellFormat(new Alignment { Vertical = VerticalAlignmentValues.Top, WrapText = true }) { BorderId = 1, ApplyBorder = true, ApplyAlignment = true });
        return new Stylesheet(fonts, fills, borders, formats);
    }
}
