"""``spc optimize``: choose a policy under uncertainty (Optuna search, KN certification)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from sim import cli_args
from sim.cli_experiment import (
    SET_HELP,
    _executor,
    add_execution_options,
    cli_number,
    default_out,
    files_only,
    json_result,
    kpi_unit_label,
    printed_currency,
    report_failures,
    set_and_seed,
)
from sim.scenario.library import locate


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted; allowed: a positive number")
    return value


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"{text!r} is not accepted; allowed: a probability "
                                         "in (0, 0.5), e.g. 0.05")
    return value


def cmd_optimize(args: argparse.Namespace) -> int:
    from sim.experiment.optimize import run_optimize
    from sim.scenario import load_scenario
    from sim.scenario.levers import load_levers

    base = load_scenario(locate(Path(args.base)), set_and_seed(args))
    levers = load_levers(args.levers, base)
    out = Path(args.out) if args.out else default_out(f"optimize-{base.name}")
    exp = run_optimize(base, levers, out, _executor(args), objective=_objectives(args.objective),
                       constraints=args.constraint or (), replications=args.replications,
                       budget_runs=args.budget_runs, candidates=args.candidates,
                       delta=args.delta, alpha=args.alpha,
                       certify_runs=args.certify_runs, first_stage=args.first_stage,
                       resume=args.resume,
                       force=args.force, fmt=args.format, quiet=args.quiet)
    record = exp.manifest["optimize"]
    table = exp.tables["candidates"]
    figures = [] if args.no_figure else _figure(out)
    if args.json:
        print(json_result(base.name, record, "candidates", table, out / "chosen.toml",
                          figures))
    elif not args.quiet:
        print_optimum(record, table, out, printed_currency(base))
        for path in figures:
            kind = "Pareto front" if path.stem.endswith("pareto") else "search history"
            print(f"{kind} figure: {path}")
    return report_failures(exp.failures, out)


def _objectives(given: list[str] | None) -> str | list[str] | None:
    """``--objective`` (repeatable, or a comma list): None (the default), one KPI, or the
    list of KPIs, the first the one searched and certified."""
    if not given:
        return None
    names = [name.strip() for text in given for name in text.split(",")]
    return names[0] if len(names) == 1 else names


def _figure(out: Path) -> list[Path]:
    """The search history figure (analysis.plots.optimize) and, with several objectives,
    the Pareto figure, as PNG in ``out/figures``."""
    files_only()
    from analysis.plots.optimize import write_history

    return write_history(out)


def print_pareto(record: dict[str, Any]) -> None:
    """The Pareto set of several objectives: each candidate's lever values and search
    means."""
    objectives = record["objectives"]
    print(f"\nPareto set on {', '.join(objectives)}: {len(record['pareto'])} feasible "
          "candidates that no other feasible one dominates (at least as good on every "
          f"objective, better on one), on the search means over the same {record['n0']} "
          f"replications (the search and KN used {objectives[0]} alone)")
    first = objectives[0]
    for point in sorted(record["pareto"], key=lambda p: p["search_means"][first],
                        reverse=record["maximize"]):  # best on the first objective first
        levers = ", ".join(f"{k} = {json.dumps(v)}" for k, v in point["params"].items())
        means = ", ".join(f"{k} {cli_number(v)}" for k, v in point["search_means"].items())
        mark = "  (chosen)" if point["candidate"] == record["chosen"] else ""
        print(f"  {point['candidate']:<6}{levers}: {means}{mark}")


def print_optimum(record: dict[str, Any], table: Any, out: Path, currency: str = "") -> None:
    """The chosen policy, the certified candidates and the statement (money with the base
    scenario's ``currency`` label, if any)."""
    objective = record["objective"]
    unit = kpi_unit_label(objective, currency)
    print(f"Optimize {objective} ({unit}; {'higher' if record['maximize'] else 'lower'} is "
          "better)"
          + (f", constraints {', '.join(record['constraints'])}" if record["constraints"]
             else "")
          + f": {len(table)} candidates examined in {record['search_runs']} runs, "
          f"{len(record['certified'])} certified in {record['certify_runs']} more")
    if not record["feasible_found"]:
        print("  no candidate met the constraints: the best on the objective were certified")
    levers = [c for c in table.columns if "." in c and not c.startswith("mean_")]
    certified = table[table["certified"]].sort_values("mean", ascending=not record["maximize"])
    print(f"  {'cand':<6}" + "".join(f"{c:>28}" for c in levers)
          + f"{'n':>5}{'mean':>16}  outcome")
    for row in certified.to_dict("records"):
        at = row["eliminated_at"]
        fate = ("chosen" if row["chosen"] else "left when the certification budget ran out"
                if at is None or at != at else f"eliminated after {int(at)} replications")
        print(f"  {row['candidate']:<6}" + "".join(f"{str(row[c])[:27]:>28}" for c in levers)
              + f"{row['n']:>5}{cli_number(row['mean']):>16}  {fate}")
    print()
    chosen = ", ".join(f"{k} = {json.dumps(v)}" for k, v in record["chosen_params"].items())
    print(f"Chosen policy: {chosen}")
    print(f"  {record['statement']}")
    print(f"  delta = {cli_number(record['delta'])} {unit}"
          + ("" if record["delta_given"] else " (default: 1 % of the best search mean)")
          + f", alpha = {record['alpha']:g}, first stage "
          f"{record.get('first_stage', record['n0'])} replications")
    if "pareto" in record:
        print_pareto(record)
    print(f"\nscenario file of the chosen policy: {out / 'chosen.toml'}")
    print(f"results written to {out}")


def add_optimize_parsers(sub: Any) -> None:
    """``spc optimize``."""
    p = sub.add_parser("optimize", help="choose a policy under uncertainty: a search over "
                                        "levers, then a KN certification of the best")
    p.add_argument("base", help="the base scenario file")
    p.add_argument("--levers", required=True, metavar="LEVERS.toml",
                   help="levers file: the parameters to choose and their ranges or choices")
    p.add_argument("--objective", action="append", metavar="KPI",
                   help="outcome KPI to optimize (default: profit; mean_wait in queue "
                        "mode); repeatable or a comma list for several objectives: the "
                        "first drives the search and is certified, and the Pareto set of "
                        "all is reported")
    p.add_argument("--constraint", action="append", metavar="KPI>=VALUE",
                   help="a requirement on a KPI's mean, e.g. retention_rate>=0.8 or "
                        "cost<=900000 for a budget (KPI<=VALUE too; repeatable)")
    p.add_argument("--budget-runs", type=cli_args.bounded_int(2, cli_args.MAX_REPLICATIONS),
                   default=100, help="simulation runs the search may spend (default 100); "
                                     "the certification's runs come on top")
    p.add_argument("-r", "--replications", type=cli_args.bounded_int(2, 1000), default=5,
                   help="replications per candidate in the search, KN's first stage "
                        "unless --first-stage (default 5)")
    p.add_argument("--first-stage", type=cli_args.bounded_int(2, 1000), metavar="N",
                   help="replications of each certified candidate before KN's first "
                        "elimination (default: -r); at least -r. A first stage of 10 or "
                        "more (Kim & Nelson 2001) makes KN's constant small, so that "
                        "certification ends sooner on a noisy objective")
    p.add_argument("--candidates", type=cli_args.bounded_int(1, 100), default=5,
                   help="best candidates of the search certified by KN (default 5)")
    p.add_argument("--delta", type=_positive,
                   help="indifference zone, in the objective's unit (default: 1 %% of the "
                        "best search mean)")
    p.add_argument("--alpha", type=_alpha, default=0.05,
                   help="1 - probability of correct selection (default 0.05)")
    p.add_argument("--certify-runs", type=cli_args.bounded_int(0, cli_args.MAX_REPLICATIONS),
                   help="at most this many runs for the certification (default: as many as "
                        "KN needs); if KN stops there, the result says it is not certified")
    p.add_argument("--no-figure", action="store_true",
                   help="do not draw the search history figure (figures/optimize_history.png) "
                        "nor, with several objectives, figures/optimize_pareto.png")
    p.add_argument("--seed", type=int, help="root seed (default: the base's)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    add_execution_options(p)
    p.set_defaults(func=cmd_optimize)
