"""``spc report``: one document that says what was run, what came out, and how to cite it.

:func:`write_report` reads a results directory of ``spc run``, ``compare`` or
``sweep`` and writes either one self-contained HTML file (figures embedded as
PNG data URIs, no network needed to open it) or Markdown with its figures as
PNG files beside it.  The report holds what was run (scenarios, the inputs in
which they differ, seeds, replications, warm-up, the manifest), the KPIs with
95 % intervals, the comparison verdicts, the sensitivity indices, the figures
of ``analysis.plots.all_figures`` and the STRESS-DES checklist (Monks et al.
2019) answered as far as the package knows.  See docs/report.md.
"""

from __future__ import annotations

import io
import shutil
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.report.content import (
    comparison_section,
    decision_section,
    kpi_section,
    sensitivity_section,
    slug,
    what_was_run,
)
from analysis.report.document import Figure, Paragraph, Report, Section
from analysis.report.render import to_html, to_markdown
from analysis.report.stress import stress_section
from analysis.report.study import KIND_TITLES, Study, load_study
from sim.errors import ResultsError, UserError
from sim.results.files import atomic_write_bytes

__all__ = ["FORMATS", "build_report", "load_study", "render_figures", "write_report"]

FORMATS = ("html", "md")
#: resolution of the embedded figures
DPI = 110


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its IHDR chunk."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def render_figures(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> list[Figure]:
    """Every figure the results support (``analysis.plots.all_figures``), as PNG."""
    from analysis.plots import all_figures

    figures = []
    for name, caption, fig in all_figures(tables, manifest):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        png = buffer.getvalue()
        figures.append(Figure(slug(name), caption, png, *png_size(png)))
    return figures


def title(study: Study) -> str:
    base = study.base["name"]
    if study.kind == "run":
        return f"{base}: one run"
    if study.kind == "replications":
        n = max(study.replications().values())
        return f"{base}: {n} replications"
    if study.kind == "compare":
        others = ", ".join(s["name"] for s in study.scenarios[1:])
        return f"{others} compared with {base}"
    spec = study.sweep
    return (f"Sweep {spec.get('name', base)}: {spec.get('design', '')} design, "
            f"{len(study.plan.get('points') or [])} points")


def build_report(study: Study, figures: list[Figure]) -> Report:
    """The report's sections, in reading order."""
    report = Report(title(study), f"spc report of {KIND_TITLES[study.kind]}, results in "
                                  f"{study.directory}, written {study.created()}")
    sections = [decision_section(study), what_was_run(study), kpi_section(study),
                comparison_section(study), sensitivity_section(study)]
    fig_section = Section("Figures", "figures")
    if figures:
        fig_section.blocks.extend(figures)
    else:
        fig_section.text("The results support no figure.")
    sections.append(fig_section)
    sections.append(stress_section(study))
    report.sections = [s for s in sections if s is not None]
    report.sections[0].blocks[:0] = [Paragraph((text,), "warning") for text in study.warnings()]
    return report


def _footer() -> str:
    from importlib import metadata

    try:
        version = metadata.version("spc")
    except metadata.PackageNotFoundError:
        version = "(not installed)"
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return f"Made by spc report (spc {version}) on {now}."


def _write_atomically(path: Path, data: bytes) -> None:
    """A temporary file beside ``path`` renamed into place, with the umask's permissions."""
    atomic_write_bytes(path, data)


def figures_dir(out: Path) -> Path:
    """Where the Markdown report keeps its figures: ``<stem>_figures`` beside it."""
    return out.with_name(f"{out.stem}_figures")


def _check_destination(out: Path, fmt: str, force: bool) -> None:
    taken = [p for p in ([out, figures_dir(out)] if fmt == "md" else [out]) if p.exists()]
    for p in taken:
        if p == out and p.is_dir():
            raise ResultsError(f"{out}: is a directory; give --out a file name")
    if taken and not force:
        raise ResultsError(f"{taken[0]}: a report already exists; use --force to replace it "
                           "or --out to write it elsewhere")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None


def write_report(directory: str | Path, out: str | Path | None = None, fmt: str = "html",
                 force: bool = False) -> Path:
    """Write the report of results directory ``directory``; returns the file written.

    ``out`` defaults to ``directory/report.html`` (or ``report.md``); an existing report
    is replaced only with ``force``.  Raises :class:`sim.errors.UserError` (a missing or
    unreadable results directory, an occupied destination) with one clear message.
    """
    if fmt not in FORMATS:
        raise UserError(f"report format {fmt!r}: allowed: {', '.join(FORMATS)}")
    study = load_study(directory)
    path = Path(out) if out is not None else study.directory / f"report.{fmt}"
    _check_destination(path, fmt, force)
    figures = render_figures(study.tables, study.manifest)
    report = build_report(study, figures)
    with _lock_if_inside(study.directory, path):
        return _write(report, figures, path, fmt)


def _lock_if_inside(root: Path, path: Path) -> Any:
    """The results directory's lock while the report is written into it."""
    import contextlib

    from sim.results.lock import ResultsLock, command_line

    if root.resolve() in path.resolve().parents:
        return ResultsLock(root, command_line())
    return contextlib.nullcontext()


def _write(report: Report, figures: list[Figure], path: Path, fmt: str) -> Path:
    """The report (and, for Markdown, its figures folder), each file written atomically."""
    try:
        if fmt == "html":
            _write_atomically(path, to_html(report, _footer()).encode("utf-8"))
            return path
        folder = figures_dir(path)
        if folder.is_dir():
            shutil.rmtree(folder)
        elif folder.exists():
            folder.unlink()
        if figures:
            folder.mkdir()
        for fig in figures:
            _write_atomically(folder / f"{fig.name}.png", fig.png)
        text = to_markdown(report, _footer(), lambda f: f"{folder.name}/{f.name}.png")
        _write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
    return path
