using System.Globalization;
using System.Text;

namespace QueueCtl.Bench;

internal static class Table
{
    public static string Render(IReadOnlyList<Row> rows, bool markdown)
    {
        var header = new[] { "figure", "value (median [min–max])", "limit", "ratio", "target", "met?" };
        var lines = rows.Select(r => new[]
        {
            r.Figure,
            r.Value is { } v ? r.Unit.Format(v) : r.Missing ?? "n/a",
            r.Limit is { } l ? $"{l.Name}: {l.Unit.Format(l.Value.Median)} {l.Unit.Name}" : "",
            r.PairedRatio is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.Median:0.00}x [{p.Min:0.00}–{p.Max:0.00}] paired")
                : r.Ratio is { } ratio ? ratio.ToString(ratio >= 10 ? "0.0x" : "0.00x", CultureInfo.InvariantCulture) : "",
            r.Target,
            r.MetText,
        }).ToList();
        var sb = new StringBuilder();
        if (markdown)
        {
            sb.AppendLine("| " + string.Join(" | ", header) + " |");
            sb.AppendLine("|" + string.Concat(header.Select(_ => " --- |")));
            foreach (var line in lines) sb.AppendLine("| " + string.Join(" | ", line.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |");
        }
        else
        {
            var widths = header.Select((h, i) => Math.Max(h.Length, lines.Count == 0 ? 0 : lines.Max(l => l[i].Length))).ToArray();
            string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
            sb.AppendLine(Line(header));
            sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
            string? group = null;
            foreach (var (row, line) in rows.Zip(lines))
            {
                if (row.Group != group) { group = row.Group; sb.AppendLine($"[{group}]"); }
                sb.AppendLine(Line(line));
            }
        }
        var notes = rows.Where(r => r.Note is not null).ToList();
        if (notes.Count > 0)
        {
            sb.AppendLine();
            foreach (var r in notes) sb.AppendLine($"{(markdown ? "- " : "* ")}{r.Figure}: {r.Note}");
        }
        return sb.ToString();
    }
}
