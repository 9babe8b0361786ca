"""The look shared by every figure: seaborn style, colour-blind-safe palette, labels with units.

Every colour a figure uses comes from here: :data:`PALETTE` for scenarios, design points,
sources and verdicts, :data:`ORDERED_PALETTE` for ordered quantities.

Figures are built as :class:`matplotlib.figure.Figure` objects, not through
``pyplot``, so that making one changes no global state (no backend is chosen,
no figure is registered); the seaborn style applies only inside :func:`styled`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter
from scipy import stats

from sim import kpis
from sim.statistics.intervals import t_interval, within
from sim.statistics.output_analysis import kpi_bounds

BLUE, RED, GREEN, YELLOW = "#4477AA", "#EE6677", "#228833", "#CCBB44"
CYAN, PURPLE, BLACK, GREY = "#66CCEE", "#AA3377", "#000000", "#BBBBBB"
INDIGO, TEAL = "#332288", "#44AA99"

PALETTE: tuple[str, ...] = (BLUE, RED, GREEN, YELLOW, CYAN, PURPLE, BLACK, GREY, INDIGO, TEAL)
"""Categorical colours (scenarios, design points, sources, verdicts), in the order they are
handed out: Paul Tol's colour-blind-safe *bright* scheme and black (Tol 2021), then two of
his *muted* scheme.  The first :data:`DISTINCT` stay apart for normal, deuteranope and
protanope vision alike (unlike seaborn's ``colorblind``, whose orange and vermillion sit
close); all ten stay apart for normal vision.  ``tests/test_plots.py`` measures it."""

DISTINCT = 8
"""How many of :data:`PALETTE`'s colours stay distinct with colour-blind vision too."""

ORDERED_PALETTE = "viridis"
"""Colours for an ordered quantity (competition intensity, heatmaps): perceptually uniform."""

MIN_WIDTH = 7.5
"""Narrowest figure (inches): room for a title and a legend below."""

SHADE = "0.85"
"""Grey of the warm-up span."""

BIG = 1e4
"""Axes reaching this magnitude get compact tick labels (12k, 1.5M) instead of an offset."""

SMALL = 1e-3
"""Axes that stay below this magnitude get tick labels like ``2e-5`` instead of a
``1e-5`` multiplier at the axis end, which is easy to miss."""


def _table(summary: bool) -> str:
    """The registry table a figure's values come from: the run summary or the period rows."""
    return "summary" if summary else "periods"


def label(kpi: str, summary: bool = False) -> str:
    """``"Mean wait (hours)"``: a KPI's axis label with its unit, from the KPI registry
    (``sim/kpis.py``; summary money is per year, period money per period)."""
    name, shown = title(kpi, summary), unit(kpi, summary)
    return f"{name} ({shown})" if shown else name


def title(kpi: str, summary: bool = False) -> str:
    """A KPI's readable name, without unit."""
    return kpis.label(kpi, _table(summary))


def unit(kpi: str, summary: bool = False) -> str:
    """A KPI's unit ("" if it has none or is unknown)."""
    return kpis.unit(kpi, _table(summary))


def wrap(text: str, width: int = 18) -> str:
    """Break a tick label or title over lines so that neighbours do not overlap: only at
    spaces and after underscores (``competition_intense`` -> ``competition_`` /
    ``intense``), never inside a word; a piece longer than ``width`` keeps its own line."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        for i, piece in enumerate(re.split(r"(?<=_)(?=[^_])", word)):
            joined = f"{line} {piece}" if line and i == 0 else line + piece
            if line and len(joined) > width:
                lines.append(line)
                line = piece
            else:
                line = joined
    return "\n".join([*lines, line]) if line else text


def compact(value: float) -> str:
    """A number for a tick or a cell: ``-48k``, ``1.2M``, ``0.804``, ``-2e-5``."""
    size = abs(value)
    if 0 < size < SMALL:
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{value:.2g}")
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= BIG:
        return f"{value / 1e3:.3g}k"
    if size >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def compact_ticks(ax: Axes, axis: str = "y") -> None:
    """Compact tick labels on ``axis`` if its numbers are large or tiny (no ``1e5`` offset
    or ``1e-7`` multiplier text)."""
    low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target = ax.yaxis if axis == "y" else ax.xaxis
    size = max(abs(low), abs(high))
    if size >= BIG or 0 < size < SMALL:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: compact(v)))
        if size < SMALL:  # labels like -2.5e-7 are wide: fewer of them
            target.set_major_locator(MaxNLocator(nbins=4))
    else:
        formatter = target.get_major_formatter()
        if isinstance(formatter, ScalarFormatter):
            formatter.set_useOffset(False)


def colours(n: int) -> list[tuple[float, float, float]]:
    """``n`` categorical colours from :data:`PALETTE` (it repeats after ten)."""
    base = [to_rgb(c) for c in PALETTE]
    return [base[i % len(base)] for i in range(n)]


def ordered_colours(n: int) -> list[tuple[float, float, float]]:
    """``n`` colours along the ordered palette, end points excluded (readable on white)."""
    return list(sns.color_palette(ORDERED_PALETTE, n + 1))[:n]


def t_band(values: Sequence[float] | np.ndarray,
           bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float]:
    """The 95 % Student-t interval of a mean across replications, as seaborn's ``errorbar``,
    truncated to ``bounds``.

    With one replication it is NaN (nothing is drawn)."""
    iv = within(t_interval(values), bounds)
    return iv.low, iv.high


def mean_band(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of ``by``: the mean of ``value`` across replications and its 95 % Student-t
    interval (``low``, ``high``; NaN with one replication), as
    :func:`sim.statistics.intervals.t_interval` computes it, vectorised over the groups."""
    grouped = frame.dropna(subset=[value]).groupby(by, sort=True)[value]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    n = out["count"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        quantile = stats.t.ppf(0.975, np.where(n >= 2, n - 1, np.nan))
        half = quantile * out["std"].to_numpy(float) / np.sqrt(n)
    low, high = kpi_bounds(value)  # truncated to the KPI's range, as sim.statistics does
    return out.assign(low=(out["mean"] - half).clip(lower=low, upper=high),
                      high=(out["mean"] + half).clip(lower=low, upper=high))


def bars(ax: Axes, data: pd.DataFrame, x: str, y: str, hue: str, order: list[str],
         groups: list[str], bounds: tuple[float, float], gid: str = "bars") -> None:
    """Bars of the mean of ``y`` at each ``x`` (in ``order``), one per ``hue`` group (in
    :data:`PALETTE`'s order), with the 95 % Student-t interval across replications
    truncated to ``bounds`` (the KPI's range); the bars of group ``g`` have gid
    ``"{gid} {g}"``.  Seaborn's legend is removed (the figure gets one)."""
    palette = colours(len(groups))
    sns.barplot(data=data, x=x, y=y, hue=hue, order=order, hue_order=groups,
                palette=palette, saturation=1.0, estimator="mean",
                errorbar=lambda values: t_band(values, bounds),
                capsize=0.15, err_kws={"linewidth": 1.2}, ax=ax)
    for container in ax.containers:  # name each group's bars (by colour: robust)
        face = to_rgb(container[0].get_facecolor()) if len(container) else None
        group = next((g for g, c in zip(groups, palette, strict=True)
                      if face is not None and np.allclose(face, c)), None)
        for patch in container:
            patch.set_gid(f"{gid} {group}")
    _label_flat_bars(ax)
    if bounds[0] == 0.0:
        ax.set_ylim(bottom=0.0)
    drop_legend(ax)


def _label_flat_bars(ax: Axes) -> None:
    """Write the value on bars too low to see (at most 1 % of the tallest; all of them
    when every bar is 0), so that a measured 0 does not read as a missing bar."""
    patches = [p for c in ax.containers for p in c
               if isinstance(p, Rectangle) and np.isfinite(p.get_height())]
    top = max((abs(p.get_height()) for p in patches), default=0.0)
    for patch in patches:
        height = patch.get_height()
        if abs(height) <= 0.01 * top or top == 0.0:
            ax.annotate(compact(height), (patch.get_x() + patch.get_width() / 2, height),
                        xytext=(0, 2), textcoords="offset points", ha="center",
                        va="bottom", fontsize="x-small", gid=f"{patch.get_gid()} value")


MAX_BANDS = 4
"""With more lines than this, bands are left out: they would hide one another."""


def band_plot(ax: Axes, bands: pd.DataFrame, x: str, groups: list[str], group: str,
              gid: str, **line_kw: Any) -> None:
    """One line (the mean) and band (the interval) per group, in the categorical palette;
    the band of group ``g`` has gid ``"{gid} band {g}"`` and its line ``"{gid} mean {g}"``.
    With more than :data:`MAX_BANDS` groups, or one replication, only the lines are drawn."""
    for colour, name in zip(colours(len(groups)), groups, strict=True):
        one = bands[bands[group] == name].sort_values(x)
        if one.empty:
            continue
        if len(groups) <= MAX_BANDS and one["low"].notna().any():
            ax.fill_between(one[x], one["low"], one["high"], color=colour, alpha=0.2, lw=0,
                            gid=f"{gid} band {name}")
        ax.plot(one[x].to_numpy(), one["mean"].to_numpy(), color=colour, label=name, lw=1.8,
                ms=4, gid=f"{gid} mean {name}", **line_kw)


P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def _style() -> Iterator[None]:
    rc = {**sns.axes_style("whitegrid"), **sns.plotting_context("notebook", font_scale=0.85),
          "axes.prop_cycle": cycler(color=list(PALETTE)),
          "legend.frameon": False, "svg.hashsalt": "spc", "figure.dpi": 100}
    with mpl.rc_context(rc):
        yield


def styled(build: Callable[P, R]) -> Callable[P, R]:
    """Build the figure inside the package's seaborn style (global settings untouched)."""

    @wraps(build)
    def inner(*args: P.args, **kwargs: P.kwargs) -> R:
        with _style():
            return build(*args, **kwargs)

    return inner


def new_figure(rows: int, cols: int, panel: tuple[float, float] = (3.6, 2.6),
               **subplot_kw: Any) -> tuple[Figure, np.ndarray]:
    """A constrained-layout figure of ``rows`` x ``cols`` panels of size ``panel`` (inches)."""
    width = max(panel[0] * cols + 0.4, MIN_WIDTH)
    fig = Figure(figsize=(width, panel[1] * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **subplot_kw)
    return fig, axes


def heading(fig: Figure, text: str) -> None:
    """The figure's title, wrapped to its width (constrained layout does not shrink it)."""
    chars = max(int(fig.get_figwidth() * 10.5), 30)
    fig.suptitle("\n".join(textwrap.fill(line, chars) for line in text.split("\n")))


def grid(n: int, max_cols: int = 3) -> tuple[int, int]:
    """Rows and columns for ``n`` panels, at most ``max_cols`` wide and as few empty slots
    as that allows (four panels in 2 x 2, not 2 x 3 with two blank)."""
    rows = -(-n // min(max(n, 1), max_cols))
    return rows, -(-n // rows) if n else 1


def hide_unused(axes: np.ndarray, used: int, xlabel: str | None = None) -> None:
    """Hide the panels after the first ``used``; with ``xlabel``, label the x axis of the
    lowest visible panel of each column only (with its tick labels shown)."""
    for ax in axes.flat[used:]:
        ax.set_visible(False)
    if xlabel is None:
        return
    for col in range(axes.shape[1]):
        visible = [ax for ax in axes[:, col] if ax.get_visible()]
        for ax in visible:
            ax.set_xlabel("")
        if visible:
            visible[-1].set_xlabel(xlabel)
            visible[-1].tick_params(axis="x", labelbottom=True)


def drop_legend(ax: Axes) -> None:
    """Remove the legend seaborn put on a panel (the figure gets one legend)."""
    legend = ax.get_legend()
    if legend is not None:
        legend.remove()


CHAR_WIDTH = 0.08
"""Rough width of a legend character (inches) in the package's style, for fitting columns."""


def legend_columns(fig: Figure, labels: Sequence[str], most: int) -> int:
    """How many legend columns of ``labels`` fit across ``fig`` (at most ``most``): long
    labels (design points) get fewer columns instead of running off the figure."""
    column = CHAR_WIDTH * max((len(lab) for lab in labels), default=1) + 0.7
    return max(1, min(most, len(labels), int(fig.get_figwidth() // column)))


def figure_legend(fig: Figure, ax: Axes, title: str | None = None, ncols: int = 4) -> None:
    """One legend for the whole figure, below the panels, from ``ax``'s handles, in as
    many columns (up to ``ncols``) as fit across the figure."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    seen: dict[str, Any] = {}
    for h, lab in zip(handles, labels, strict=True):
        if not lab.startswith("_"):
            seen.setdefault(lab, h)
    for key in [k for k in seen if "warm-up" in k]:  # the data first
        seen[key] = seen.pop(key)
    fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
               ncols=legend_columns(fig, list(seen), ncols), title=title)
