using System.Text;

namespace EpdBatch.Planning.Reporting;

/// <summary>A plain-text table: a header row, a rule, and columns padded to their widest cell (text left, numbers right).</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string[] cells) => _rows.Add(cells);

    public void Write(StringBuilder text, string indent = "")
    {
        var widths = new int[headers.Length];
        for (var c = 0; c < headers.Length; c++)
        {
            widths[c] = headers[c].Length;
            foreach (var row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
            }
        }
        WriteRow(text, indent, headers, widths, numeric: false);
        text.Append(indent).Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        foreach (var row in _rows)
        {
            WriteRow(text, indent, row, widths, numeric: true);
        }
    }

    private static void WriteRow(StringBuilder text, string indent, string[] cells, int[] widths, bool numeric)
    {
        text.Append(indent);
        for (var c = 0; c < cells.Length; c++)
        {
            var right = numeric && c > 0 && LooksNumeric(cells[c]);
            var cell = right ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]);
            text.Append(c + 1 < cells.Length ? cell + "  " : cell.TrimEnd());
        }
        text.Append('\n');
    }

    private static bool LooksNumeric(string cell) => cell.Length > 0 && (char.IsDigit(cell[0]) || cell[0] is '-' or '+' or '.');
}
