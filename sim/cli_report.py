"""The ``spc report`` command: one document from a results directory (analysis.report)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def cmd_report(args: argparse.Namespace) -> int:
    from analysis.report import write_report
    from sim.cli_plot import figure_progress

    fmt = args.format or ("md" if args.out and Path(args.out).suffix.lower() == ".md"
                          else "html")
    path = write_report(args.directory, args.out, fmt, args.force,
                        figure_progress(args.quiet))
    if not args.quiet:
        print(f"report written to {path}")
    return 0


def add_report_parsers(sub: Any) -> None:
    """Register the command's subparser on ``sub`` (argparse subparsers)."""
    report = sub.add_parser(
        "report",
        help="write a report (HTML or Markdown) of a results directory",
        description="Write one report of a results directory of spc run, compare or sweep: "
                    "what was run, the KPIs with 95 % intervals, the comparison verdicts, "
                    "the figures and the STRESS-DES reporting checklist. HTML is one "
                    "self-contained file; Markdown keeps its figures as files in "
                    "NAME_figures/ beside it. Figures that spc plot saved in DIR/figures "
                    "are reused, the others drawn.",
    )
    report.add_argument("directory", metavar="DIR", help="a results directory")
    report.add_argument("--format", choices=("html", "md"),
                        help="html (default) or md; by default md when --out ends in .md")
    report.add_argument("--out", metavar="FILE",
                        help="the report file (default DIR/report.html or DIR/report.md)")
    report.add_argument("--force", action="store_true", help="replace an existing report")
    report.add_argument("--quiet", action="store_true",
                        help="print nothing on success (no progress bar either)")
    report.set_defaults(func=cmd_report)
