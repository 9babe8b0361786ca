"""Figures of a sweep: response curves, two-factor heatmaps, sensitivity indices."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from analysis.plots import results
from analysis.plots.results import short_factor
from analysis.plots.style import (
    ORDERED_PALETTE,
    colours,
    compact,
    compact_ticks,
    drop_legend,
    figure_legend,
    heading,
    hide_unused,
    label,
    new_figure,
    styled,
    title,
    unit,
    wrap,
)

MAX_LEVELS = 7
"""A factor with more distinct values than this is binned (quantiles) for means and heatmaps."""

MAX_PAIRS = 6
"""Most two-factor heatmaps drawn (the first pairs in the sweep file's order)."""


SHARE_INDICES = frozenset({"S1", "ST", "main_effect", "SRC2"})
"""Indices that are shares of variance (the others, Morris's, are in the KPI's units)."""

INDEX_LABELS = {
    "S1": "first-order S1", "ST": "total-effect ST", "main_effect": "main effect (eta²)",
    "SRC2": "squared standardized regression coefficient", "mu_star": "mu* (mean |effect|)",
    "mu": "mu (mean effect)", "sigma": "sigma (spread of effects)",
}


def point_means(summary: pd.DataFrame, factors: list[str], kpis: list[str]) -> pd.DataFrame:
    """One row per design point: its factor values and the mean of each KPI over its
    replications."""
    return summary.groupby("point")[[*factors, *kpis]].mean(numeric_only=True).reset_index()


def levels(values: pd.Series) -> pd.Series:
    """A factor's values, or for more than :data:`MAX_LEVELS` distinct ones the midpoint of
    their quantile bin."""
    if values.nunique() <= MAX_LEVELS:
        return values
    bins = pd.qcut(values, 5, duplicates="drop")
    return bins.map(lambda b: round(float(b.mid), 4)).astype(float)


@styled
def sweep_response(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Figure | None:
    """Each KPI against each factor: the design points' means (dots) and the mean over
    the points at each level, or quantile bin, of the factor (line)."""
    summary = tables.get("summary")
    factors = results.sweep_factors(manifest, tables)
    kpis = results.sweep_kpis(manifest, tables)
    if summary is None or not factors or not kpis:
        return None
    factors = [f for f in factors if f in summary.columns
               and pd.api.types.is_numeric_dtype(summary[f])]
    if not factors:
        return None
    means = point_means(summary, factors, kpis)
    fig, axes = new_figure(len(kpis), len(factors), panel=(3.4, 2.4), sharex="col",
                           sharey="row")
    palette = colours(len(factors))
    for i, kpi in enumerate(kpis):
        for j, factor in enumerate(factors):
            ax = axes[i, j]
            sns.scatterplot(data=means, x=factor, y=kpi, color=palette[j], alpha=0.45, s=22,
                            ax=ax, label="design point" if i == j == 0 else None)
            level_means = means.assign(level=levels(means[factor])).groupby("level")[kpi].mean()
            ax.plot(level_means.index, level_means.to_numpy(), "-o", color=palette[j], lw=2,
                    ms=4, label="mean over the other factors" if i == j == 0 else None,
                    gid=f"response {kpi} {factor}")
            ax.set_xlabel(short_factor(factor) if i == len(kpis) - 1 else "")
            ax.set_ylabel(wrap(label(kpi, summary=True), 22) if j == 0 else "")
            compact_ticks(ax)
            drop_legend(ax)
    figure_legend(fig, axes[0, 0])
    heading(fig, f"Response of each KPI to each factor ({len(means)} design points, "
                 "means over replications)")
    return fig


def factor_pairs(factors: list[str]) -> list[tuple[str, str]]:
    return list(itertools.combinations(factors, 2))[:MAX_PAIRS]


@styled
def sweep_heatmap(tables: dict[str, pd.DataFrame], manifest: dict[str, Any],
                  pair: tuple[str, str]) -> Figure | None:
    """Each KPI over two factors: the mean of the design points' means in each cell
    (averaged over any other factors; binned by quantiles if a factor has many values)."""
    summary = tables.get("summary")
    kpis = results.sweep_kpis(manifest, tables)
    x, y = pair
    if summary is None or not kpis or x not in summary.columns or y not in summary.columns:
        return None
    means = point_means(summary, [x, y], kpis)
    means = means.assign(**{x: levels(means[x]), y: levels(means[y])})
    n = len(kpis)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = new_figure(rows, cols, panel=(3.9, 3.2))
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        table = means.pivot_table(index=y, columns=x, values=kpi, aggfunc="mean")
        table = table.sort_index(ascending=False)
        annot = table.map(compact) if table.size <= 49 else False
        sns.heatmap(table, ax=ax, cmap=ORDERED_PALETTE, annot=annot, fmt="",
                    annot_kws={"fontsize": "x-small"},
                    cbar_kws={"label": unit(kpi, summary=True) or "KPI",
                              "format": FuncFormatter(lambda v, _pos: compact(v))})
        ax.set_title(title(kpi))
        ax.grid(False)
        ax.set_xlabel(short_factor(x))
        ax.set_ylabel(short_factor(y))
        ax.set_xticks(ax.get_xticks(), [f"{v:.3g}" for v in table.columns], rotation=0)
        ax.set_yticks(ax.get_yticks(), [f"{v:.3g}" for v in table.index], rotation=0)
    hide_unused(axes, n)
    heading(fig, f"KPIs over {short_factor(x)} and {short_factor(y)} (mean over replications"
                 " and any other factors)")
    return fig


CONF_LABEL = "95 % interval over design points (SALib)"
BOOTSTRAP_LABEL = "95 % bootstrap interval over replications"
INVALID_LABEL = "invalid: outside its range beyond its interval"
BOOTSTRAP_COLOUR = "0.45"
INVALID_COLOUR = "#c0392b"


def _column(part: pd.DataFrame, name: str, fill: Any = np.nan) -> np.ndarray:
    """A column of ``part`` (``fill`` where an older table has none)."""
    return part[name].to_numpy() if name in part else np.full(len(part), fill)


def _index_bars(ax: Any, part: pd.DataFrame, ys: np.ndarray, height: float, colour: Any,
                label_text: str, gid: str) -> set[str]:
    """One index's bars with SALib's interval (error bars), the bootstrap interval over
    replications (a grey line just below the bar's middle) and invalid ones hatched;
    which of the three were drawn."""
    values = part["value"].to_numpy(float)
    ax.barh(ys, values, height=height * 0.9, color=colour, label=label_text, gid=gid)
    drawn = set()
    conf = _column(part, "conf").astype(float)
    has_conf = np.isfinite(conf) & np.isfinite(values)
    if has_conf.any():
        bars = ax.errorbar(values[has_conf], ys[has_conf], xerr=conf[has_conf], fmt="none",
                           ecolor="black", elinewidth=1.1, capsize=2.5)
        for lines in bars.lines[2]:
            lines.set_gid(f"conf {gid}")
        drawn.add(CONF_LABEL)
    low, high = _column(part, "low").astype(float), _column(part, "high").astype(float)
    for yv, lo, hi in zip(ys + height * 0.22, low, high, strict=True):
        if np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [yv, yv], color=BOOTSTRAP_COLOUR, lw=2.2, solid_capstyle="butt",
                    gid=f"bootstrap {gid}")
            drawn.add(BOOTSTRAP_LABEL)
    invalid = np.array([bool(v) and v == v for v in _column(part, "invalid", "")])
    if invalid.any():
        ax.barh(ys[invalid], values[invalid], height=height * 0.9, fill=False, hatch="///",
                edgecolor=INVALID_COLOUR, lw=1.2, gid=f"invalid {gid}")
        drawn.add(INVALID_LABEL)
    return drawn


def _interval_legend(ax: Any, drawn: set[str]) -> None:
    """Legend entries (on ``ax``, for :func:`figure_legend`) for the intervals and flags
    actually drawn, none for the others."""
    if CONF_LABEL in drawn:
        ax.plot([], [], color="black", lw=1.1, marker="|", markersize=7, label=CONF_LABEL)
    if BOOTSTRAP_LABEL in drawn:
        ax.plot([], [], color=BOOTSTRAP_COLOUR, lw=2.2, label=BOOTSTRAP_LABEL)
    if INVALID_LABEL in drawn:  # a proxy of no size at the origin, inside the axes' limits
        ax.add_patch(Rectangle((0.0, 0.0), 0.0, 0.0, fill=False, hatch="///",
                               edgecolor=INVALID_COLOUR, label=INVALID_LABEL))


@styled
def sensitivity_indices(sensitivity: pd.DataFrame) -> Figure | None:
    """The sensitivity indices of every KPI to every factor (bars), one panel per KPI, the
    noise share in its title, with the intervals the table has: SALib's over design
    points (error bars; Sobol' and Morris mu*), the bootstrap over replications (grey
    lines), and invalid Sobol' indices hatched.  The legend lists only what is drawn."""
    if sensitivity.empty or not {"kpi", "factor", "index", "value"} <= set(sensitivity.columns):
        return None
    if "invalid" not in sensitivity and {"conf", "n_points"} <= set(sensitivity.columns):
        from sim.statistics.sensitivity import mark_invalid  # lazy: SALib; older results

        sensitivity = mark_invalid(sensitivity)
    kpis = list(dict.fromkeys(sensitivity["kpi"]))
    factors = list(dict.fromkeys(sensitivity["factor"]))
    indices = list(dict.fromkeys(sensitivity["index"]))
    cols = min(len(kpis), 3)
    nrows = -(-len(kpis) // cols)
    shares = set(indices) <= SHARE_INDICES  # comparable across KPIs
    fig, axes = new_figure(nrows, cols, panel=(3.4, 0.45 * len(factors) * len(indices) + 1.4),
                           sharex=shares)
    palette = colours(len(indices))
    height = 0.8 / len(indices)
    drawn: set[str] = set()
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        one = sensitivity[sensitivity["kpi"] == kpi]
        for k, index in enumerate(indices):
            part = one[one["index"] == index].set_index("factor").reindex(factors)
            ys = np.arange(len(factors)) - 0.4 + height * (k + 0.5)
            drawn |= _index_bars(ax, part, ys, height, palette[k],
                                 INDEX_LABELS.get(index, index), f"index {kpi} {index}")
        ax.set_yticks(range(len(factors)), [wrap(short_factor(f), 14) for f in factors])
        ax.invert_yaxis()
        ax.axvline(0.0, color="0.3", lw=0.8)
        noise = one["noise_share"].dropna() if "noise_share" in one else pd.Series([])
        ax.set_title(title(kpi) + (f"\nnoise share {noise.iloc[0]:.2f}" if len(noise) else ""))
        ax.set_xlabel("share of variance" if shares else "index (KPI units for mu)")
        ax.tick_params(axis="x", labelbottom=True)  # every panel has its own x labels
        compact_ticks(ax, "x")
    hide_unused(axes, len(kpis))
    first = axes.flat[0]
    _interval_legend(first, drawn)
    figure_legend(fig, first, ncols=3)
    heading(fig, "Sensitivity indices" + (" with their intervals" if drawn - {INVALID_LABEL}
                                          else " (no intervals: one replication, no SALib "
                                               "interval for this design)"))
    return fig
