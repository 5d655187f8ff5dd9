using System.Text;

namespace SweepCluster.Cli;

/// <summary>The streams a command reads and writes; injectable so tests can drive commands in-process.</summary>
public sealed record CliIO(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>Standard streams as UTF-8 whatever the platform's console code page, since stdout carries protocol JSON.</summary>
    public static CliIO FromConsole()
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        return new(
            new StreamReader(Console.OpenStandardInput(), utf8),
            new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = true },
            new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true });
    }
}
