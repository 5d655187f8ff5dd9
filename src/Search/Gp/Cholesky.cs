using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;

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
            var rowJSpan = a.AsSpan(rowJ, j);
            var sum = a[rowJ + j] - Dot(rowJSpan, rowJSpan);
            if (!(sum > 0)) return false;
            var diag = Math.Sqrt(sum);
            a[rowJ + j] = diag;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = i * n;
                a[rowI + j] = (a[rowI + j] - Dot(a.AsSpan(rowI, j), rowJSpan)) / diag;
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
            b[i] = (b[i] - Dot(l.AsSpan(i * n, i), b[..i])) / l[i * n + i];
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
        // M = L⁻¹ (lower) row by row: row i = (eᵢ − Σ_{k<i} L[i,k]·row k) / L[i,i]; then K⁻¹ = Mᵀ·M as a sum of
        // outer products of M's rows. Row-wise, so the inner loops run over contiguous memory.
        var m = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var rowI = m.AsSpan(i * n, i + 1);
            for (var k = 0; k < i; k++)
            {
                var f = l[i * n + k];
                if (f != 0) Axpy(-f, m.AsSpan(k * n, k + 1), rowI);
            }
            rowI[i] += 1;
            var inv = 1 / l[i * n + i];
            for (var j = 0; j <= i; j++) rowI[j] *= inv;
        }
        var result = new double[n * n];
        for (var k = 0; k < n; k++)
        {
            var rowK = m.AsSpan(k * n, k + 1);
            for (var i = 0; i <= k; i++)
            {
                var f = rowK[i];
                if (f != 0) Axpy(f, rowK[..(i + 1)], result.AsSpan(i * n, i + 1));
            }
        }
        for (var i = 0; i < n; i++)
            for (var j = 0; j < i; j++) result[j * n + i] = result[i * n + j];
        return result;
    }

    /// <summary>
    /// Σ a[k]·b[k], in a fixed order: four lanes (Vector256 on every machine, emulated where AVX is missing, so
    /// the rounding does not depend on the CPU's vector width), then the tail. Snapshot resume relies on that.
    /// </summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var k = 0;
        double s = 0;
        if (a.Length >= 8)
        {
            var va = MemoryMarshal.Cast<double, Vector256<double>>(a);
            var vb = MemoryMarshal.Cast<double, Vector256<double>>(b[..a.Length]);
            var acc = Vector256<double>.Zero;
            for (var v = 0; v < va.Length; v++) acc += va[v] * vb[v];
            s = Vector256.Sum(acc);
            k = va.Length * 4;
        }
        for (; k < a.Length; k++) s += a[k] * b[k];
        return s;
    }

    /// <summary>y += f·x.</summary>
    public static void Axpy(double f, ReadOnlySpan<double> x, Span<double> y)
    {
        var k = 0;
        if (x.Length >= 4)
        {
            var vx = MemoryMarshal.Cast<double, Vector256<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector256<double>>(y[..x.Length]);
            var vf = Vector256.Create(f);
            for (var v = 0; v < vx.Length; v++) vy[v] += vf * vx[v];
            k = vx.Length * 4;
        }
        for (; k < x.Length; k++) y[k] += f * x[k];
    }
}
