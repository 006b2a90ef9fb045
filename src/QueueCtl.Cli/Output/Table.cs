using System.Text;

namespace QueueCtl.Cli.Output;

/// <summary>A plain, aligned text table: a header row in capitals, then one row per item.</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    /// <param name="headers">Column titles; a leading '>' right-aligns the column (numbers).</param>
    public Table(params string[] headers)
    {
        _rightAligned = headers.Select(h => h.StartsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
    }

    public int Count => _rows.Count;

    public Table Add(params object?[] cells)
    {
        if (cells.Length != _headers.Length) throw new ArgumentException($"expected {_headers.Length} cells, got {cells.Length}");
        _rows.Add(cells.Select(c => Text.OneLine(c?.ToString() ?? "")).ToArray());
        return this;
    }

    public void Write(TextWriter writer)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        WriteRow(writer, _headers, widths);
        foreach (var row in _rows) WriteRow(writer, row, widths);
    }

    private void WriteRow(TextWriter writer, string[] cells, int[] widths)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0) line.Append("  ");
            var last = i == cells.Length - 1;
            if (_rightAligned[i]) line.Append(cells[i].PadLeft(widths[i]));
            else line.Append(last ? cells[i] : cells[i].PadRight(widths[i]));
        }
        writer.WriteLine(line.ToString().TrimEnd());
    }
}
