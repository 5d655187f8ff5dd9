namespace SweepCluster.Search.Gp;

/// <summary>
/// Dense Cholesky factorisation and triangular solves on row-major arrays. Small and sequential on purpose:
/// the same inputs give the same bits on every run, which snapshot resume relies on, and GP matrices here are
/// at most a few hundred rows.
/// </summary>
internal static class Cholesky
{
    /// <summary>Factors the symmetric positive-definite a (n×n, lower triangle read) into L in place; false if not PD.</summary>
    public static bool Factor(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = j * n;
            var sum = a[rowJ + j];
            for (var k = 0; k < j; k++) sum -= a[rowJ + k] * a[rowJ + k];
            if (!(sum > 0)) return false;
            var diag = Math.Sqrt(sum);
            a[rowJ + j] = diag;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = i * n;
                var s = a[rowI + j];
                for (var k = 0; k < j; k++) s -= a[rowI + k] * a[rowJ + k];
                a[rowI + j] = s / diag;
            }
            for (var k = j + 1; k < n; k++) a[rowJ + k] = 0;
        }
        return true;
    }

    /// <summary>Solves L·x = b in place.</summary>
    public static void SolveLower(double[] l, int n, Span<double> b)
    {
        for (var i = 0; i < n; i++)
        {
            var row = l.AsSpan(i * n, i);
            var s = b[i];
            for (var k = 0; k < row.Length; k++) s -= row[k] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>Solves Lᵀ·x = b in place.</summary>
    public static void SolveUpper(double[] l, int n, Span<double> b)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }

    /// <summary>K⁻¹ from its factor L (full symmetric n×n result).</summary>
    public static double[] Inverse(double[] l, int n)
    {
        // M = L⁻¹ (lower), column by column of the identity; then K⁻¹ = Mᵀ·M.
        var m = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            m[i * n + i] = 1 / l[i * n + i];
            for (var j = 0; j < i; j++)
            {
                double s = 0;
                for (var k = j; k < i; k++) s -= l[i * n + k] * m[k * n + j];
                m[i * n + j] = s / l[i * n + i];
            }
        }
        var inv = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                double s = 0;
                for (var k = i; k < n; k++) s += m[k * n + i] * m[k * n + j];
                inv[i * n + j] = s;
                inv[j * n + i] = s;
            }
        }
        return inv;
    }
}
