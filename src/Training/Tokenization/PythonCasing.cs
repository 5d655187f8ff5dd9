using System.Globalization;
using System.Text;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// Python's <c>str.lower()</c> (CPython 3, Objects/unicodeobject.c <c>do_lower</c>), which Hugging Face's
/// BERT BasicTokenizer and Google's original BERT tokenization.py apply to every word. It differs from
/// .NET's <see cref="string.ToLowerInvariant()"/> in two ways (checked against CPython 3.11 over every
/// assigned code point of Unicode 14): U+0130 İ becomes "i" + U+0307 (SpecialCasing.txt's unconditional
/// full mapping; .NET leaves İ unchanged), and U+03A3 Σ becomes final ς where the Final_Sigma condition
/// holds (a cased letter before it, none after it, case-ignorable characters skipped both ways).
/// </summary>
public static class PythonCasing
{
    /// <summary>The text as CPython's <c>str.lower()</c> gives it.</summary>
    public static string Lower(string text)
    {
        var runes = new List<Rune>(text.Length);
        foreach (var rune in text.EnumerateRunes()) runes.Add(rune);
        var lower = new StringBuilder(text.Length + 4);
        for (var i = 0; i < runes.Count; i++)
        {
            var rune = runes[i];
            if (rune.Value == 0x130) lower.Append("i\u0307");
            else if (rune.Value == 0x3A3) lower.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else lower.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        return lower.ToString();
    }

    // CPython's handle_capital_sigma: \p{Cased} \p{Case_Ignorable}* Σ !(\p{Case_Ignorable}* \p{Cased}).
    private static bool IsFinalSigma(List<Rune> runes, int at)
    {
        var before = at - 1;
        while (before >= 0 && IsCaseIgnorable(runes[before])) before--;
        if (before < 0 || !IsCased(runes[before])) return false;
        var after = at + 1;
        while (after < runes.Count && IsCaseIgnorable(runes[after])) after++;
        return after == runes.Count || !IsCased(runes[after]);
    }

    /// <summary>
    /// Unicode's Case_Ignorable (DerivedCoreProperties.txt): Mn, Me, Cf, Lm, Sk, and Word_Break
    /// MidLetter, MidNumLet and Single_Quote (listed here, as .NET exposes no word-break property).
    /// </summary>
    internal static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol ||
        rune.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027
            or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;

    /// <summary>
    /// Unicode's Cased: Lu, Ll, Lt, Other_Lowercase and Other_Uppercase. The Other_ characters that have a case
    /// mapping (Ⓐ, Ⅰ) are found by it; those without one (ª, º, the modifier and subscript letters) are Lo or Lm
    /// or So (the squared, circled and negative Latin capitals) and listed, except the Lm ones, which are case-ignorable and so never decide the sigma's form.
    /// </summary>
    internal static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter ||
        Rune.ToLowerInvariant(rune) != rune || Rune.ToUpperInvariant(rune) != rune ||
        rune.Value is 0xAA or 0xBA or >= 0x1F130 and <= 0x1F149 or >= 0x1F150 and <= 0x1F169 or >= 0x1F170 and <= 0x1F189;
}
