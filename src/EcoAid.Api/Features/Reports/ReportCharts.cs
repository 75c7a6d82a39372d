using System.Globalization;
using EcoAid.Api.Features.Stats;
using ScottPlot;

namespace EcoAid.Api.Features.Reports;

/// <summary>A chart rendered to PNG, with its size (the docx needs the aspect ratio).</summary>
public sealed record ChartImage(byte[] Png, int Width, int Height);

/// <summary>No font with Chinese glyphs was found: charts would show empty boxes, so none is drawn.</summary>
public sealed class ChartFontMissingException(string message) : Exception(message);

/// <summary>
/// Where the CJK font for charts is: the setting <c>Reports:ChartFontFile</c>, or the first of the usual files of
/// Debian's fonts-noto-cjk (and a few other CJK fonts) found under the system's font folders.
/// </summary>
public sealed class ChartFont
{
    public const string Name = "EcoAid CJK";

    private static readonly string[] KnownFiles =
        ["NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf", "SourceHanSansSC-Regular.otf", "wqy-microhei.ttc", "wqy-zenhei.ttc"];

    private static readonly string[] Folders = ["/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:\\Windows\\Fonts"];

    private readonly Lazy<string?> file;

    public ChartFont(IConfiguration configuration)
    {
        var configured = configuration["Reports:ChartFontFile"];
        file = new Lazy<string?>(() => Find(configured));
    }

    internal static string? Find(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured : null;
        }
        foreach (var name in KnownFiles)
        {
            foreach (var folder in Folders.Where(Directory.Exists))
            {
                var found = Directory.EnumerateFiles(folder, name, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).FirstOrDefault();
                if (found is not null)
                {
                    return found;
                }
            }
        }
        return null;
    }

    private static readonly Lock Gate = new();
    private static string? registered;

    /// <summary>Registers the font with ScottPlot once per process and returns its name.</summary>
    public string Use()
    {
        var path = file.Value ?? throw new ChartFontMissingException(
            "没有找到可显示中文的字体：请安装 fonts-noto-cjk（Debian：apt-get install fonts-noto-cjk，项目脚本会自动安装），或用 Reports:ChartFontFile 指定字体文件。");
        lock (Gate)
        {
            if (registered != path)
            {
                Fonts.AddFontFile(Name, path);
                registered = path;
            }
        }
        return Name;
    }
}

/// <summary>The report's charts, drawn by ScottPlot: demands by category, the last twelve months, and the four rates.</summary>
public static class ReportCharts
{
    public static readonly IReadOnlyList<string> Kinds = ["categories", "months", "rates"];

    // One colour per category, in the order of DemandCategories.Names.
    private static readonly string[] CategoryColours = ["#2E7D32", "#1565C0", "#EF6C00", "#6A1B9A", "#00838F", "#AD1457", "#5D4037", "#455A64", "#9E9D24"];

    public static ChartImage Render(string kind, ReportFigures figures, ChartFont font) => kind switch
    {
        "categories" => Categories(figures, font),
        "months" => Months(figures, font),
        "rates" => RatesChart(figures, font),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Bars of the demands collected up to the moment, one per category that has any; the picture widens with the categories.</summary>
    public static ChartImage Categories(ReportFigures f, ChartFont font)
    {
        var categories = f.Total.ByCategory.Select((c, i) => (c, Colour: CategoryColours[i % CategoryColours.Length])).Where(x => x.c.Count > 0).ToList();
        var plot = NewPlot(font, $"诉求问题分类（截至{Periods.ChineseDate(f.AsOfDate)}，共 {f.Total.Collected} 个）");
        if (categories.Count == 0)
        {
            plot.Add.Annotation("暂无诉求", Alignment.MiddleCenter);
        }
        else
        {
            var bars = categories.Select((x, i) => new Bar
            {
                Position = i, Value = x.c.Count, FillColor = Color.FromHex(x.Colour), Label = x.c.Count.ToString(CultureInfo.InvariantCulture),
            }).ToList();
            var series = plot.Add.Bars(bars);
            series.ValueLabelStyle.FontSize = 18;
            series.ValueLabelStyle.FontName = font.Use();
            plot.Axes.Bottom.SetTicks([.. categories.Select((_, i) => (double)i)], [.. categories.Select(x => x.c.Name)]);
            plot.Axes.Margins(bottom: 0);
            plot.Axes.SetLimitsY(0, categories.Max(x => x.c.Count) * 1.25 + 0.5);
        }
        plot.Axes.Left.Label.Text = "个";
        return Png(plot, Math.Max(640, 200 + 120 * categories.Count), 420);
    }

    /// <summary>Collected and closed per month over the twelve months ending with the report's month.</summary>
    public static ChartImage Months(ReportFigures f, ChartFont font)
    {
        var plot = NewPlot(font, "近十二个月诉求收集与办结");
        var collected = f.Trend.Select((m, i) => new Bar { Position = i * 3, Value = m.Collected, FillColor = Color.FromHex("#1565C0") });
        var closed = f.Trend.Select((m, i) => new Bar { Position = i * 3 + 1, Value = m.Closed, FillColor = Color.FromHex("#2E7D32") });
        plot.Add.Bars(collected.Concat(closed).ToList());
        plot.Axes.Bottom.SetTicks([.. f.Trend.Select((_, i) => i * 3 + 0.5)], [.. f.Trend.Select(m => $"{int.Parse(m.Month[5..], CultureInfo.InvariantCulture)}月")]);
        // Each item names its own font, and its label sits 4 px lower: ScottPlot clips a legend label to a line measured for
        // Latin text, so the taller CJK glyphs of the first label lost their top (收集 read as a cut-off line).
        var name = font.Use();
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "收集", FillColor = Color.FromHex("#1565C0"), LabelFontName = name, LabelFontSize = 14, LabelOffsetY = 4 });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "办结", FillColor = Color.FromHex("#2E7D32"), LabelFontName = name, LabelFontSize = 14, LabelOffsetY = 4 });
        plot.Legend.FontName = name;
        plot.Legend.FontSize = 14;
        plot.Legend.Padding = new PixelPadding(10, 10, 8, 8);
        plot.ShowLegend(Alignment.UpperLeft);
        var top = Math.Max(1, f.Trend.Max(m => Math.Max(m.Collected, m.Closed)));
        plot.Axes.SetLimitsY(0, top * 1.3 + 0.5);
        plot.Axes.Left.Label.Text = "个";
        return Png(plot, 960, 420);
    }

    /// <summary>The four rates as percentages: green from 90 %, orange from 60 %, red below; grey when there is nothing to count.</summary>
    public static ChartImage RatesChart(ReportFigures f, ChartFont font)
    {
        var r = f.Total.Rates;
        (string Name, Rate Rate)[] rates = [("响应率", r.Response), ("按期办结率", r.OnTime), ("解决率", r.Resolution), ("满意率", r.Satisfaction)];
        var plot = NewPlot(font, $"{Periods.ChineseMonth(DateOnly.ParseExact(f.Month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture))}各项比率");
        var bars = rates.Select((x, i) => new Bar
        {
            Position = i,
            Value = (x.Rate.Value ?? 0) * 100,
            FillColor = Color.FromHex(x.Rate.Value switch { null => "#9E9E9E", >= 0.9 => "#2E7D32", >= 0.6 => "#EF6C00", _ => "#C62828" }),
            Label = x.Rate.Value is { } v ? $"{(v * 100).ToString("0.#", CultureInfo.InvariantCulture)}%（{x.Rate.Numerator}/{x.Rate.Denominator}）" : "无数据",
        }).ToList();
        var series = plot.Add.Bars(bars);
        series.ValueLabelStyle.FontSize = 16;
        series.ValueLabelStyle.FontName = font.Use();
        plot.Axes.Bottom.SetTicks([.. rates.Select((_, i) => (double)i)], [.. rates.Select(x => x.Name)]);
        plot.Axes.SetLimitsY(0, 120);
        plot.Axes.Left.Label.Text = "%";
        return Png(plot, 720, 420);
    }

    private static Plot NewPlot(ChartFont font, string title)
    {
        var name = font.Use();
        var plot = new Plot();
        plot.Title(title);
        plot.Font.Set(name);
        plot.Axes.Title.Label.FontSize = 20;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 15;
        plot.Axes.Left.TickLabelStyle.FontSize = 14;
        // Counts are whole: a small month (three demands) would otherwise be ticked 0.5, 1.0, 1.5 ….
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // The unit (个, %) is one character: upright it reads as a word, turned on its side the 个 looked like an arrow.
        plot.Axes.Left.Label.Rotation = 0;
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        // ScottPlot places tick labels by the default font's metrics; the CJK font's glyphs are taller, so the category
        // names would sit on the axis line and lose their lower part at the picture's edge. Move them below the line and
        // keep room for them.
        plot.Axes.Bottom.TickLabelStyle.OffsetY = 8;
        plot.Axes.Bottom.MinimumSize = 48;
        plot.Axes.Left.Label.OffsetX = 10;
        return plot;
    }

    private static ChartImage Png(Plot plot, int width, int height)
    {
        using var image = plot.GetImage(width, height);
        return new ChartImage(image.GetImageBytes(ImageFormat.Png), width, height);
    }
}
