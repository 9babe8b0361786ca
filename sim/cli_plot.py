"""The ``spc plot`` command: every figure a results directory supports, as PNG and SVG."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T", bound=tuple[Any, ...])


def figure_progress(quiet: bool) -> Callable[[list[T]], Iterator[T]]:
    """The progress hook of ``analysis.plots.write_figures`` and
    ``analysis.report.write_report``: a tqdm bar on stderr, one step per figure, naming
    the figure being made; silent under --quiet or when stderr is not a terminal (the
    bar of ``spc run --replications``, ``sim.experiment.runner.progress_bar``)."""
    from sim.experiment.runner import progress_bar

    def follow(items: list[T]) -> Iterator[T]:
        with progress_bar(len(items), 0, quiet, "figures", unit="figure") as bar:
            for item in items:
                bar.set_postfix_str(str(item[0]))
                yield item
                bar.update()

    return follow


def cmd_plot(args: argparse.Namespace) -> int:
    from sim.cli_experiment import files_only

    files_only()
    from analysis.plots import parse_formats, write_figures

    formats = parse_formats(args.format)
    written = write_figures(args.directory, args.out, formats, figure_progress(args.quiet))
    if not args.quiet:
        for path in written:
            print(path)
    return 0


def add_plot_parsers(sub: Any) -> None:
    """Register the command's subparser on ``sub`` (argparse subparsers)."""
    plot = sub.add_parser(
        "plot", help="draw the figures of a results directory (docs/figures.md)",
        description="Draw every figure the results in DIR support (KPIs over time, "
                    "promoter shares, cohorts, comparisons, the satisfaction-retention "
                    "curve, failure sources, complaints, sweeps and sensitivity) and print "
                    "the paths written. Only files named FIGURE.FORMAT in the figures "
                    "directory are written or replaced.")
    plot.add_argument("directory", metavar="DIR",
                      help="a results directory written by spc run, compare or sweep")
    plot.add_argument("--out", metavar="FIGDIR",
                      help="where to write the figures (default DIR/figures)")
    plot.add_argument("--format", default="png,svg",
                      help="comma-separated file formats: png, svg, pdf (default png,svg)")
    plot.add_argument("--quiet", action="store_true",
                      help="print nothing but errors (no progress bar either)")
    plot.set_defaults(func=cmd_plot)
