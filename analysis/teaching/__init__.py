"""The teaching experiments' results: headline numbers, tables, figures and pages.

>>> from sim.experiment.teaching import find_experiment, run_teaching   # doctest: +SKIP
>>> spec = find_experiment("2")
>>> run_teaching(spec, "results/rel")
>>> report = build_report(spec, "results/rel")
>>> report.finding.headline          # the numbers pinned by tests/test_teaching.py
>>> write_report(report, "results/rel", docs=True)   # results.md, figure, and the page
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.teaching.analyses import ANALYSES, Finding, analyse
from analysis.teaching.pages import (
    DOCS_DIR,
    figure_name,
    index_markdown,
    page_path,
    require_docs_dir,
    results_markdown,
    update_page,
)
from analysis.teaching.results import Results
from sim.experiment.teaching import TeachingSpec
from sim.results.files import atomic_write_text

RESULTS_PAGE = "results.md"
FIGURE = "figure.png"


@dataclass
class Report:
    """An experiment's finding and the generated part of its page."""

    spec: TeachingSpec
    finding: Finding
    markdown: str


def build_report(spec: TeachingSpec, directory: str | Path) -> Report:
    """Analyse the results stored in ``directory`` by :func:`run_teaching`."""
    res = Results.read(directory)
    finding = analyse(spec, res)
    return Report(spec, finding, results_markdown(spec, res, finding))


def write_report(report: Report, directory: str | Path, docs: bool = False,
                 docs_dir: Path = DOCS_DIR) -> list[Path]:
    """Write ``results.md`` and ``figure.png`` into the results directory and, with ``docs``,
    the page's generated part and its figure into ``docs_dir``; the paths written."""
    directory = Path(directory)
    atomic_write_text(directory / RESULTS_PAGE, report.markdown.replace(
        "](figures/" + figure_name(report.spec), "](" + FIGURE))
    report.finding.figure(directory / FIGURE)
    written = [directory / RESULTS_PAGE, directory / FIGURE]
    if docs:
        require_docs_dir(docs_dir)
        figure = docs_dir / "figures" / figure_name(report.spec)
        report.finding.figure(figure)
        written += [update_page(report.spec, report.markdown, docs_dir), figure]
    return written


def write_index(specs: list[TeachingSpec], docs_dir: Path = DOCS_DIR) -> Path:
    """Regenerate ``docs/experiments/index.md``."""
    path = require_docs_dir(docs_dir) / "index.md"
    atomic_write_text(path, index_markdown(specs))
    return path


__all__ = ["ANALYSES", "DOCS_DIR", "Finding", "Report", "Results", "build_report",
           "index_markdown", "page_path", "write_index", "write_report"]
