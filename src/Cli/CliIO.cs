using System.Text;

namespace SweepCluster.Cli;

/// <summary>The streams a command reads and writes; injectable so tests can drive commands in-process.</summary>
public sealed record CliIO(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>
    /// What <see cref="Out"/> is connected to. Commands must ask this, not <see cref="Console"/>: <see cref="Out"/>
    /// is our own UTF-8 writer, so comparing it with <c>Console.Out</c> (as Spectre.Console does) always says "not a
    /// terminal". Defaults to <see cref="TerminalInfo.Plain"/>, which is right for tests and pipes.
    /// </summary>
    public TerminalInfo Terminal { get; init; } = TerminalInfo.Plain;

    /// <summary>
    /// Whether stdin is a terminal a person can answer a question on (`sweep delete` asks for confirmation).
    /// False by default: tests and pipes cannot answer, so commands that ask must be told (--yes) instead.
    /// </summary>
    public bool InputIsTerminal { get; init; }

    /// <summary>Standard streams as UTF-8 whatever the platform's console code page, since stdout carries protocol JSON.</summary>
    public static CliIO FromConsole()
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        return new(
            new StreamReader(Console.OpenStandardInput(), utf8),
            new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = true },
            new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true })
        {
            Terminal = TerminalInfo.Detect(),
            InputIsTerminal = !Console.IsInputRedirected,
        };
    }
}

/// <summary>
/// Whether stdout is a terminal, how wide it is and whether to colour it: decides between the live view
/// with colour and the plain, line-per-change output for pipes, files and logs.
/// </summary>
/// <param name="IsTerminal">stdout is a terminal (not redirected to a file or a pipe).</param>
/// <param name="Color">Colour and styles may be used: a terminal, NO_COLOR unset or empty, TERM not "dumb".</param>
/// <param name="WidthSource">The current width in columns; a function because a terminal can be resized while a live view runs.</param>
public sealed record TerminalInfo(bool IsTerminal, bool Color, Func<int> WidthSource)
{
    /// <summary>
    /// Width for output that goes to no terminal: wide enough that a row of parameters stays on one line
    /// for grep and logs. <c>COLUMNS</c>, when set, overrides it.
    /// </summary>
    public const int PlainWidth = 200;

    /// <summary>Not a terminal, no colour, <see cref="PlainWidth"/> columns.</summary>
    public static TerminalInfo Plain { get; } = new(false, false, () => PlainWidth);

    /// <summary>The width now, at least 20 columns.</summary>
    public int Width => Math.Max(20, WidthSource());

    /// <summary>A terminal of a fixed size (tests, or a terminal that does not report its size).</summary>
    public static TerminalInfo Fixed(int width, bool color = true) => new(true, color, () => width);

    /// <summary>The process's real stdout, from <see cref="Console.IsOutputRedirected"/>, the window size and the environment.</summary>
    public static TerminalInfo Detect() => Detect(Console.IsOutputRedirected, Environment.GetEnvironmentVariable, WindowWidth);

    /// <summary>
    /// <see cref="Detect()"/> with its inputs given, so tests can check the rules: NO_COLOR (any non-empty
    /// value, per no-color.org) and TERM=dumb turn colour off; a terminal's own width wins over COLUMNS
    /// (a shell that exports COLUMNS does not update it on resize), which sizes pipes and unsized terminals.
    /// </summary>
    public static TerminalInfo Detect(bool outputRedirected, Func<string, string?> environment, Func<int> windowWidth)
    {
        int? columns = int.TryParse(environment("COLUMNS"), out var c) && c > 0 ? c : null;
        if (outputRedirected) return new(false, false, () => columns ?? PlainWidth);
        var color = string.IsNullOrEmpty(environment("NO_COLOR")) && environment("TERM") is not "dumb";
        // A pseudo-terminal nobody sized reports 0 columns; 80 is what such terminals show.
        return new(true, color, () => windowWidth() is > 0 and var w ? w : columns ?? 80);
    }

    private static int WindowWidth()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
