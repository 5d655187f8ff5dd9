#!/usr/bin/python3
"""A textbook GP-EI loop, for comparison with our `gp` sampler on the suite's box functions (issue 17).

Optuna 3.1 has no GP sampler and no GP-BO package is installable here, so this is the independent reference: the
loop that scikit-optimize's `gp_minimize` runs, written on scikit-learn (Debian's python3-sklearn) and scipy:
- inputs scaled to the unit cube; 6 start-up points from scipy's scrambled Halton sequence (as our gp);
- GaussianProcessRegressor, kernel ConstantKernel(1, (1e-2, 1e3)) × Matern(ν = 5/2, ARD, ℓ in (1e-2, 1e2)) +
  WhiteKernel (noise in (1e-10, 1e-1)), normalize_y, hyperparameters by marginal likelihood with 2 restarts
  (scikit-optimize's defaults);
- expected improvement over the lowest observed value, maximised over 10,000 uniform points and then by L-BFGS-B
  from the best 5 (scikit-optimize's acq_optimizer="lbfgs").
No priors and no output warping: this is plain GP-EI, not a copy of ours. Noisy functions: the loop sees the noisy
value, the metric is the noiseless value of the incumbent (the lowest noisy observation), as in optuna_reference.py.
mixed_fine_tune and conditional_mixed are left out (categorical and conditional parameters have no textbook encoding).

    /usr/bin/python3 bench/Hpo/gp_reference.py --seeds 0-19 --trials 25 --jobs 2 > /tmp/gp-ref.csv
    /usr/bin/python3 bench/Hpo/gp_reference.py --summarize /tmp/gp-ref.csv

Prints CSV rows: function, seed, best after 10, after 25 (and after 50 when --trials ≥ 50).
"""
import argparse
import csv
import math
import multiprocessing
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from optuna_reference import (ackley, branin, dixon_price, griewank, hartmann6, levy, parse_seeds,  # noqa: E402
                              rastrigin, rosenbrock, schwefel, std_normal, step, styblinski_tang)

# name: (formula, bounds, noise scale, noise stream), as optuna_reference.FUNCTIONS defines them.
BOXES = {
    "branin": (branin, [(-5, 10), (0, 15)], 0.0, 0),
    "hartmann6": (hartmann6, [(0, 1)] * 6, 0.0, 0),
    "rosenbrock5": (rosenbrock, [(-5, 10)] * 5, 0.0, 0),
    "ackley5": (ackley, [(-32.768, 32.768)] * 5, 0.0, 0),
    "levy4": (levy, [(-10, 10)] * 4, 0.0, 0),
    "hartmann6_noisy": (hartmann6, [(0, 1)] * 6, 0.1, 1),
    "rastrigin6": (rastrigin, [(-5.12, 5.12)] * 6, 0.0, 0),
    "schwefel4": (schwefel, [(-500, 500)] * 4, 0.0, 0),
    "griewank8": (griewank, [(-600, 600)] * 8, 0.0, 0),
    "step5": (step, [(-5.12, 5.12)] * 5, 0.0, 0),
    "dixon_price6": (dixon_price, [(-10, 10)] * 6, 0.0, 0),
    "styblinski_tang10": (styblinski_tang, [(-5, 5)] * 10, 0.0, 0),
    "styblinski_tang4_noisy": (styblinski_tang, [(-5, 5)] * 4, 5.0, 3),
}


def run_one(job):
    name, seed, trials = job
    import numpy as np
    from scipy.optimize import minimize
    from scipy.stats import norm, qmc
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    warnings.simplefilter("ignore")

    formula, bounds, scale, stream = BOXES[name]
    d = len(bounds)
    lo = np.array([b[0] for b in bounds], dtype=float)
    hi = np.array([b[1] for b in bounds], dtype=float)
    rng = np.random.default_rng(seed)
    start = qmc.Halton(d, scramble=True, seed=seed).random(6)
    u_seen, y_seen, best_at = [], [], []
    best_observed, incumbent = math.inf, math.inf

    def expected_improvement(gp, u, best):
        mean, std = gp.predict(np.atleast_2d(u), return_std=True)
        std = np.maximum(std, 1e-12)
        z = (best - mean) / std
        return (best - mean) * norm.cdf(z) + std * norm.pdf(z)

    for i in range(trials):
        if i < len(start):
            u = start[i]
        else:
            kernel = (ConstantKernel(1.0, (1e-2, 1e3)) * Matern(np.ones(d), [(1e-2, 1e2)] * d, nu=2.5)
                      + WhiteKernel(1e-5, (1e-10, 1e-1)))
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                          random_state=int(rng.integers(2**31)))
            gp.fit(np.array(u_seen), np.array(y_seen))
            best = min(y_seen)
            candidates = rng.random((10000, d))
            ei = expected_improvement(gp, candidates, best)
            u = candidates[int(np.argmax(ei))]
            top = candidates[np.argsort(-ei)[:5]]
            best_ei = ei.max()
            for x0 in top:
                result = minimize(lambda v: -expected_improvement(gp, v, best)[0], x0, method="L-BFGS-B",
                                  bounds=[(0.0, 1.0)] * d)
                if -result.fun > best_ei:
                    best_ei, u = -result.fun, np.clip(result.x, 0.0, 1.0)
        x = lo + u * (hi - lo)
        true_value = formula(list(x))
        observed = true_value + (scale * std_normal(stream, seed, i) if scale else 0.0)
        u_seen.append(np.array(u))
        y_seen.append(observed)
        if observed < best_observed:
            best_observed, incumbent = observed, true_value
        best_at.append(incumbent)
    pick = lambda n: repr(best_at[n - 1]) if n <= trials else ""
    return [name, seed, pick(10), pick(25), pick(50)]


def summarize(path):
    rows = {}
    with open(path) as f:
        for r in csv.reader(f):
            rows.setdefault(r[0], []).append(r)
    print("| function | GP-EI (scikit-learn) @10 | @25 | @50 | seeds |")
    print("|---|---|---|---|---|")
    for name in BOXES:
        if name not in rows:
            continue
        cells = []
        for k in (2, 3, 4):
            values = [float(r[k]) for r in rows[name] if r[k]]
            if not values:
                cells.append("")
                continue
            mean = sum(values) / len(values)
            se = (sum((v - mean) ** 2 for v in values) / (len(values) - 1) / len(values)) ** 0.5 if len(values) > 1 else 0
            cells.append(f"{mean:.4g} ± {se:.2g}")
        print(f"| {name} | {' | '.join(cells)} | {len(rows[name])} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--functions", default=",".join(BOXES))
    parser.add_argument("--seeds", default="0-19")
    parser.add_argument("--trials", type=int, default=25)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--summarize", metavar="CSV")
    args = parser.parse_args()
    if args.summarize:
        summarize(args.summarize)
        return
    jobs = [(f, s, args.trials) for f in args.functions.split(",") for s in parse_seeds(args.seeds)]
    out = csv.writer(sys.stdout)
    with multiprocessing.Pool(args.jobs) as pool:
        for done, row in enumerate(pool.imap(run_one, jobs), 1):
            out.writerow(row)
            sys.stdout.flush()
            print(f"{done}/{len(jobs)} {row[0]} seed {row[1]}: best@25 {row[3]}", file=sys.stderr)


if __name__ == "__main__":
    main()
