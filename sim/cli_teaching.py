"""``spc experiment``: the numbered teaching experiments (``list`` and ``run``).

Each experiment is a folder under ``scenarios/experiments/`` (see
:mod:`sim.experiment.teaching`); ``run`` runs it with its published settings,
stores the results like ``spc compare`` or ``spc sweep``, prints its tables and
writes ``results.md`` and ``figure.png`` beside them; ``--docs`` also
regenerates its page in ``docs/experiments/``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sim.cli_experiment import add_executor_options, default_out


def cmd_list(args: argparse.Namespace) -> int:
    from sim.experiment.teaching import list_experiments

    specs = list_experiments()
    if args.json:
        print(json.dumps([{"number": s.number, "name": s.name, "title": s.title,
                           "kind": s.kind, "question": " ".join(s.question.split())}
                          for s in specs], indent=2))
    else:
        width = max(len(s.name) for s in specs)
        for s in specs:
            print(f"{s.number:>2}  {s.name:<{width}}  {s.title}")
        print("\nrun one with: spc experiment run NUMBER|NAME [--out DIR] [--docs]")
    if args.docs:
        from analysis.teaching import write_index

        path = write_index(specs)
        if not args.json:
            print(f"index written to {path}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from analysis.teaching import build_report, write_report
    from sim.cli_experiment import report_failures
    from sim.experiment.executors import make_executor
    from sim.experiment.teaching import find_experiment, run_teaching

    if args.docs:
        from analysis.teaching.pages import require_docs_dir

        require_docs_dir()
    spec = find_experiment(args.name)
    out = Path(args.out) if args.out else default_out(f"experiment-{spec.name}")
    executor = make_executor(args.executor, args.workers, args.scheduler)
    with _results_lock(out):  # held from the first replication to the last page
        exp = run_teaching(spec, out, executor, resume=args.resume, force=args.force,
                           quiet=args.quiet)
        if exp.failures:
            return report_failures(exp.failures, out)
        report = build_report(spec, out)
        written = write_report(report, out, docs=args.docs)
    if args.json:
        print(json.dumps({"experiment": spec.name, "number": spec.number,
                          "headline": report.finding.headline,
                          "out": str(out)}, indent=2, default=str))
    elif not args.quiet:
        print(f"{spec.number}. {spec.title}\n")
        print("Question. " + " ".join(spec.question.split()) + "\n")
        for caption, table in report.finding.tables:
            print(" ".join(caption.split()))
            print(table + "\n")
        for note in report.finding.notes:
            print(note + "\n")
        print(f"results written to {out} (tables, {written[0].name}, {written[1].name})")
        for path in written[2:]:
            print(f"updated {path}")
    return 0


def _results_lock(out: Path) -> Any:
    """The lock of results directory ``out`` (created if need be; a file in its place is
    left for the runner to refuse with its message)."""
    import contextlib

    from sim.errors import ResultsError
    from sim.results.lock import ResultsLock, command_line

    if out.exists() and not out.is_dir():
        return contextlib.nullcontext()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"{out}: cannot create results directory ({exc.strerror})") from None
    return ResultsLock(out, command_line())


def add_teaching_parsers(sub: Any) -> None:
    """Register ``spc experiment list`` and ``spc experiment run`` on ``sub``."""
    exp = sub.add_parser("experiment", help="the numbered teaching experiments (list, run)")
    inner = exp.add_subparsers(dest="experiment_command", required=True, metavar="ACTION")

    lst = inner.add_parser("list", help="list the teaching experiments")
    lst.add_argument("--json", action="store_true", help="print as JSON")
    lst.add_argument("--docs", action="store_true",
                     help="also regenerate docs/experiments/index.md")
    lst.set_defaults(func=cmd_list)

    run = inner.add_parser("run", help="run a teaching experiment with its published settings")
    run.add_argument("name", metavar="NAME",
                     help="the experiment's folder name (e.g. 02_reliability) or number (2)")
    run.add_argument("--out", help="results directory (default results/experiment-NAME-"
                                   "TIMESTAMP-ID, a new directory)")
    run.add_argument("--force", action="store_true",
                     help="replace the results spc wrote in --out (other files stay)")
    run.add_argument("--resume", action="store_true",
                     help="complete an interrupted run in --out")
    run.add_argument("--docs", action="store_true",
                     help="also regenerate the experiment's page and figure in docs/experiments/")
    add_executor_options(run)
    run.add_argument("--json", action="store_true", help="print the headline numbers as JSON")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(func=cmd_run)


__all__ = ["add_teaching_parsers"]

