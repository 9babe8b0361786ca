"""The experiment commands of ``spc``: replications of ``run``, ``compare`` and ``sweep``."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a command needs it: pandas takes half of spc's start-up
    import pandas as pd

from sim import cli_args
from sim.errors import UserError
from sim.experiment.executors import EXECUTORS
from sim.kpis import (
    SURVIVOR_NOTE,
    check_scenario_kpis,
    is_setting,
    money_unit,
    registry_order,
    survivors,
)
from sim.kpis import unit as kpi_unit
from sim.scenario.library import locate

SET_HELP = "override a parameter, e.g. --set organization.reliability=0.95 (repeatable)"


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """Where replications run: ``--workers``, ``--executor`` and ``--scheduler``."""
    p.add_argument("--workers", type=cli_args.bounded_int(1, cli_args.MAX_WORKERS),
                   help="worker processes (default: all cores)")
    p.add_argument("--executor", choices=EXECUTORS,
                   help="where replications run (default processes; dask starts a local "
                        "cluster unless --scheduler is given)")
    p.add_argument("--scheduler", metavar="ADDRESS", type=cli_args.scheduler,
                   help="address of an existing Dask scheduler, e.g. tcp://10.0.0.5:8786")


def add_panel_option(p: argparse.ArgumentParser) -> None:
    """``--panel``: every run also writes its customers and the review panel."""
    p.add_argument("--panel", action="store_true",
                   help="also write the customers table and the panel of the active "
                        "customers at each review (customers and panel tables)")


def add_execution_options(p: argparse.ArgumentParser) -> None:
    """Options shared by every command that runs replications."""
    add_executor_options(p)
    p.add_argument("--out", help="results directory (default results/NAME-TIMESTAMP-ID, "
                                 "a new directory)")
    p.add_argument("--resume", action="store_true",
                   help="complete an interrupted run in --out: re-run only missing or broken "
                        "replications")
    p.add_argument("--force", action="store_true",
                   help="replace the results spc wrote in --out (other files stay)")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet",
                   help="format of the consolidated tables (default parquet)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar and no table (errors only)")


def wants_experiment(args: argparse.Namespace) -> bool:
    """Does ``spc run`` need the experiment runner (replications, executors, resume)?"""
    return any(getattr(args, name, None) for name in
               ("replications", "workers", "executor", "scheduler", "resume")) \
        or args.warmup == "auto"


# default results directories this command created: removed again by
# discard_unused_defaults if the command stops before writing anything into them
_DEFAULTS_CREATED: list[Path] = []


def default_out(name: str) -> Path:
    """A new results directory ``results/NAME-YYYYmmdd-HHMMSS-micro-XXXX`` (created
    exclusively, so two commands never share one)."""
    from sim.results.layout import unique_directory

    path = unique_directory(Path("results"), name)
    _DEFAULTS_CREATED.append(path)
    return path


def discard_unused_defaults() -> None:
    """Remove the default results directories of this command that hold nothing but the
    lock (the command failed on bad input before writing), and ``results/`` if that
    leaves it empty: bad input leaves nothing behind."""
    from sim.results.layout import LOCK

    while _DEFAULTS_CREATED:
        path = _DEFAULTS_CREATED.pop()
        try:
            if any(entry.name != LOCK for entry in path.iterdir()):
                continue
            (path / LOCK).unlink(missing_ok=True)
            path.rmdir()
            if not any(path.parent.iterdir()):
                path.parent.rmdir()
        except OSError:  # gone already, or not ours to remove: leave it
            continue


def _executor(args: argparse.Namespace) -> Any:
    from sim.experiment.executors import make_executor

    return make_executor(args.executor, args.workers, args.scheduler)


def _kpi_list(text: str | None, default: tuple[str, ...], scenario: Any) -> list[str]:
    """The KPIs of ``--kpis`` (``default`` without it), checked against the run summary of
    ``scenario`` before anything runs."""
    if text is None:
        return list(default)
    names = [k.strip() for k in text.split(",") if k.strip()]
    return check_scenario_kpis(names, "--kpis", None, scenario)


def print_decision(exp: Any, base: str, replications: int, currency: str = "") -> None:
    """The decision summary: the ranking table, then one plain line per scenario (money with
    the scenario's ``currency`` label, if any)."""
    import pandas as pd

    from sim.statistics.decision import decision_lines, format_amount

    table = exp.tables.get("decision", pd.DataFrame())
    if table.empty:
        return
    decision = exp.manifest.get("decision", {})
    objective = decision.get("objective", "")
    constraints = decision.get("constraints") or []

    def amount(value: float, signed: bool = True) -> str:
        return format_amount(objective, value, signed, currency)

    print(f"Decision: {objective} ({money_unit(kpi_unit(objective, 'summary'), currency)}), "
          f"{replications} paired replications"
          + (f", constraints {', '.join(constraints)}" if constraints else ""))
    print(f"  {'rank':<5}{'scenario':<28}{'mean':>16}{'vs base':>16}{'%':>7}"
          f"{'95% interval':>30}{'P(best)':>9}  constraints")
    for r in table.itertuples():
        is_base = r.scenario == base
        diff = "" if is_base else amount(r.diff)
        pct = f"{r.diff_pct:+.0f}" if not is_base and math.isfinite(r.diff_pct) else ""
        ci = "" if is_base else f"[{amount(r.ci_low)}, {amount(r.ci_high)}]"
        ok = "met" if r.meets_constraints else f"fails {r.violated}"
        print(f"  {r.rank:<5}{str(r.scenario)[:27]:<28}{amount(r.mean, False):>16}{diff:>16}"
              f"{pct:>7}{ci:>30}{r.p_best:>9.2f}  {ok if constraints else '-'}")
    print()
    for line in decision_lines(table, exp.tables["summary"], base, currency=currency):
        print(f"  {line}")
    print(f"  P(best): {decision.get('method', '')}")
    print()


def cli_number(value: float, digits: int = 4) -> str:
    """A value for the terminal: thousands separated from 1,000 up (no exponent), else
    ``digits`` significant digits."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 1000.0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}g}"


def printed_currency(scenario: Any) -> str:
    """The currency label money is printed with: the scenario's ``money.currency`` in
    behaviour mode (queue mode has no money)."""
    return scenario.params.money.currency if scenario.params.run.mode == "behaviour" else ""


def kpi_label(kpi: str) -> str:
    """A KPI's name as printed: marked † when it is computed on the survivors."""
    return kpi + (" †" if survivors(kpi) else "")


def kpi_unit_label(kpi: str, currency: str = "") -> str:
    """A KPI's unit as printed, money with the scenario's currency label."""
    return money_unit(kpi_unit(kpi, "summary"), currency)


def kpi_column_width(kpis: Iterable[str]) -> int:
    """Width of a table's KPI column: the longest printed name, and at least 44."""
    return max([44, *(len(kpi_label(k)) for k in kpis)])


def print_survivor_note(kpis: Iterable[str]) -> None:
    """The footnote to the † of the KPIs computed on the survivors, if any is printed."""
    if any(survivors(k) for k in kpis):
        print(f"†: {SURVIVOR_NOTE}")


def print_run_kpis(kpis: dict[str, Any], currency: str = "") -> None:
    """One run's KPIs, as a replicated run's are printed: in the registry's order, headline
    first, each with its unit, money with thousands separators; ``n/a`` where a KPI is
    undefined (no customer in its denominator).  Settings of the run (the warm-up) are not
    KPIs and are left out; the summary table keeps them."""
    from sim.experiment.runner import MAIN_KPIS

    names = registry_order([k for k in kpis if not is_setting(k)], MAIN_KPIS)
    width = kpi_column_width(names)
    print(f"{'kpi':<{width}} {'value':>12}  unit")
    for name in names:
        value = kpis[name]
        shown = ("n/a" if value is None or (isinstance(value, float) and math.isnan(value))
                 else cli_number(float(value)))
        print(f"{kpi_label(name):<{width}} {shown:>12}  "
              f"{kpi_unit_label(name, currency)}".rstrip())
    print_survivor_note(names)


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_failures(failures: list[dict[str, Any]], out: Path) -> int:
    """Name the failed replications on stderr; the exit code of the command."""
    if not failures:
        return 0
    print(f"spc: {len(failures)} replication(s) failed (the others completed; tracebacks in "
          f"{out / 'errors'}):", file=sys.stderr)
    for f in failures[:20]:
        last = (f.get("error") or "").strip().splitlines()[-1:] or ["?"]
        print(f"  {f['scenario']} point {f['point']} replication {f['replication']}: {last[0]}",
              file=sys.stderr)
    return 1


def interval_table(summary: pd.DataFrame, kpis: list[str] | None = None) -> pd.DataFrame:

    from sim.statistics.output_analysis import summarise_replications  # lazy: scipy is slow to load
    return summarise_replications(summary, kpis)


def cmd_run_replications(args: argparse.Namespace, scenario: Any) -> int:
    import pandas as pd

    from sim.experiment.runner import MAIN_KPIS, run_replications

    replications: int | str = args.replications or 1
    if isinstance(replications, str) and replications != "auto":
        try:
            replications = int(replications)
        except ValueError:
            raise UserError(f"--replications {replications}: a whole number or auto") from None
    warmup: float | str | None = args.warmup
    if warmup not in (None, "auto"):
        try:
            warmup = float(warmup)
        except ValueError:
            raise UserError(f"--warmup {args.warmup}: days (a number) or auto") from None
    wanted = _kpi_list(args.kpis, MAIN_KPIS, scenario)
    out = Path(args.out) if args.out else default_out(scenario.name)
    exp = run_replications(
        scenario, out, replications, _executor(args),
        precision=args.precision, kpis=wanted, budget=args.budget,
        warmup=warmup, resume=args.resume, force=args.force, events=args.events,
        fmt=args.format, quiet=args.quiet, kind=None if args.replications else "run",
        panel=getattr(args, "panel", False),
    )
    table = interval_table(exp.summary) if not exp.summary.empty else pd.DataFrame()
    if args.json:
        kpis = {row.kpi: {"mean": _number(row.mean), "ci_low": _number(row.ci_low),
                          "ci_high": _number(row.ci_high), "n": int(row.n)}
                for row in table.itertuples()}
        payload: dict[str, Any] = {"scenario": scenario.name, "seed": scenario.params.run.seed,
                                   "replications": exp.replications, "kpis": kpis}
        if "warmup_chosen_days" in exp.manifest:
            payload["warmup_days"] = exp.manifest["warmup_chosen_days"]
        print(json.dumps(payload, indent=2))
    elif not args.quiet:
        title = f"{scenario.name}: {exp.replications} replications, seed {scenario.params.run.seed}"
        if "warmup_chosen_days" in exp.manifest:
            title += f", warm-up {exp.manifest['warmup_chosen_days']:.0f} days (MSER-5)"
        print(title)
        currency = printed_currency(scenario)
        if not table.empty:
            table = table.set_index("kpi").loc[
                registry_order(table["kpi"], MAIN_KPIS)].reset_index()
        width = kpi_column_width(table.get("kpi", []))
        print(f"{'kpi':<{width}} {'mean':>12} {'95% CI':>27} {'n':>4}  unit")
        for row in table.itertuples():
            ci = f"[{cli_number(row.ci_low)}, {cli_number(row.ci_high)}]"
            print(f"{kpi_label(row.kpi):<{width}} {cli_number(row.mean):>12} {ci:>27} "
                  f"{int(row.n):>4}  {kpi_unit_label(row.kpi, currency)}".rstrip())
        print_survivor_note(table.get("kpi", []))
        print(f"\nresults written to {out}")
    return report_failures(exp.failures, out)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.experiment.runner import run_comparison
    from sim.scenario import load_scenario, variants

    overrides = list(args.set or [])
    base = load_scenario(locate(Path(args.base)), overrides)
    others = [load_scenario(locate(Path(p)), overrides) for p in args.others]
    others += [v for spec in args.vary or [] for v in variants(base, spec)]
    if not others:
        raise UserError("compare: no OTHER scenario to compare with the base; allowed: one "
                        "or more scenario files and/or --vary KEY=V1,V2,...")
    kpis = _kpi_list(args.kpis, (), base)
    from sim.experiment.runner import MAIN_KPIS

    out = Path(args.out) if args.out else default_out(f"compare-{base.name}")
    # run_comparison checks the objective and the constraints before anything runs
    exp = run_comparison(base, others, out, args.replications, _executor(args), seed=args.seed,
                         resume=args.resume, force=args.force, fmt=args.format,
                         quiet=args.quiet, objective=args.objective,
                         constraints=args.constraint or (), panel=args.panel)
    comp = exp.tables["comparisons"]
    if kpis and not comp.empty:
        comp = comp[comp["kpi"].isin(kpis)]
    differences = exp.manifest.get("differences", {})
    currency = printed_currency(base)
    if args.json:
        rows = [{k: _number(v) for k, v in row.items()} for row in comp[
            ["scenario", "kpi", "base_mean", "other_mean", "diff", "ci_low", "ci_high",
             "verdict", "crn_ratio"]].to_dict("records")]
        import pandas as pd

        from sim.statistics.decision import decision_lines

        table = exp.tables.get("decision", pd.DataFrame())
        decision = {**exp.manifest.get("decision", {}),
                    "ranking": [{k: _number(v) for k, v in row.items()}
                                for row in table.to_dict("records")],
                    "currency": currency,
                    "lines": decision_lines(table, exp.tables["summary"], base.name,
                                            currency=currency)}
        print(json.dumps({"base": base.name, "replications": args.replications,
                          "decision": decision, "comparisons": rows,
                          "differences": differences}, indent=2, default=str))
    elif not args.quiet:
        print_decision(exp, base.name, args.replications, currency)
        for other in others:
            print(f"{other.name} vs {base.name} ({args.replications} paired replications)")
            diff = differences.get(other.name, {})
            print("  inputs that differ: " + (", ".join(
                f"{k} {a!r} -> {b!r}" for k, (a, b) in diff.items()) or "none"))
            rows = comp[comp["scenario"] == other.name]
            rows = rows.set_index("kpi").loc[
                registry_order(rows["kpi"], MAIN_KPIS)].reset_index()
            print(f"  {'kpi':<40} {'base':>10} {'other':>10} {'diff':>10} "
                  f"{'95% CI of diff':>24} {'CRN':>5}  {'verdict':<19}  unit")
            for r in rows.itertuples():
                ci = f"[{cli_number(r.ci_low, 3)}, {cli_number(r.ci_high, 3)}]"
                crn = f"{r.crn_ratio:.2f}" if isinstance(r.crn_ratio, float) and \
                    math.isfinite(r.crn_ratio) else "-"
                name = r.kpi + (" †" if survivors(r.kpi) else "")
                print(f"  {name:<40} {cli_number(r.base_mean):>10} "
                      f"{cli_number(r.other_mean):>10} {cli_number(r.diff, 3):>10} {ci:>24} "
                      f"{crn:>5}  {r.verdict:<19}  "
                      f"{money_unit(kpi_unit(r.kpi, 'summary'), currency)}".rstrip())
            print()
        print("CRN: half-width of the paired interval relative to independent seeds "
              "(below 1: common random numbers narrowed it)")
        print(f"†: {SURVIVOR_NOTE}")
        print(f"results written to {out}")
    return report_failures(exp.failures, out)


def set_and_seed(args: argparse.Namespace) -> list[str]:
    """The overrides of ``--set`` and ``--seed`` (``run.seed=S``, last: it wins)."""
    overrides = list(args.set or [])
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    return overrides


def json_result(base: str, record: dict[str, Any], name: str, table: pd.DataFrame,
                scenario_file: Path, figures: list[Path]) -> str:
    """The ``--json`` output of ``spc optimize`` and ``spc calibrate``: the manifest's
    record of the command, its main table as ``name`` (one object per row, NaN as null),
    the scenario file it wrote and its figures."""
    rows = [{k: _number(v) for k, v in row.items()} for row in table.to_dict("records")]
    return json.dumps({"base": base, **record, name: rows, "scenario_file": str(scenario_file),
                       "figures": [str(p) for p in figures]}, indent=2, default=str)


def files_only() -> None:
    """Draw figures to files only (matplotlib's Agg backend), whatever the environment
    says; before a command imports its plotting module."""
    import matplotlib

    matplotlib.use("Agg")


SENSITIVITY_SHOWN = ("kpi", "factor", "index", "value", "conf", "low", "high", "noise_share",
                     "invalid")
"""The columns of the sensitivity table ``spc sweep`` prints (the others are in its header
and its messages)."""


def print_sensitivity(sens: pd.DataFrame) -> None:
    """The sensitivity table, what its intervals are, and which Sobol' indices are invalid
    (outside their valid range beyond their interval) with the samples that would do."""
    from sim.statistics.sensitivity import precision_message, violations  # lazy: SALib

    print(sens[[c for c in SENSITIVITY_SHOWN if c in sens]].to_string(
        index=False, na_rep="-", float_format=lambda v: cli_number(v, 3)))
    legend = {"conf": "conf: SALib's 95 % half-width (resampling the design points)",
              "low": "low, high: 95 % bootstrap interval over replications"}
    said = [text for column, text in legend.items()
            if column in sens and sens[column].notna().any()]
    if said:
        print("; ".join(said))
    if not sens["index"].isin(("S1", "ST")).any():
        return
    problems = violations(sens)
    if not problems:
        print("Every S1 and ST is in its valid range within its interval (0 <= S1 <= ST <= 1, "
              "S1 summing to at most 1).")
    else:
        print(f"Invalid Sobol' indices ({len(problems)}): outside their valid range beyond "
              "their interval, an artefact of too few samples:")
        for v in problems:
            print(f"  {v.message()}")
    print(precision_message(sens))


def invalid_indices(sens: pd.DataFrame) -> list[dict[str, Any]]:
    """The invalid Sobol' indices of a sensitivity table, for --json: KPI, factor (None for
    the sum of the S1), the constraint broken, the base sample N that would do, the message."""
    from sim.statistics.sensitivity import violations  # lazy: scipy is slow to load

    return [{"kpi": v.kpi, "factor": v.factor or None, "constraint": v.constraint,
             "samples_needed": v.samples_needed, "message": v.message()}
            for v in (violations(sens) if not sens.empty else [])]


def precision(sens: pd.DataFrame) -> str | None:
    """How precisely the Sobol' indices are known, for --json (None for other designs)."""
    from sim.statistics.sensitivity import precision_message  # lazy: scipy is slow to load

    return precision_message(sens) if not sens.empty else None


def cmd_sweep(args: argparse.Namespace) -> int:
    import pandas as pd

    from sim.experiment.runner import run_sweep

    path = locate(Path(args.sweep))
    out = Path(args.out) if args.out else default_out(f"sweep-{path.stem}")
    exp = run_sweep(path, out, _executor(args), resume=args.resume, force=args.force,
                    fmt=args.format, quiet=args.quiet, overrides=set_and_seed(args),
                    panel=args.panel)
    sens = exp.tables.get("sensitivity", pd.DataFrame())
    if args.json:
        print(json.dumps({
            "sweep": path.stem, "design_points": exp.manifest.get("design_points"),
            "replications": exp.replications, "seed": exp.manifest.get("root_seed"),
            "sensitivity": [{k: _number(v) for k, v in r.items()}
                            for r in sens.to_dict("records")],
            "invalid": invalid_indices(sens), "precision": precision(sens),
        }, indent=2, default=str))
    elif not args.quiet:
        print(f"{path.stem}: {exp.manifest.get('design')} design, "
              f"{exp.manifest.get('design_points')} points x {exp.replications} replications, "
              f"seed {exp.manifest.get('root_seed')}")
        if not sens.empty:
            print_sensitivity(sens)
        print(f"\nresults written to {out}")
    return report_failures(exp.failures, out)


def add_experiment_parsers(sub: Any) -> None:
    """``spc compare`` and ``spc sweep``."""
    comp = sub.add_parser("compare", help="compare scenarios on common random numbers")
    comp.add_argument("base", help="the base scenario file")
    comp.add_argument("others", nargs="*", metavar="OTHER",
                      help="scenario files to compare (or none, with --vary)")
    comp.add_argument("--vary", action="append", metavar="KEY=V1,V2,...",
                      help="compare variants of the base without writing files: one per "
                           "value, named LEAF-VALUE, e.g. --vary organization.reliability="
                           "0.9,0.95 makes reliability-0.9 and reliability-0.95 (repeatable)")
    comp.add_argument("-r", "--replications", default=10,
                      type=cli_args.bounded_int(1, cli_args.MAX_REPLICATIONS),
                      help="replications of each scenario (default 10)")
    comp.add_argument("--seed", type=int, help="root seed for all (default: the base's)")
    comp.add_argument("--set", action="append", metavar="KEY=VALUE", help=SET_HELP)
    comp.add_argument("--kpis", type=cli_args.kpi_list,
                      help="comma-separated KPIs to show (default: all)")
    comp.add_argument("--objective", metavar="KPI",
                      help="outcome KPI the decision summary ranks the scenarios on "
                           "(default: profit; mean_wait in queue mode); with --resume on a "
                           "finished comparison, ranks its stored runs anew")
    comp.add_argument("--constraint", action="append", metavar="KPI>=VALUE",
                      help="a requirement on a KPI's mean, e.g. retention_rate>=0.8 "
                           "(KPI<=VALUE too; repeatable)")
    add_panel_option(comp)
    add_execution_options(comp)
    comp.set_defaults(func=cmd_compare)

    sweep = sub.add_parser("sweep", help="run a sweep file: a design over parameters, with "
                                         "sensitivity indices")
    sweep.add_argument("sweep", help="sweep file (TOML), e.g. scenarios/sweeps/*.toml")
    sweep.add_argument("--seed", type=int,
                       help="root seed of the replications (same as --set run.seed=S; the "
                            "design's sampling seed is the file's seed)")
    sweep.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a parameter of the base scenario, e.g. --set "
                            "run.years=3, after the sweep file's overrides; not one of its "
                            "factors (repeatable)")
    add_panel_option(sweep)
    add_execution_options(sweep)
    sweep.set_defaults(func=cmd_sweep)
