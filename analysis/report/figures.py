"""The report's figures: those ``spc plot`` saved read back, the missing ones drawn.

Drawing every figure of a large comparison takes tens of seconds, and ``spc plot``
has often drawn them already into ``DIR/figures``.  :func:`report_figures` takes
each figure that ``analysis.plots.figure_makers`` lists from there (PNG, else SVG)
when the file is at least as new as the results (the manifest and the consolidated
tables), and draws only the others; the headline figure of a comparison
(``analysis.report.headline``) is always drawn, being the report's own.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable, Iterable
from pathlib import Path

from matplotlib.figure import Figure as MplFigure

from analysis.report.document import Figure
from analysis.report.headline import STEM as HEADLINE
from analysis.report.headline import caption as headline_caption
from analysis.report.headline import headline_figure
from analysis.report.study import Study

#: resolution of the figures the report draws; a figure read back is shown at the same
#: size in CSS pixels (its inches times this), so drawn and saved ones look alike
DPI = 110
#: ``spc plot``'s default folder inside a results directory
SAVED = "figures"
#: the file formats read back, in order of preference
SAVED_FORMATS = ("png", "svg")

Step = tuple[str, str, Callable[[], MplFigure | None]]
#: a progress hook: takes the steps (one per figure) and yields them back, e.g. tqdm
Progress = Callable[[list[Step]], Iterable[Step]]


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its IHDR chunk."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def png_dpi(png: bytes) -> float | None:
    """The resolution a PNG records (its pHYs chunk, in pixels per metre), if any."""
    at = 8
    while at + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        if kind == b"pHYs" and length == 9:
            per_metre, _y, unit = struct.unpack(">IIB", png[at + 8:at + 17])
            return per_metre * 0.0254 if unit == 1 and per_metre > 0 else None
        if kind in (b"IDAT", b"IEND"):
            return None
        at += 12 + length
    return None


_SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', re.S)


def svg_inches(svg: bytes) -> tuple[float, float] | None:
    """Width and height of a matplotlib SVG (given in points) in inches."""
    match = _SVG_SIZE.search(svg[:4000])
    return (float(match[1]) / 72.0, float(match[2]) / 72.0) if match else None


def drawn(name: str, caption: str, fig: MplFigure) -> Figure:
    """A matplotlib figure as the report's PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    png = buffer.getvalue()
    return Figure(name, caption, png, *png_size(png))


def read_saved(path: Path, name: str, caption: str) -> Figure | None:
    """A figure file of ``spc plot`` shown at the size the report would draw it (None if
    its size cannot be read)."""
    data = path.read_bytes()
    if path.suffix == ".png":
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            return None
        width, height = png_size(data)
        scale = DPI / (png_dpi(data) or DPI)
        return Figure(name, caption, data, round(width * scale), round(height * scale))
    inches = svg_inches(data)
    if inches is None:
        return None
    return Figure(name, caption, data, round(inches[0] * DPI), round(inches[1] * DPI), "svg")


def results_time(directory: Path) -> float:
    """When the results last changed: the newest of the manifest and the consolidated
    tables (the files of the directory itself that are not reports)."""
    times = [p.stat().st_mtime for p in directory.iterdir()
             if p.is_file() and p.suffix in (".json", ".parquet", ".csv")]
    return max(times, default=0.0)


def saved_file(folder: Path, stem: str, newer_than: float) -> Path | None:
    """``folder/stem.png`` (else ``.svg``) if it is there and not older than the results."""
    for fmt in SAVED_FORMATS:
        path = folder / f"{stem}.{fmt}"
        if path.is_file() and path.stat().st_mtime >= newer_than:
            return path
    return None


def steps(study: Study) -> list[Step]:
    """The figures of the report in order: the headline figure of a comparison (shown in
    its decision section), then every figure of ``analysis.plots.figure_makers``."""
    from analysis.plots import figure_makers
    from analysis.report.content import currency

    out: list[Step] = []
    decision = study.tables.get("decision")
    if decision is not None and not decision.empty:
        base = str(study.base["name"])
        objective = str(decision["objective"].iloc[0])
        out.append((HEADLINE, headline_caption(objective, base),
                    lambda: headline_figure(decision, base, currency(study))))
    return out + figure_makers(study.tables, study.manifest)


def report_figures(study: Study, progress: Progress | None = None) -> list[Figure]:
    """Every figure the report shows: each one ``spc plot`` saved in ``DIR/figures`` (and
    that is not older than the results) read back, the others drawn; ``progress`` wraps
    the steps, one per figure."""
    from analysis.report.content import slug

    folder = study.directory / SAVED
    newer_than = results_time(study.directory)
    todo = steps(study)
    figures = []
    for stem, caption, make in (progress(todo) if progress else todo):
        path = saved_file(folder, stem, newer_than) if stem != HEADLINE else None
        figure = read_saved(path, slug(stem), caption) if path is not None else None
        if figure is None:
            fig = make()
            figure = drawn(slug(stem), caption, fig) if fig is not None else None
        if figure is not None:
            figures.append(figure)
    return figures
