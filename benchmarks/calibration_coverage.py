"""Coverage of spc calibrate's 90 % credible intervals over synthetic firms.

For firm j = 0 .. FIRMS-1: the true process reliability is drawn from the prior (uniform
on [0.75, 0.99], named stream ``coverage.truth`` of --seed, replication j), the model
itself simulates the firm at that value on its own root seed (--seed + 1 + j), its
monthly ``failures_process`` (three months of a tiny market: 40 customers, 2 providers)
are the data, and ``run_calibrate`` fits reliability from the prior.  Drawing the truth
from the prior is what makes a Bayesian 90 % interval cover it in 90 % of firms (Cook,
Gelman & Rubin 2006); ABC's tolerance widens the intervals, so the coverage may be higher.

Prints one line per firm (truth, interval, covered) and the coverage with its 95 % Wilson
interval; exits 0 if the 90 % target lies within that interval or below the coverage
(ABC errs on the wide side), 1 if the coverage is significantly below 90 %.

    python benchmarks/calibration_coverage.py [--firms 20] [--population 20]
        [--generations 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sim.experiment.calibrate import run_calibrate
from sim.experiment.jobs import jobs_for, run_job
from sim.experiment.observed import load_observed
from sim.scenario import load_scenario
from sim.scenario.priors import load_priors
from sim.streams import Streams

ROOT = Path(__file__).resolve().parent.parent
TINY = ["customers.initial=40", "providers.count=2", "run.years=0.25", "run.warmup_years=0"]
PRIOR = (0.75, 0.99)
TARGET = 0.90


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion (Wilson 1927)."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return centre - half, centre + half


def one_firm(j: int, seed: int, population: int, generations: int, folder: Path) -> tuple:
    base = load_scenario(ROOT / "scenarios" / "baseline.toml", TINY)
    truth = float(Streams(seed, j).generator("coverage.truth").uniform(*PRIOR))
    firm = base.with_overrides([f"organization.reliability={truth!r}",
                                f"run.seed={seed + 1 + j}"])
    rows = [r for r in run_job(jobs_for(firm, range(1))[0]).periods if r["unit"] == "all"]
    data = folder / f"firm{j}.csv"
    data.write_text("period,kpi,value\n" + "".join(
        f"{r['period']},failures_process,{r['failures_process']}\n" for r in rows))
    priors = folder / "priors.toml"
    priors.write_text('[priors."organization.reliability"]\ndistribution = "uniform"\n'
                      f"low = {PRIOR[0]}\nhigh = {PRIOR[1]}\n")
    exp = run_calibrate(base, load_priors(priors, base), load_observed(data, base),
                        folder / f"out{j}", population=population, generations=generations,
                        draws=2)
    row = exp.tables["intervals"].iloc[0]
    low, high = float(row["posterior_low"]), float(row["posterior_high"])
    return truth, low, high, low <= truth <= high


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--firms", type=int, default=20)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    hits = 0
    with tempfile.TemporaryDirectory() as tmp:
        for j in range(args.firms):
            truth, low, high, covered = one_firm(j, args.seed, args.population,
                                                 args.generations, Path(tmp))
            hits += covered
            print(f"firm {j:3d}: truth {truth:.4f}  90 % interval [{low:.4f}, {high:.4f}]"
                  f"  {'covered' if covered else 'MISSED'}", flush=True)
    low, high = wilson(hits, args.firms)
    print(f"coverage {hits}/{args.firms} = {hits / args.firms:.0%} "
          f"(95 % Wilson interval [{low:.0%}, {high:.0%}]); target {TARGET:.0%}")
    return 0 if high >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
