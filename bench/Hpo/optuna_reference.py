#!/usr/bin/python3
"""Optuna reference figures for the HPO suite (SUITE.md in shared/bench/hpo plus bench/Hpo/SUITE-EXTRA.md).

Same protocol as shared/bench/hpo/REFERENCE.md: TPESampler(seed=s), TPESampler(multivariate=True, seed=s),
RandomSampler(seed=s); in-memory storage; sequential ask/tell; direction="minimize"; seeds 0..19, 100 trials.
Noisy functions: the optimiser is told the noisy value, the metric is the noiseless value of the incumbent
(the trial with the lowest noisy observation so far).

Run with Debian's interpreter (python3-optuna 3.1.0), not a pyenv python3 that may come first on PATH:

    /usr/bin/python3 bench/Hpo/optuna_reference.py run --seeds 0-19 --trials 100 --jobs 2 --out /tmp/optuna-ref.csv
    /usr/bin/python3 bench/Hpo/optuna_reference.py summarize /tmp/optuna-ref.csv > bench/Hpo/optuna-reference-extra.md
    /usr/bin/python3 bench/Hpo/optuna_reference.py csharp /tmp/optuna-ref.csv > bench/Hpo/Suite/OptunaExtraRows.g.txt

`run` writes one CSV row per (function, sampler, seed): best_so_far after 25, 50 and 100 trials and the
mean ask+suggest+tell milliseconds over trial indices 90..99 (framework time, objective excluded).
"""
import argparse
import csv
import math
import multiprocessing
import sys
import time

MASK = (1 << 64) - 1


# ---------------------------------------------------------------- portable noise (SUITE.md §4)
def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def std_normal(stream, seed, i):
    key = (stream * 0x100000001B3 + seed * 1_000_003 + i) & MASK
    a = splitmix64(key)
    b = splitmix64(a)
    u1 = ((a >> 11) + 1) / 2.0**53
    u2 = ((b >> 11) + 1) / 2.0**53
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


# ---------------------------------------------------------------- SUITE.md functions
def branin(x):
    a, b, c, r, s, t = 1.0, 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1e-4 * v for v in row] for row in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                            [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]


def hartmann6(x):
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j]) ** 2 for j in range(6))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def ackley(x):
    n = len(x)
    return (-20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / n))
            - math.exp(sum(math.cos(2 * math.pi * v) for v in x) / n) + 20 + math.e)


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(math.pi * w[0]) ** 2
    for i in range(len(x) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


# ---------------------------------------------------------------- SUITE-EXTRA.md functions
def rastrigin(x):
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


def schwefel(x):
    return 418.9828872724338 * len(x) - sum(v * math.sin(math.sqrt(abs(v))) for v in x)


def griewank(x):
    p = 1.0
    for i, v in enumerate(x):
        p *= math.cos(v / math.sqrt(i + 1))
    return 1 + sum(v * v for v in x) / 4000 - p


def step(x):
    return float(sum(math.floor(v + 0.5) ** 2 for v in x))


def dixon_price(x):
    return (x[0] - 1) ** 2 + sum((i + 1) * (2 * x[i] ** 2 - x[i - 1]) ** 2 for i in range(1, len(x)))


def styblinski_tang(x):
    return 0.5 * sum(v**4 - 16 * v * v + 5 * v for v in x)


ST_MIN_1D = -39.16616570377142  # at x = -2.903534027771178


def box(formula, bounds):
    def objective(trial):
        x = [trial.suggest_float(f"x{j}", lo, hi) for j, (lo, hi) in enumerate(bounds)]
        return formula(x), x
    return objective


def mixed_fine_tune(trial):
    lr = trial.suggest_float("lr", 1e-6, 1e-3, log=True)
    d = trial.suggest_float("dropout", 0.0, 0.5)
    e = trial.suggest_int("epochs", 2, 30)
    bs = trial.suggest_categorical("batch_size", [8, 16, 32, 64])
    lwd = trial.suggest_categorical("layerwise_decay", [0.85, 0.9, 0.95, 1.0])
    w = trial.suggest_float("warmup_ratio", 0.0, 0.5)
    u = -4.6 + 0.3 * math.log2(bs / 16) + 0.8 * (1 - lwd)
    delta = math.log10(lr) - u
    lr_term = 0.06 * delta**2 + 0.05 * max(delta, 0.0) ** 3
    e_star = 8 + 20 * (d - 0.1)
    ep_term = 0.04 * math.log(e / e_star) ** 2
    bs_pen = {8: 0.012, 16: 0.0, 32: 0.004, 64: 0.015}[bs]
    lwd_pen = {0.85: 0.010, 0.9: 0.003, 0.95: 0.0, 1.0: 0.008}[lwd]
    return 0.05 + lr_term + 0.3 * (d - 0.1) ** 2 + ep_term + 0.25 * (w - 0.08) ** 2 + bs_pen + lwd_pen, None


def conditional_mixed(trial):
    """SUITE-EXTRA.md: a model family chooses which parameters exist (f* = 0.08, mlp branch)."""
    model = trial.suggest_categorical("model", ["linear", "tree", "mlp"])
    if model == "linear":
        l2 = trial.suggest_float("l2", 1e-6, 1e2, log=True)
        l1_ratio = trial.suggest_float("l1_ratio", 0.0, 1.0)
        return 0.20 + 0.004 * (math.log10(l2) + 2) ** 2 + 0.05 * (l1_ratio - 0.3) ** 2, None
    if model == "tree":
        depth = trial.suggest_int("max_depth", 2, 16)
        eta = trial.suggest_float("tree_lr", 1e-3, 1.0, log=True)
        subsample = trial.suggest_float("subsample", 0.5, 1.0, step=0.05)
        return 0.12 + 0.002 * (depth - 7) ** 2 + 0.03 * (math.log10(eta) + 1.3) ** 2 + 0.2 * (subsample - 0.8) ** 2, None
    width = trial.suggest_int("width", 16, 1024, log=True)
    layers = trial.suggest_int("layers", 1, 4)
    lr = trial.suggest_float("mlp_lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.6)
    u_star = -3.2 - 0.25 * (math.log2(width) - 8)  # wider nets want a smaller learning rate
    return (0.08 + 0.004 * (math.log2(width) - 8) ** 2 + 0.01 * (layers - 3) ** 2
            + 0.03 * (math.log10(lr) - u_star) ** 2 + 0.15 * (dropout - 0.2) ** 2), None


def noisy(name, base, bounds, scale, stream):
    inner = box(base, bounds)

    def objective(trial, seed, i):
        value, x = inner(trial)
        return value, value + scale * std_normal(stream, seed, i)
    objective.noisy = True
    return objective


FUNCTIONS = {
    # SUITE.md (shared/bench/hpo), re-measured here to get standard errors
    "branin": box(branin, [(-5, 10), (0, 15)]),
    "hartmann6": box(hartmann6, [(0, 1)] * 6),
    "rosenbrock5": box(rosenbrock, [(-5, 10)] * 5),
    "ackley5": box(ackley, [(-32.768, 32.768)] * 5),
    "levy4": box(levy, [(-10, 10)] * 4),
    "hartmann6_noisy": noisy("hartmann6_noisy", hartmann6, [(0, 1)] * 6, 0.1, 1),
    "mixed_fine_tune": mixed_fine_tune,
    # SUITE-EXTRA.md
    "rastrigin6": box(rastrigin, [(-5.12, 5.12)] * 6),
    "schwefel4": box(schwefel, [(-500, 500)] * 4),
    "griewank8": box(griewank, [(-600, 600)] * 8),
    "step5": box(step, [(-5.12, 5.12)] * 5),
    "dixon_price6": box(dixon_price, [(-10, 10)] * 6),
    "styblinski_tang10": box(styblinski_tang, [(-5, 5)] * 10),
    "styblinski_tang4_noisy": noisy("styblinski_tang4_noisy", styblinski_tang, [(-5, 5)] * 4, 5.0, 3),
    "conditional_mixed": conditional_mixed,
}
EXTRA = ["rastrigin6", "schwefel4", "griewank8", "step5", "dixon_price6", "styblinski_tang10",
         "styblinski_tang4_noisy", "conditional_mixed"]
SAMPLERS = ["tpe", "tpe_mv", "random"]


def make_sampler(name, seed):
    import optuna
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "tpe_mv":
        return optuna.samplers.TPESampler(multivariate=True, seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def run_one(job):
    function, sampler, seed, trials = job
    import warnings
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    objective = FUNCTIONS[function]
    is_noisy = getattr(objective, "noisy", False)
    study = optuna.create_study(direction="minimize", sampler=make_sampler(sampler, seed))
    best_observed, incumbent = math.inf, math.inf
    best_at, late_ms = [], []
    for i in range(trials):
        t0 = time.perf_counter()
        trial = study.ask()
        t_obj = time.perf_counter()
        if is_noisy:
            true_value, observed = objective(trial, seed, i)
        else:
            true_value, _ = objective(trial)
            observed = true_value
        t_tell = time.perf_counter()
        study.tell(trial, observed)
        t1 = time.perf_counter()
        # suggest_* runs inside the objective; its arithmetic is negligible next to the sampler's work
        if 90 <= i < 100:
            late_ms.append(1000 * ((t1 - t0)))
        if observed < best_observed:
            best_observed, incumbent = observed, true_value
        best_at.append(incumbent)
    pick = lambda n: best_at[n - 1] if n <= trials else float("nan")
    ms = sum(late_ms) / len(late_ms) if late_ms else float("nan")
    return [function, sampler, seed, repr(pick(25)), repr(pick(50)), repr(pick(100)), f"{ms:.3f}"]


def parse_seeds(text):
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(v) for v in text.split(",")]


def cmd_run(args):
    functions = args.functions.split(",") if args.functions else EXTRA
    samplers = args.samplers.split(",")
    jobs = [(f, s, seed, args.trials) for f in functions for s in samplers for seed in parse_seeds(args.seeds)]
    with open(args.out, "a", newline="") as fh:
        writer = csv.writer(fh)
        if fh.tell() == 0:
            writer.writerow(["function", "sampler", "seed", "best25", "best50", "best100", "ask_tell_ms_90_99"])
        with multiprocessing.Pool(args.jobs) as pool:
            for row in pool.imap(run_one, jobs):
                writer.writerow(row)
                fh.flush()
                print(" ".join(map(str, row[:3])), row[5], file=sys.stderr)


def load(path):
    table = {}
    with open(path) as fh:
        for row in csv.DictReader(fh):
            table.setdefault((row["function"], row["sampler"]), {})[int(row["seed"])] = row
    return table


def stats(values):
    n = len(values)
    mean = sum(values) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else float("nan")
    s = sorted(values)

    def q(p):  # numpy's default (linear) percentile
        k = (n - 1) * p
        lo, hi = math.floor(k), math.ceil(k)
        return s[lo] + (s[hi] - s[lo]) * (k - lo)
    return mean, se, q(0.5), q(0.25), q(0.75)


def ordered_keys(table):
    order = list(FUNCTIONS)
    return sorted(table, key=lambda k: (order.index(k[0]), SAMPLERS.index(k[1])))


def cmd_summarize(args):
    table = load(args.csv)
    print("| function | sampler | seeds | mean ± SE after 25 | after 50 | after 100 | median [IQR] after 100 | ask+tell ms @90-99 |")
    print("|---|---|---|---|---|---|---|---|")
    for key in ordered_keys(table):
        rows = table[key]
        cells = []
        for col in ("best25", "best50", "best100"):
            m, se, *_ = stats([float(r[col]) for r in rows.values()])
            cells.append(f"{m:.4g} ± {se:.2g}")
        m, se, med, q1, q3 = stats([float(r["best100"]) for r in rows.values()])
        ms = sum(float(r["ask_tell_ms_90_99"]) for r in rows.values()) / len(rows)
        print(f"| {key[0]} | {key[1]} | {len(rows)} | {' | '.join(cells)} | {med:.4g} [{q1:.4g}, {q3:.4g}] | {ms:.2f} |")


def cmd_csharp(args):
    table = load(args.csv)
    for key in ordered_keys(table):
        rows = table[key]
        parts = []
        for col in ("best25", "best50", "best100"):
            m, se, med, q1, q3 = stats([float(r[col]) for r in rows.values()])
            parts.append(f"new({m!r}, {se!r}, {med!r}, {q1!r}, {q3!r})")
        ms = sum(float(r["ask_tell_ms_90_99"]) for r in rows.values()) / len(rows)
        print(f'            [("{key[0]}", "{key[1]}")] = new({len(rows)}, {", ".join(parts)}, {ms:.3f}),')


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--seeds", default="0-19")
    run.add_argument("--trials", type=int, default=100)
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--functions", default="")
    run.add_argument("--samplers", default="tpe,tpe_mv,random")
    run.add_argument("--out", required=True)
    s = sub.add_parser("summarize")
    s.add_argument("csv")
    c = sub.add_parser("csharp")
    c.add_argument("csv")
    args = parser.parse_args()
    {"run": cmd_run, "summarize": cmd_summarize, "csharp": cmd_csharp}[args.cmd](args)


if __name__ == "__main__":
    main()
