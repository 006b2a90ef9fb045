using System.Globalization;

namespace QueueCtl.Bench;

/// <summary>Several runs of one figure: the median, with the smallest and largest seen.</summary>
internal sealed record Sample(double Median, double Min, double Max, int Runs)
{
    public static Sample Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no runs", nameof(values));
        var sorted = values.OrderBy(v => v).ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Sample(median, sorted[0], sorted[^1], sorted.Length);
    }

    public static Sample Measure(int runs, Func<double> run)
    {
        var values = new List<double>(runs);
        for (var i = 0; i < runs; i++) values.Add(run());
        return Of(values);
    }

    public static async Task<Sample> MeasureAsync(int runs, Func<Task<double>> run)
    {
        var values = new List<double>(runs);
        for (var i = 0; i < runs; i++) values.Add(await run().ConfigureAwait(false));
        return Of(values);
    }

    /// <summary>
    /// Runs a figure and its limit alternately: each run of <paramref name="run"/> follows a run of
    /// <paramref name="limit"/>, and each pair's ratio goes to <paramref name="ratios"/>. On a
    /// machine whose speed drifts, a pair sees the same machine; rows minutes apart do not.
    /// </summary>
    public static async Task<Sample> MeasurePairedAsync(int runs, Func<double> limit, Func<Task<double>> run, List<double> ratios)
    {
        var values = new List<double>(runs);
        for (var i = 0; i < runs; i++)
        {
            var floor = limit();
            var value = await run().ConfigureAwait(false);
            values.Add(value);
            ratios.Add(value / floor);
        }
        return Of(values);
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>How a figure is written: its unit and whether bigger is better.</summary>
internal sealed record Unit(string Name, bool HigherIsBetter, int Decimals)
{
    public static readonly Unit PerSecond = new("/s", true, 0);
    public static readonly Unit Ms = new("ms", false, 1);
    public static readonly Unit Percent = new("% core", false, 2);
    public static readonly Unit MiB = new("MiB", false, 1);

    public string Format(double value) => value.ToString(Decimals == 0 ? "N0" : "N" + Decimals, CultureInfo.InvariantCulture);
    public string Format(Sample s) => s.Runs == 1
        ? $"{Format(s.Median)} {Name}"
        : $"{Format(s.Median)} {Name} [{Format(s.Min)}–{Format(s.Max)}]";
}

/// <summary>A limit: something the machine itself can do, measured in the same run.</summary>
internal sealed record Limit(string Name, Sample Value, Unit Unit);

/// <summary>One line of the result table.</summary>
internal sealed record Row(string Group, string Figure, Unit Unit)
{
    public Sample? Value { get; init; }
    /// <summary>Why there is no value ("n/a (not available): ...").</summary>
    public string? Missing { get; init; }
    public Limit? Limit { get; init; }
    /// <summary>The target, as text, and the test that decides whether it is met.</summary>
    public string Target { get; init; } = "";
    public Func<Sample, double?, bool>? Met { get; init; }
    public string? Note { get; init; }
    /// <summary>The ratios of runs paired with a run of the limit just before each (see MeasurePairedAsync).</summary>
    public Sample? PairedRatio { get; init; }

    /// <summary>The median paired ratio where there is one, else the median over the limit row's median.</summary>
    public double? Ratio => PairedRatio is { } p ? p.Median
        : Value is { } v && Limit is { } l && l.Value.Median > 0 ? v.Median / l.Value.Median : null;

    public string MetText => Value is null || Met is null ? (Target.Length == 0 ? "" : "n/a") : Met(Value, Ratio) ? "yes" : "NO";
}
