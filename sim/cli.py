"""The ``spc`` command line: run, show and validate scenarios.

Every error in what the user gave (a file, a key, a value, a results
directory) ends with one message on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import cli_args
from sim.cli_calibrate import add_calibrate_parsers
from sim.cli_experiment import (
    add_executor_options,
    add_experiment_parsers,
    add_panel_option,
    cmd_run_replications,
    default_out,
    discard_unused_defaults,
    print_run_kpis,
    printed_currency,
    report_failures,
    set_and_seed,
    wants_experiment,
)
from sim.cli_export import add_export_parsers
from sim.cli_optimize import add_optimize_parsers
from sim.cli_plot import add_plot_parsers
from sim.cli_report import add_report_parsers
from sim.cli_teaching import add_teaching_parsers
from sim.errors import ScenarioError, UserError, clipped, printable
from sim.scenario.library import DEFAULT_MMC, DEFAULT_SCENARIO, locate


# -- commands ------------------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiment.executors import SequentialExecutor
    from sim.experiment.runner import run_replications
    from sim.experiment.store import ResultsStore
    from sim.output import flat_kpis, json_safe
    from sim.scenario import load_scenario

    scenario = load_scenario(locate(Path(args.scenario)), set_and_seed(args))
    if wants_experiment(args):
        return cmd_run_replications(args, scenario)
    warmup = None
    if args.warmup is not None:
        try:
            warmup = float(args.warmup)
        except ValueError:
            raise UserError(f"--warmup {args.warmup}: days (a number) or auto") from None
    # one run is one replication, stored like any other (shards, manifest, tables)
    out = Path(args.out) if args.out else default_out(scenario.name)
    exp = run_replications(scenario, out, 1, SequentialExecutor(), warmup=warmup,
                           force=args.force, events=args.events, fmt=args.format, kind="run",
                           panel=args.panel)
    if exp.failures:
        return report_failures(exp.failures, out)
    seed, kpis = ResultsStore(out).stored_summary(scenario.name)
    if args.json:
        payload = {"scenario": scenario.name, "seed": seed, "kpis": json_safe(kpis)}
        print(json.dumps(payload, indent=2))
    elif not args.quiet:
        years = scenario.params.run.years
        print(f"{scenario.name}: seed {seed}, {years:g} year{'' if years == 1 else 's'}, "
              f"{exp.manifest['wall_seconds']:.1f} s")
        print_run_kpis(flat_kpis(kpis), printed_currency(scenario))
        print(f"\nresults written to {out}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario
    from sim.scenario.schema import SECTIONS

    scenario = load_scenario(locate(Path(args.scenario)), list(args.set or []))
    if args.json:
        print(json.dumps({"name": scenario.name, "description": scenario.description,
                          "hash": scenario.hash,
                          "parameters": scenario.params.model_dump(mode="json")}, indent=2))
        return 0
    print(f"name         {scenario.name}")
    print(f"hash         {scenario.hash}")
    # text from files and arguments is printed with control characters escaped
    files = ' <- '.join(str(p) for p in reversed(scenario.chain)) or '-'
    print(f"files        {printable(files)}")
    if scenario.overrides:
        print(f"overrides    {printable(' '.join(scenario.overrides))}")
    if scenario.description:
        print("description  " + printable(" ".join(scenario.description.split())))
    dump = scenario.params.model_dump(mode="json")
    for section, model in SECTIONS.items():
        tables = dump[section]
        if isinstance(tables, list):  # a list of tables ([[units]])
            if not tables:
                print(f"\n# [[{section}]]: none")
            for table in tables:
                _print_table(f"[[{section}]]", model, table)
        else:
            _print_table(f"[{section}]", model, tables)
    return 0


def _print_table(header: str, model: Any, values: dict[str, Any]) -> None:
    print(f"\n{header}")
    for key, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = extra.get("unit", "")
        print(f"  {key:<22} = {json.dumps(values[key]):<14} # {unit}")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.output import json_safe
    from sim.validation import validate

    checks = validate(locate(Path(args.scenario)), customers=args.customers,
                      overrides=list(args.set or []))
    passed = all(c.passed for c in checks)
    if args.json:
        payload = {"passed": passed, "checks": [c.as_dict() for c in checks]}
        print(json.dumps(json_safe(payload), indent=2))
    else:
        print(f"{'check':<30} {'observed':>10} {'95% CI':>23} {'exact':>10}  result")
        for c in checks:
            ci = f"[{c.ci_low:.4f}, {c.ci_high:.4f}]"
            print(f"{c.name:<30} {c.observed:>10.4f} {ci:>23} {c.expected:>10.4f}  "
                  f"{'pass' if c.passed else 'FAIL'}")
        print(f"\n{sum(c.passed for c in checks)} of {len(checks)} checks passed")
    return 0 if passed else 1


# -- parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = cli_args.SafeParser(
        prog="spc", description="Simulate service-profit chain dynamics."
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    set_help = "override a parameter, e.g. --set organization.reliability=0.95 (repeatable)"

    run = sub.add_parser("run", help="run a scenario and write its results")
    run.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO),
                     help=f"scenario file (default {DEFAULT_SCENARIO})")
    run.add_argument("--seed", type=int, help="root seed (same as --set run.seed=S)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    run.add_argument("--out", help="results directory (default results/NAME-TIMESTAMP-ID, "
                                   "a new directory)")
    run.add_argument("--force", action="store_true",
                     help="replace the results spc wrote in --out (other files stay)")
    run.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                     help="table format (default parquet)")
    run.add_argument("--events", action="store_true",
                     help="also write the encounter-level event log (events table)")
    add_panel_option(run)
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("-r", "--replications", type=cli_args.replications,
                     help="replications (a number, or auto: sequential, until --precision)")
    run.add_argument("--precision", type=cli_args.precision, default=0.05,
                     help="with --replications auto: relative half-width of the 95%% "
                          "intervals to reach (default 0.05)")
    run.add_argument("--kpis", type=cli_args.kpi_list,
                     help="with --replications auto: comma-separated KPIs that must "
                                    "reach the precision (default retention_rate, "
                                    "promoter_share, satisfaction_index, nps)")
    run.add_argument("--budget", type=cli_args.bounded_int(3, cli_args.MAX_REPLICATIONS),
                     default=100,
                     help="with --replications auto: at most this many (default 100)")
    run.add_argument("--warmup", metavar="DAYS|auto", type=cli_args.warmup,
                     help="warm-up excluded from statistics, in days, or auto (MSER-5)")
    add_executor_options(run)
    run.add_argument("--resume", action="store_true",
                     help="complete an interrupted run in --out")
    run.set_defaults(func=cmd_run)
    add_experiment_parsers(sub)

    show = sub.add_parser("show", help="print a scenario's resolved parameters")
    show.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO))
    show.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(func=cmd_show)

    val = sub.add_parser("validate", help="check the queue against the exact M/M/c results")
    val.add_argument("--scenario", default=str(DEFAULT_MMC),
                     help=f"queue-mode scenario (default {DEFAULT_MMC})")
    val.add_argument("--set", action="append", metavar="KEY=VALUE", help=set_help)
    val.add_argument("--customers", type=cli_args.bounded_int(1, cli_args.MAX_CUSTOMERS),
                     default=200_000,
                     help="arrivals simulated per check (default 200000)")
    val.add_argument("--json", action="store_true", help="print the checks as JSON")
    val.set_defaults(func=cmd_validate)
    add_plot_parsers(sub)
    add_report_parsers(sub)
    add_export_parsers(sub)
    add_optimize_parsers(sub)
    add_calibrate_parsers(sub)
    add_teaching_parsers(sub)
    return parser


def _version() -> str:
    from importlib import metadata

    try:
        return f"spc {metadata.version('spc')}"
    except metadata.PackageNotFoundError:
        return "spc (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``spc`` and ``python -m sim``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args))
    except (UserError, KeyboardInterrupt, OSError) as exc:
        discard_unused_defaults()
        return _failure(exc)
    if code == UserError.exit_code:
        discard_unused_defaults()
    return code


def _failure(exc: UserError | KeyboardInterrupt | OSError) -> int:
    """Print the one line of a command that stopped on ``exc``; its exit code."""
    if isinstance(exc, ScenarioError):
        print(f"spc: scenario error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, UserError):
        print(f"spc: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        print("spc: interrupted", file=sys.stderr)
        return 130
    if isinstance(exc, BrokenPipeError):
        # the reader went away (``spc show | head``): stop quietly, as other tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    # disk full, read-only, no permission: one line naming the path
    print(f"spc: error: {printable(_os_problem(exc))}", file=sys.stderr)
    return UserError.exit_code


def _os_problem(exc: OSError) -> str:
    """An operating-system error as ``path: reason``."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [clipped(str(p)) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
