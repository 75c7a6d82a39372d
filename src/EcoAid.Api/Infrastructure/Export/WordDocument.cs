using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using A = DocumentFormat.OpenXml.Drawing;
using DW = DocumentFormat.OpenXml.Drawing.Wordprocessing;
using PIC = DocumentFormat.OpenXml.Drawing.Pictures;

namespace EcoAid.Api.Infrastructure.Export;

/// <summary>
/// Builds a .docx with the Open XML SDK the way an office writes a 工作信息: a centred title, headings (一、二、…), body
/// paragraphs with a two-character first-line indent, bordered tables and PNG pictures, on portrait A4.
/// </summary>
public sealed class WordDocument
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    private readonly List<Func<MainDocumentPart, OpenXmlElement>> blocks = [];

    public WordDocument Title(string text)
    {
        blocks.Add(_ => Para(text, size: 44, bold: true, font: "方正小标宋简体", justify: JustificationValues.Center, after: 240));
        return this;
    }

    public WordDocument Centred(string text)
    {
        blocks.Add(_ => Para(text, size: 28, justify: JustificationValues.Center, after: 240));
        return this;
    }

    public WordDocument Heading(string text)
    {
        blocks.Add(_ => Para(text, size: 32, bold: true, font: "黑体", before: 120, after: 60));
        return this;
    }

    public WordDocument Paragraph(string text)
    {
        blocks.Add(_ => Para(text, size: 32, indent: true));
        return this;
    }

    public WordDocument Caption(string text)
    {
        blocks.Add(_ => Para(text, size: 24, justify: JustificationValues.Center, after: 120));
        return this;
    }

    public WordDocument Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string?>> rows, IReadOnlyList<int> widthsTwips)
    {
        var body = rows.ToList();
        blocks.Add(_ =>
        {
            var table = new Table(new TableProperties(
                new TableWidth { Type = TableWidthUnitValues.Dxa, Width = widthsTwips.Sum().ToString(System.Globalization.CultureInfo.InvariantCulture) },
                new TableJustification { Val = TableRowAlignmentValues.Center },
                new TableBorders(
                    new TopBorder { Val = BorderValues.Single, Size = 4 }, new BottomBorder { Val = BorderValues.Single, Size = 4 },
                    new LeftBorder { Val = BorderValues.Single, Size = 4 }, new RightBorder { Val = BorderValues.Single, Size = 4 },
                    new InsideHorizontalBorder { Val = BorderValues.Single, Size = 4 }, new InsideVerticalBorder { Val = BorderValues.Single, Size = 4 }),
                new TableLayout { Type = TableLayoutValues.Fixed }));
            table.Append(new TableGrid(widthsTwips.Select(w => new GridColumn { Width = w.ToString(System.Globalization.CultureInfo.InvariantCulture) })));
            table.Append(Row(header, widthsTwips, bold: true, repeat: true));
            foreach (var row in body)
            {
                table.Append(Row(row, widthsTwips, bold: false, repeat: false));
            }
            return table;
        });
        return this;
    }

    /// <summary>A PNG picture, centred, <paramref name="widthCm"/> wide with the image's own aspect ratio.</summary>
    public WordDocument Picture(byte[] png, int pixelWidth, int pixelHeight, double widthCm, string name)
    {
        blocks.Add(main =>
        {
            var imagePart = main.AddImagePart(ImagePartType.Png);
            using (var stream = new MemoryStream(png))
            {
                imagePart.FeedData(stream);
            }
            var id = main.GetIdOfPart(imagePart);
            const long emuPerCm = 360000;
            var cx = (long)(widthCm * emuPerCm);
            var cy = cx * pixelHeight / pixelWidth;
            var pictureId = (uint)blocks.Count + (uint)main.ImageParts.Count();
            var drawing = new Drawing(new DW.Inline(
                new DW.Extent { Cx = cx, Cy = cy },
                new DW.EffectExtent { LeftEdge = 0, TopEdge = 0, RightEdge = 0, BottomEdge = 0 },
                new DW.DocProperties { Id = pictureId, Name = name },
                new DW.NonVisualGraphicFrameDrawingProperties(new A.GraphicFrameLocks { NoChangeAspect = true }),
                new A.Graphic(new A.GraphicData(new PIC.Picture(
                    new PIC.NonVisualPictureProperties(new PIC.NonVisualDrawingProperties { Id = 0, Name = name + ".png" }, new PIC.NonVisualPictureDrawingProperties()),
                    new PIC.BlipFill(new A.Blip { Embed = id }, new A.Stretch(new A.FillRectangle())),
                    new PIC.ShapeProperties(new A.Transform2D(new A.Offset { X = 0, Y = 0 }, new A.Extents { Cx = cx, Cy = cy }),
                        new A.PresetGeometry(new A.AdjustValueList()) { Preset = A.ShapeTypeValues.Rectangle })))
                { Uri = "http://schemas.openxmlformats.org/drawingml/2006/picture" }))
            { DistanceFromTop = 0, DistanceFromBottom = 0, DistanceFromLeft = 0, DistanceFromRight = 0 });
            return new Paragraph(new ParagraphProperties(new Justification { Val = JustificationValues.Center }), new Run(drawing));
        });
        return this;
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var document = WordprocessingDocument.Create(buffer, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            var body = new Body();
            main.Document = new Document(body);
            foreach (var block in blocks)
            {
                body.Append(block(main));
            }
            // Portrait A4 with the margins of an official document (top 3.7 cm, bottom 3.5, left 2.8, right 2.6).
            body.Append(new SectionProperties(
                new PageSize { Width = 11906, Height = 16838 },
                new PageMargin { Top = 2098, Bottom = 1984, Left = 1588, Right = 1474, Header = 851, Footer = 992 }));
        }
        return buffer.ToArray();
    }

    private static TableRow Row(IReadOnlyList<string?> cells, IReadOnlyList<int> widths, bool bold, bool repeat)
    {
        var row = new TableRow();
        if (repeat)
        {
            row.Append(new TableRowProperties(new TableHeader()));
        }
        for (var i = 0; i < widths.Count; i++)
        {
            var text = i < cells.Count ? cells[i] ?? "" : "";
            row.Append(new TableCell(
                new TableCellProperties(new TableCellWidth { Type = TableWidthUnitValues.Dxa, Width = widths[i].ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    new TableCellVerticalAlignment { Val = TableVerticalAlignmentValues.Center }),
                Para(text, size: 21, bold: bold, justify: bold ? JustificationValues.Center : JustificationValues.Left, after: 0, lineTwips: 300)));
        }
        return row;
    }

    private static Paragraph Para(string text, int size, bool bold = false, string font = "仿宋_GB2312", JustificationValues? justify = null,
        bool indent = false, int before = 0, int after = 0, int lineTwips = 560)
    {
        var properties = new ParagraphProperties(
            new SpacingBetweenLines
            {
                Before = before.ToString(System.Globalization.CultureInfo.InvariantCulture), After = after.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Line = lineTwips.ToString(System.Globalization.CultureInfo.InvariantCulture), LineRule = LineSpacingRuleValues.Exact,
            });
        if (indent)
        {
            properties.Append(new Indentation { FirstLine = (size * 20).ToString(System.Globalization.CultureInfo.InvariantCulture), FirstLineChars = 200 });
        }
        if (justify is { } j)
        {
            properties.Append(new Justification { Val = j });
        }
        var paragraph = new Paragraph(properties);
        var lines = Spreadsheet.Clean(text).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var runProperties = new RunProperties(new RunFonts { Ascii = font, HighAnsi = font, EastAsia = font });
            if (bold)
            {
                runProperties.Append(new Bold());
            }
            runProperties.Append(new FontSize { Val = size.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            var run = new Run(runProperties);
            if (i > 0)
            {
                run.Append(new Break());
            }
            run.Append(new Text(lines[i]) { Space = SpaceProcessingModeValues.Preserve });
            paragraph.Append(run);
        }
        return paragraph;
    }
}
