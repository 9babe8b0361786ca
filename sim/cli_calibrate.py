"""``spc calibrate``: fit a scenario's uncertain parameters to a firm's data (ABC-SMC)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim import cli_args
from sim.cli_experiment import (
    SET_HELP,
    _executor,
    add_execution_options,
    default_out,
    files_only,
    json_result,
    report_failures,
    set_and_seed,
)
from sim.scenario.library import locate

DEFAULT_PRIORS = Path("scenarios/priors/default.toml")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.experiment.calibrate import CALIBRATED, run_calibrate
    from sim.experiment.observed import load_observed
    from sim.scenario import load_scenario
    from sim.scenario.priors import load_priors

    base = load_scenario(locate(Path(args.scenario)), set_and_seed(args))
    priors = load_priors(locate(Path(args.priors)), base)
    observed = load_observed(args.data, base)
    out = Path(args.out) if args.out else default_out(f"calibrate-{base.name}")
    exp = run_calibrate(base, priors, observed, out, _executor(args),
                        population=args.population, generations=args.generations,
                        draws=args.draws, resume=args.resume, force=args.force,
                        fmt=args.format, quiet=args.quiet)
    record = exp.manifest["calibrate"]
    figures = [] if args.no_figure else _figure(out)
    if args.json:
        print(json_result(base.name, record, "intervals", exp.tables["intervals"],
                          out / CALIBRATED, figures))
    elif not args.quiet:
        print_calibration(record, exp.tables["intervals"], out)
        for path in figures:
            print(f"posterior-predictive figure: {path}")
    return report_failures(exp.failures, out)


def _figure(out: Path) -> list[Path]:
    """The posterior-predictive figure (analysis.plots.calibration), as PNG in
    ``out/figures``."""
    files_only()
    from analysis.plots.calibration import write_calibration

    return write_calibration(out)


def print_calibration(record: dict[str, Any], intervals: Any, out: Path) -> None:
    """The intervals, what the data could not identify, and the misfit warning."""
    print(f"Calibrated {len(intervals)} parameter(s) to {record['points']} observed points "
          f"({', '.join(record['kpis'])}): {record['generations']} ABC-SMC generations of "
          f"{record['population']}, {record['simulations']} simulations")
    width = max(len("parameter"), *(len(p) for p in intervals["parameter"]))
    print(f"  {'parameter':<{width}}  {'prior 90 %':>22}  {'posterior 90 %':>22}"
          f"  {'median':>10}  {'narrowed':>8}")
    for row in intervals.to_dict("records"):
        prior = f"[{row['prior_low']:.4g}, {row['prior_high']:.4g}]"
        post = f"[{row['posterior_low']:.4g}, {row['posterior_high']:.4g}]"
        flag = "" if row["identified"] else "  not identified"
        print(f"  {row['parameter']:<{width}}  {prior:>22}  {post:>22}"
              f"  {row['posterior_median']:>10.4g}  {row['narrowing']:>8.0%}{flag}")
    print()
    if record["unidentified"]:
        print(f"The data cannot identify {', '.join(record['unidentified'])}: their 90 % "
              f"intervals narrowed by less than {record['identified_narrowing']:.0%}; the "
              "posterior is mostly the prior there.")
    else:
        print("The data narrowed every parameter's 90 % interval by at least "
              f"{record['identified_narrowing']:.0%}.")
    print(f"Observed points outside the posterior-predictive 90 % band: "
          f"{record['outside_90_share']:.0%}; outside the 99 % band: "
          f"{record['outside_99_share']:.0%}; predictive p-value of the distance "
          f"{record['predictive_p_value']:.2f}")
    if record["misfit"]:
        print(f"warning: {record['misfit']}")
    print(f"\nscenario file at the posterior median: {out / 'calibrated.toml'}")
    print(f"results written to {out}")


def add_calibrate_parsers(sub: Any) -> None:
    """``spc calibrate``."""
    p = sub.add_parser("calibrate", help="fit uncertain parameters to a firm's observed "
                                         "period KPIs (Bayesian, ABC-SMC)")
    p.add_argument("data", help="CSV of observed period KPIs: columns period, kpi, value "
                                "and optionally se")
    p.add_argument("--scenario", required=True, metavar="BASE.toml",
                   help="the base scenario: the firm as far as it is known")
    p.add_argument("--priors", default=str(DEFAULT_PRIORS), metavar="PRIORS.toml",
                   help=f"priors file: the parameters to fit, their distributions and "
                        f"bounds (default {DEFAULT_PRIORS})")
    p.add_argument("--population", type=cli_args.bounded_int(2, 100_000), default=100,
                   help="particles per ABC-SMC generation (default 100)")
    p.add_argument("--generations", type=cli_args.bounded_int(1, 100), default=6,
                   help="ABC-SMC generations, each with a smaller tolerance (default 6)")
    p.add_argument("--draws", type=cli_args.bounded_int(2, cli_args.MAX_REPLICATIONS),
                   default=50, help="posterior draws simulated for the predictive bands "
                                    "(default 50)")
    p.add_argument("--no-figure", action="store_true",
                   help="do not draw the posterior-predictive figure "
                        "(figures/calibration.png)")
    p.add_argument("--seed", type=int, help="root seed (default: the base's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    add_execution_options(p)
    p.set_defaults(func=cmd_calibrate)
