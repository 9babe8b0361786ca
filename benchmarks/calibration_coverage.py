"""Coverage of spc calibrate's 90 % credible intervals over synthetic firms.

For firm j = 0 .. FIRMS-1: the true value of each calibrated parameter is drawn from its
prior (named stream ``coverage.truth`` of --seed, replication j), the model itself
simulates the firm at those values on its own root seed (--seed + 1 + j), its monthly
KPIs are the data, and ``run_calibrate`` fits the parameters from the priors.  Drawing the
truth from the prior is what makes a Bayesian 90 % interval cover it in 90 % of firms
(Cook, Gelman & Rubin 2006); ABC's tolerance widens the intervals, so the coverage may be
higher.

Two presets:

``one``  process reliability (uniform on [0.75, 0.99]) from three months of
         ``failures_process`` in a tiny market (40 customers, 2 providers);
``two``  process reliability (uniform on [0.75, 0.99]) and the complaint propensity
         (log-uniform on [0.001, 0.02]) from twelve months of ``failures_process`` and
         ``complaints`` in a small market (300 customers, 2 providers, one year).

Prints one line per firm (truths, intervals, covered) and the coverage of each parameter
and of all intervals together, with 95 % Wilson intervals; exits 0 if the 90 % target lies
within the overall interval or below the coverage (ABC errs on the wide side), 1 if the
coverage is significantly below 90 %.

    python benchmarks/calibration_coverage.py [--preset one|two] [--firms 20]
        [--population 20] [--generations 2] [--workers 1] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from sim.experiment.calibrate import run_calibrate
from sim.experiment.executors import ProcessExecutor, SequentialExecutor
from sim.experiment.jobs import jobs_for, run_job
from sim.experiment.observed import load_observed
from sim.scenario import load_scenario
from sim.scenario.priors import load_priors
from sim.streams import Streams

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.90
#: preset: (market overrides, {parameter: (distribution, low, high)}, KPIs observed)
PRESETS: dict[str, tuple[list[str], dict[str, tuple[str, float, float]], list[str]]] = {
    "one": (["customers.initial=40", "providers.count=2", "run.years=0.25",
             "run.warmup_years=0"],
            {"organization.reliability": ("uniform", 0.75, 0.99)},
            ["failures_process"]),
    "two": (["customers.initial=300", "providers.count=2", "run.years=1",
             "run.warmup_years=0"],
            {"organization.reliability": ("uniform", 0.75, 0.99),
             "customers.complaint_propensity": ("loguniform", 0.001, 0.02)},
            ["failures_process", "complaints"]),
}


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (Wilson 1927)."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return centre - half, centre + half


def draw_truth(kind: str, low: float, high: float, u: float) -> float:
    """The value at quantile ``u`` of a uniform or log-uniform prior on [low, high]."""
    if kind == "loguniform":
        return math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    return low + u * (high - low)


def priors_text(priors: dict[str, tuple[str, float, float]]) -> str:
    return "".join(f'[priors."{path}"]\ndistribution = "{kind}"\nlow = {low}\nhigh = {high}\n'
                   for path, (kind, low, high) in priors.items())


def one_firm(j: int, seed: int, preset: str, population: int, generations: int,
             workers: int, folder: Path) -> list[tuple[str, float, float, float, bool]]:
    market, priors, kpis = PRESETS[preset]
    base = load_scenario(ROOT / "scenarios" / "baseline.toml", market)
    u = Streams(seed, j).generator("coverage.truth").uniform(size=len(priors))
    truths = {path: draw_truth(*spec, float(q)) for (path, spec), q in
              zip(priors.items(), u, strict=True)}
    firm = base.with_overrides([*(f"{p}={v!r}" for p, v in truths.items()),
                                f"run.seed={seed + 1 + j}"])
    rows = [r for r in run_job(jobs_for(firm, range(1))[0]).periods if r["unit"] == "all"]
    data = folder / f"firm{j}.csv"
    data.write_text("period,kpi,value\n" + "".join(
        f"{r['period']},{k},{r[k]}\n" for r in rows for k in kpis))
    priors_file = folder / "priors.toml"
    priors_file.write_text(priors_text(priors))
    executor = ProcessExecutor(workers) if workers > 1 else SequentialExecutor()
    exp = run_calibrate(base, load_priors(priors_file, base), load_observed(data, base),
                        folder / f"out{j}", executor, population=population,
                        generations=generations, draws=2)
    out = []
    for row in exp.tables["intervals"].itertuples():
        truth = truths[str(row.parameter)]
        low, high = float(row.posterior_low), float(row.posterior_high)
        out.append((str(row.parameter), truth, low, high, low <= truth <= high))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="one")
    parser.add_argument("--firms", type=int, default=20)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    hits: dict[str, int] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for j in range(args.firms):
            rows = one_firm(j, args.seed, args.preset, args.population, args.generations,
                            args.workers, Path(tmp))
            for path, truth, low, high, covered in rows:
                hits[path] = hits.get(path, 0) + covered
                print(f"firm {j:3d}: {path} truth {truth:.4g}  90 % interval "
                      f"[{low:.4g}, {high:.4g}]  {'covered' if covered else 'MISSED'}",
                      flush=True)
    for path, hit in hits.items():
        low, high = wilson(hit, args.firms)
        print(f"{path}: coverage {hit}/{args.firms} = {hit / args.firms:.0%} "
              f"(95 % Wilson interval [{low:.0%}, {high:.0%}])")
    total, n = sum(hits.values()), args.firms * len(hits)
    low, high = wilson(total, n)
    print(f"all intervals: coverage {total}/{n} = {total / n:.0%} (95 % Wilson interval "
          f"[{low:.0%}, {high:.0%}]); target {TARGET:.0%}; "
          f"{time.perf_counter() - started:.0f} s with {args.workers} worker(s)")
    return 0 if high >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
