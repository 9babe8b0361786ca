"""``spc report``: one document that says what was run, what came out, and how to cite it.

:func:`write_report` reads a results directory of ``spc run``, ``compare`` or
``sweep`` and writes either one self-contained HTML file (figures embedded as
data URIs, no network needed to open it) or Markdown with its figures as
files beside it.  A comparison's report opens with the decision and its
headline figure; then what was run (scenarios, the inputs in which they
differ, seeds, replications, warm-up, the manifest), the KPIs with 95 %
intervals, the comparison verdicts, the sensitivity indices, the figures of
``analysis.plots`` (read back from ``DIR/figures`` where ``spc plot`` saved
them, drawn otherwise: ``analysis.report.figures``) and the STRESS-DES
checklist (Monks et al. 2019) answered as far as the package knows.  See
docs/report.md.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.report.content import (
    calibrate_section,
    comparison_section,
    decision_section,
    kpi_section,
    optimize_section,
    sensitivity_section,
    what_was_run,
)
from analysis.report.document import Figure, Paragraph, Report, Section
from analysis.report.figures import HEADLINE, Progress, report_figures
from analysis.report.render import to_html, to_markdown
from analysis.report.stress import stress_section
from analysis.report.study import KIND_TITLES, Study, load_study
from sim.errors import ResultsError, UserError
from sim.results.files import atomic_write_bytes

__all__ = ["FORMATS", "build_report", "load_study", "report_figures", "write_report"]

FORMATS = ("html", "md")


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
    if study.kind == "optimize":
        return f"{base}: the best policy on {study.plan.get('objective', '')}"
    if study.kind == "calibrate":
        data = (study.manifest.get("calibrate") or {}).get("data_file", "data")
        return f"{base} calibrated to {Path(str(data)).name}"
    spec = study.sweep
    return (f"Sweep {spec.get('name', base)}: {spec.get('design', '')} design, "
            f"{len(study.plan.get('points') or [])} points")


def build_report(study: Study, figures: list[Figure], folder: Path | None = None) -> Report:
    """The report's sections, in reading order: the answers first, so that the first
    screen answers (a comparison's decision with the headline figure among ``figures``,
    then the other figures, the KPIs and comparisons; without a decision, the KPIs and
    sensitivity, then the figures); what was run and the checklist after them.  Links to
    the documentation are relative to ``folder``, where the report is written (default:
    the results directory)."""
    where = study.directory if folder is None else folder
    report = Report(title(study), f"spc report of {KIND_TITLES[study.kind]}")
    headline = [f for f in figures if f.name == HEADLINE]
    fig_section = Section("Figures", "figures")
    shown = [f for f in figures if f.name != HEADLINE]
    if shown:
        fig_section.blocks.extend(shown)
    else:
        fig_section.text("The results support no figure.")
    decision = (optimize_section(study) if study.kind == "optimize"
                else calibrate_section(study) if study.kind == "calibrate"
                else decision_section(study, headline[0] if headline else None))
    tables = [] if study.kind in ("optimize", "calibrate") else [
        kpi_section(study, where), comparison_section(study), sensitivity_section(study)]
    answers = [decision, fig_section, *tables] if decision else [*tables, fig_section]
    sections = [*answers, what_was_run(study), stress_section(study, where)]
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
                 force: bool = False, progress: Progress | None = None) -> Path:
    """Write the report of results directory ``directory``; returns the file written.

    ``out`` defaults to ``directory/report.html`` (or ``report.md``); an existing report
    is replaced only with ``force``.  The figures ``spc plot`` saved in
    ``directory/figures`` are reused, the others drawn; ``progress`` wraps the figures
    as they are made (``spc report`` shows a tqdm bar).  Raises
    :class:`sim.errors.UserError` (a missing or unreadable results directory, an
    occupied destination) with one clear message.
    """
    if fmt not in FORMATS:
        raise UserError(f"report format {fmt!r}: allowed: {', '.join(FORMATS)}")
    study = load_study(directory)
    path = Path(out) if out is not None else study.directory / f"report.{fmt}"
    _check_destination(path, fmt, force)
    figures = report_figures(study, progress)
    report = build_report(study, figures, path.parent)
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
            _write_atomically(folder / f"{fig.name}.{fig.suffix}", fig.data)
        text = to_markdown(report, _footer(), lambda f: f"{folder.name}/{f.name}.{f.suffix}")
        _write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
    return path
