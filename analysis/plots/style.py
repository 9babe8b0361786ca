"""The look shared by every figure: seaborn style, colour-blind-safe palette, labels with units.

Figures are built as :class:`matplotlib.figure.Figure` objects, not through
``pyplot``, so that making one changes no global state (no backend is chosen,
no figure is registered); the seaborn style applies only inside :func:`styled`.
"""

from __future__ import annotations

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
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, ScalarFormatter
from scipy import stats

from sim import kpis
from sim.statistics.intervals import t_interval, within
from sim.statistics.output_analysis import kpi_bounds

PALETTE = "colorblind"
"""Categorical colours (scenarios, sources, verdicts): seaborn's colour-blind-safe set."""

ORDERED_PALETTE = "viridis"
"""Colours for an ordered quantity (competition intensity, heatmaps): perceptually uniform."""

MIN_WIDTH = 7.5
"""Narrowest figure (inches): room for a title and a legend below."""

SHADE = "0.85"
"""Grey of the warm-up span."""

BIG = 1e4
"""Axes reaching this magnitude get compact tick labels (12k, 1.5M) instead of an offset."""


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
    """Break a tick label or title over lines so that neighbours do not overlap."""
    return "\n".join(textwrap.wrap(text, width)) or text


def compact(value: float) -> str:
    """A number for a tick or a cell: ``-48k``, ``1.2M``, ``0.804``."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= BIG:
        return f"{value / 1e3:.3g}k"
    if size >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def compact_ticks(ax: Axes, axis: str = "y") -> None:
    """Compact tick labels on ``axis`` if its numbers are large (no ``1e5`` offset text)."""
    low, high = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target = ax.yaxis if axis == "y" else ax.xaxis
    if max(abs(low), abs(high)) >= BIG:
        target.set_major_formatter(FuncFormatter(lambda v, _pos: compact(v)))
    else:
        formatter = target.get_major_formatter()
        if isinstance(formatter, ScalarFormatter):
            formatter.set_useOffset(False)


def colours(n: int) -> list[tuple[float, float, float]]:
    """``n`` categorical colours (the colour-blind palette repeats after ten)."""
    base = sns.color_palette(PALETTE)
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
          "axes.prop_cycle": cycler(color=sns.color_palette(PALETTE)),
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
    """Rows and columns for ``n`` panels."""
    cols = min(n, max_cols)
    return -(-n // cols), cols


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


def figure_legend(fig: Figure, ax: Axes, title: str | None = None, ncols: int = 4) -> None:
    """One legend for the whole figure, below the panels, from ``ax``'s handles."""
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
               ncols=min(ncols, len(seen)), title=title)
