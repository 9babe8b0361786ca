"""spc calibrate and spc optimize end to end on the default market, timed.

1. **A firm.**  The default market (``scenarios/baseline.toml``) over two years, half a
   year of it warm-up, at known values of the four parameters of the default priors
   (``scenarios/priors/default.toml``): its monthly NPS, defections, provider quits and
   complaints (``spc run``, then the ``periods`` table as a tidy CSV) are the firm's data.
2. **Calibrate.**  ``spc calibrate`` fits the four parameters of the default priors to
   those data on the same market (--population, --generations, --draws), on all cores.
   Printed: each parameter's truth, prior and posterior 90 % intervals, whether the
   interval covers the truth, the misfit check and the time.
3. **Optimize.**  ``spc optimize`` on the default market (same horizon) over staffing,
   reliability and the service model, profit as the objective and a retention floor as
   the constraint (--budget-runs, -r 3, 3 candidates certified by KN with indifference
   zone --delta and a first stage of --first-stage replications, within --certify-runs);
   printed: the chosen policy, the statement and the time.

Every command is the real ``spc`` in a subprocess; the results stay in --out.  Exits 0 if
both commands exit 0.

    python benchmarks/default_market_end_to_end.py [--out DIR] [--population 20]
        [--generations 2] [--draws 10] [--budget-runs 24] [--certify-runs 90] [--delta 10000]
        [--first-stage 10] [--workers 2] [--skip-calibrate]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "baseline.toml"
HORIZON = ["run.years=2", "run.warmup_years=0.5"]
#: the firm: the default priors' parameters at values inside their ranges
TRUTH = {"customers.complaint_propensity": 0.006, "customers.dissatisfaction_defection": 0.08,
         "providers.annual_quit_rate": 0.25, "organization.reliability": 0.91}
FIRM_SEED = 20261128  # the firm's own random numbers, not the calibration's
KPIS = ("nps", "defected", "quits", "complaints")
LEVERS = """description = "staffing, reliability and the service model of the default market"

[levers]
"providers.count" = { low = 7, high = 10 }
"organization.reliability" = { low = 0.88, high = 0.98, step = 0.02 }
"organization.service_model" = { choices = ["encounter", "relationship"] }
"""


def spc(*args: str) -> float:
    """Run ``spc ARGS``; its wall seconds (stops the script if it fails)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"spc {' '.join(args)}: exit code {done.returncode}")
    return time.perf_counter() - started


def sets(overrides: list[str]) -> list[str]:
    return [arg for o in overrides for arg in ("--set", o)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("end-to-end"))
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--budget-runs", type=int, default=24)
    parser.add_argument("--certify-runs", type=int, default=90)
    parser.add_argument("--delta", type=float, default=10_000.0,
                        help="KN's indifference zone, profit per year (default 10,000)")
    parser.add_argument("--first-stage", type=int, default=10,
                        help="KN's first stage per certified candidate (default 10; 3 is "
                             "the search's replications alone)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-calibrate", action="store_true",
                        help="steps 1 and 2 are left out: only spc optimize runs")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=False)
    executor = ["--executor", "processes", "--workers", str(args.workers)]

    if not args.skip_calibrate:
        calibrate(args, out, executor)
    optimize(args, out, executor)
    return 0


def calibrate(args: argparse.Namespace, out: Path, executor: list[str]) -> None:
    """Steps 1 and 2: a firm simulated at known values, and spc calibrate fitted to it."""
    firm = [*HORIZON, *(f"{k}={v!r}" for k, v in TRUTH.items()), f"run.seed={FIRM_SEED}"]
    spc("run", str(BASE), *sets(firm), "--out", str(out / "firm-run"), "--quiet")
    periods = pd.read_parquet(out / "firm-run" / "periods.parquet")
    periods = periods[(periods["unit"] == "all") & (periods["t_start_days"] >= 0.5 * 365)]
    data = periods.melt(id_vars="period", value_vars=list(KPIS), var_name="kpi")
    data.to_csv(out / "firm.csv", index=False)
    print(f"firm: {len(data)} observed points ({', '.join(KPIS)}, "
          f"{periods['period'].nunique()} months) at {TRUTH}")

    seconds = spc("calibrate", str(out / "firm.csv"), "--scenario", str(BASE), *sets(HORIZON),
                  "--population", str(args.population), "--generations",
                  str(args.generations), "--draws", str(args.draws), *executor,
                  "--out", str(out / "calibrate"), "--quiet")
    record = json.loads((out / "calibrate" / "manifest.json").read_text())["calibrate"]
    intervals = pd.read_parquet(out / "calibrate" / "intervals.parquet")
    print(f"calibrate: {seconds:.0f} s, {record['simulations']} simulations, "
          f"misfit: {record['misfit'] or 'none'}")
    for row in intervals.itertuples():
        truth = TRUTH[str(row.parameter)]
        covered = row.posterior_low <= truth <= row.posterior_high
        print(f"  {row.parameter}: truth {truth:g}, prior [{row.prior_low:.4g}, "
              f"{row.prior_high:.4g}], posterior [{row.posterior_low:.4g}, "
              f"{row.posterior_high:.4g}] {'covers' if covered else 'MISSES'} the truth")


def optimize(args: argparse.Namespace, out: Path, executor: list[str]) -> None:
    """Step 3: spc optimize over staffing, reliability and the service model."""
    (out / "levers.toml").write_text(LEVERS)
    seconds = spc("optimize", str(BASE), "--levers", str(out / "levers.toml"), *sets(HORIZON),
                  "-r", "3", "--budget-runs", str(args.budget_runs), "--candidates", "3",
                  "--certify-runs", str(args.certify_runs), "--delta", str(args.delta),
                  "--first-stage", str(args.first_stage),
                  "--constraint", "retention_rate>=0.5", *executor,
                  "--out", str(out / "optimize"), "--quiet")
    record = json.loads((out / "optimize" / "manifest.json").read_text())["optimize"]
    print(f"optimize: {seconds:.0f} s, {record['search_runs']} search and "
          f"{record['certify_runs']} certification runs; chosen {record['chosen_params']}; "
          f"{record['statement']}")


if __name__ == "__main__":
    sys.exit(main())
