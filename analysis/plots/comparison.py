"""The comparison forest plot: paired differences against the base, with 95 % intervals."""

from __future__ import annotations

from typing import Any

import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from analysis.plots.style import (
    compact_ticks,
    grid,
    heading,
    hide_unused,
    new_figure,
    styled,
    title,
    unit,
    wrap,
)
from sim.kpis import Kind, summary_kpis
from sim.statistics.output_analysis import ID_COLUMNS, NO_DIFFERENCE

HEADLINE_KPIS = (
    "retention_rate", "promoter_share", "nps", "satisfaction_index", "promoter_conversion",
    "failure_rate", "complaint_share", "recovery_rate", "mean_wait", "provider_turnover",
    "profit", "clv",
)
"""The KPIs of the forest plot by default (one panel each), where compared."""

NOT_KPIS = ID_COLUMNS | {k.name for k in summary_kpis().values() if k.kind is Kind.SETTING}
"""Identifiers and settings that a comparison table may list but that are not outcomes."""

_PALETTE = sns.color_palette("colorblind")
VERDICT_COLOURS = {
    "better": _PALETTE[0],
    "worse": _PALETTE[3],
    "higher": _PALETTE[4],
    "lower": _PALETTE[1],
    NO_DIFFERENCE: _PALETTE[7],
}
"""Colour of each verdict (blue better, vermillion worse, grey no clear difference)."""


def forest_rows(comparisons: pd.DataFrame, kpis: tuple[str, ...] | None = None
                ) -> pd.DataFrame:
    """The rows the forest plot draws: outcome KPIs only, ``kpis`` (default the headline
    ones present, else all) in that order."""
    rows = comparisons[~comparisons["kpi"].isin(NOT_KPIS)]
    wanted = [k for k in (kpis or HEADLINE_KPIS) if k in set(rows["kpi"])]
    if not wanted:
        wanted = list(dict.fromkeys(rows["kpi"]))
    rows = rows[rows["kpi"].isin(wanted)]
    return rows.assign(kpi=pd.Categorical(rows["kpi"], wanted, ordered=True)).sort_values(
        ["kpi"], kind="stable").assign(kpi=lambda f: f["kpi"].astype(str))


@styled
def comparison_forest(comparisons: pd.DataFrame, manifest: dict[str, Any],
                      kpis: tuple[str, ...] | None = None) -> Figure | None:
    """One small panel per KPI: each scenario's difference from the base (dot) with its
    paired 95 % interval (line), the zero line, coloured by the verdict."""
    if comparisons.empty or "kpi" not in comparisons.columns:
        return None
    rows = forest_rows(comparisons, kpis)
    if rows.empty:
        return None
    shown = list(dict.fromkeys(rows["kpi"]))
    scenarios = list(dict.fromkeys(rows["scenario"]))
    base = manifest.get("plan", {}).get("base", "the base")
    nrows, ncols = grid(len(shown), 4)
    fig, axes = new_figure(nrows, ncols, panel=(2.9, 0.5 * len(scenarios) + 1.3))
    for ax, kpi in zip(axes.flat, shown, strict=False):
        one = rows[rows["kpi"] == kpi]
        for y, scenario in enumerate(scenarios):
            row = one[one["scenario"] == scenario]
            if row.empty:
                continue
            r = row.iloc[0]
            colour = VERDICT_COLOURS.get(str(r["verdict"]), "black")
            ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=colour, lw=2.2,
                    solid_capstyle="butt", gid=f"interval {kpi} {scenario}")
            ax.plot([r["diff"]], [y], "o", color=colour, ms=6,
                    gid=f"difference {kpi} {scenario}")
        ax.axvline(0.0, color="0.15", lw=1.1, zorder=1.5)
        ax.set_yticks(range(len(scenarios)), [wrap(s, 16) for s in scenarios])
        ax.set_ylim(len(scenarios) - 0.5, -0.5)
        ax.set_title(title(kpi))
        ax.set_xlabel(f"difference ({unit(kpi, summary=True) or 'KPI units'})")
        compact_ticks(ax, "x")
        if ax not in axes[:, 0]:
            ax.tick_params(axis="y", labelleft=False)
    hide_unused(axes, len(shown))
    verdicts = [v for v in VERDICT_COLOURS if v in set(rows["verdict"])]
    handles = [Line2D([], [], color=VERDICT_COLOURS[v], marker="o", lw=2.2) for v in verdicts]
    fig.legend(handles, verdicts, loc="outside lower center", ncols=len(verdicts),
               title="verdict")
    heading(fig, f"Paired differences from {base} with 95 % intervals "
                 f"(common random numbers, {int(rows['n'].max())} replications)")
    return fig
