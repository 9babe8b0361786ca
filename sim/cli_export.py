"""The ``spc export`` command: a results directory's tables as one Excel workbook
(analysis.export)."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_export(args: argparse.Namespace) -> int:
    from analysis.export import write_workbook

    path = write_workbook(args.directory, args.out, args.format, args.force)
    if not args.quiet:
        print(f"workbook written to {path}")
    return 0


def add_export_parsers(sub: Any) -> None:
    """Register the command's subparser on ``sub`` (argparse subparsers)."""
    from sim.results.layout import EXPORT_FORMATS

    export = sub.add_parser(
        "export",
        help="write a results directory's tables to one Excel workbook",
        description="Write the tables of a results directory of spc run, compare or sweep "
                    "to one Excel workbook (openpyxl): the decision summary, the paired "
                    "comparisons, each scenario's KPI intervals, the sensitivity indices, "
                    "every replication's KPIs, a sheet of units and definitions and one of "
                    "what was run. Every KPI row names its unit, money with the scenario's "
                    "currency label.",
    )
    export.add_argument("directory", metavar="DIR", help="a results directory")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="xlsx",
                        help="the file format (default xlsx)")
    export.add_argument("--out", metavar="FILE",
                        help="the workbook (default DIR/results.xlsx)")
    export.add_argument("--force", action="store_true", help="replace an existing workbook")
    export.add_argument("--quiet", action="store_true", help="print nothing on success")
    export.set_defaults(func=cmd_export)
