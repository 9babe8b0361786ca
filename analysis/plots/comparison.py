"""The comparison forest plot: paired differences against the base, with 95 % intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from analysis.plots import results
from analysis.plots.style import (
    BLUE,
    CYAN,
    GREY,
    PURPLE,
    RED,
    compact_ticks,
    grid,
    heading,
    hide_unused,
    new_figure,
    styled,
    title,
    wrap,
)
from sim.experiment.runner import MAIN_KPIS
from sim.kpis import Kind, registry_order, summary_kpis
from sim.statistics.decision import difference_unit, format_amount, parse_constraint
from sim.statistics.output_analysis import ID_COLUMNS, NO_DIFFERENCE

HEADLINE_KPIS = (
    "retention_rate", "promoter_share", "nps", "satisfaction_index", "promoter_conversion",
    "failure_rate", "complaint_share", "recovery_rate", "mean_wait", "provider_turnover",
    "profit", "clv",
)
"""The KPIs of the forest plot by default (one panel each), where compared; drawn in the
order of :func:`forest_order`, not this one."""

HEADLINE_FIRST = ("profit", *MAIN_KPIS)
"""The panels drawn first, in this order, when the manifest names no decision objective:
profit (``spc compare``'s default objective), then the KPIs ``spc compare`` lists first."""

NOT_KPIS = ID_COLUMNS | {k.name for k in summary_kpis().values() if k.kind is Kind.SETTING}
"""Identifiers and settings that a comparison table may list but that are not outcomes."""

VERDICT_COLOURS = {
    "better": BLUE,
    "worse": RED,
    "higher": PURPLE,
    "lower": CYAN,
    NO_DIFFERENCE: GREY,
}
"""Colour of each verdict (blue better, red worse, grey no clear difference)."""


def decision_kpis(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The KPIs the comparison was decided on: its objective, then its constraints' KPIs
    (``manifest.json``'s ``decision``; ``spc compare``'s default objective is profit)."""
    decision = manifest.get("decision")
    if not isinstance(decision, dict) or not decision.get("objective"):
        return HEADLINE_FIRST[:1]
    names = [str(decision["objective"])]
    for text in decision.get("constraints") or []:
        try:
            names.append(parse_constraint(str(text)).kpi)
        except ValueError:
            continue  # a manifest from elsewhere: the constraint is not drawn first
    return tuple(dict.fromkeys(names))


def forest_order(kpis: Sequence[str], manifest: dict[str, Any] | None = None) -> list[str]:
    """``kpis`` in the forest plot's order: the decision's objective and constraints first
    (profit by default), then the headline KPIs ``spc compare`` lists first, then the
    registry's order (:func:`sim.kpis.registry_order`)."""
    first = (*decision_kpis(manifest or {}), *MAIN_KPIS)
    return registry_order(kpis, tuple(dict.fromkeys(first)))


def forest_rows(comparisons: pd.DataFrame, kpis: tuple[str, ...] | None = None,
                manifest: dict[str, Any] | None = None) -> pd.DataFrame:
    """The rows the forest plot draws: outcome KPIs only; ``kpis`` in that order, or by
    default the headline ones present (and the decision's KPIs) in :func:`forest_order`,
    else all in that order.  A KPI without any finite difference (undefined in every
    scenario, e.g. no complaints to recover) is left out: its panel would be empty."""
    rows = comparisons[~comparisons["kpi"].isin(NOT_KPIS)]
    rows = rows[rows.groupby("kpi")["diff"].transform(
        lambda d: pd.to_numeric(d, errors="coerce").notna().any())]
    present = list(dict.fromkeys(rows["kpi"]))
    if kpis:
        wanted = [k for k in kpis if k in present]
    else:
        chosen = {*HEADLINE_KPIS, *decision_kpis(manifest or {})}
        wanted = forest_order([k for k in present if k in chosen] or present, manifest)
    rows = rows[rows["kpi"].isin(wanted)]
    return rows.assign(kpi=pd.Categorical(rows["kpi"], wanted, ordered=True)).sort_values(
        ["kpi"], kind="stable").assign(kpi=lambda f: f["kpi"].astype(str))


def panel_title(kpi: str, base_mean: float, base: str, currency: str = "") -> str:
    """``"Profit\\nbaseline: 137.5k EUR/yr"``: the KPI and the base scenario's level, in
    the words of ``spc compare``'s decision summary (shares in %, money with the currency
    label, waits in minutes)."""
    if not math.isfinite(base_mean):
        return title(kpi)
    level = format_amount(kpi, base_mean, signed=False, currency=currency)
    return f"{title(kpi)}\n{wrap(base, 16)}: {level}"


def _draw_kpi(ax: Axes, one: pd.DataFrame, kpi: str, scenarios: list[str],
              factor: float = 1.0) -> None:
    """One KPI's panel: a dot and interval per scenario, "no data" where it is undefined;
    differences times ``factor`` (the unit the reader is given, :func:`difference_unit`)."""
    for y, scenario in enumerate(scenarios):
        row = one[one["scenario"] == scenario]
        if row.empty:
            continue
        r = row.iloc[0]
        if not math.isfinite(float(r["diff"])):
            ax.text(0.5, y, "no data", transform=blended_transform_factory(
                ax.transAxes, ax.transData), ha="center", va="center", color="0.4",
                fontsize="small", gid=f"no data {kpi} {scenario}")
            continue
        colour = VERDICT_COLOURS.get(str(r["verdict"]), "black")
        ax.plot([factor * r["ci_low"], factor * r["ci_high"]], [y, y], color=colour, lw=2.2,
                solid_capstyle="butt", gid=f"interval {kpi} {scenario}")
        ax.plot([factor * r["diff"]], [y], "o", color=colour, ms=6,
                gid=f"difference {kpi} {scenario}")
    ax.axvline(0.0, color="0.15", lw=1.1, zorder=1.5)


@styled
def comparison_forest(comparisons: pd.DataFrame, manifest: dict[str, Any],
                      kpis: tuple[str, ...] | None = None) -> Figure | None:
    """One small panel per KPI, the decision's objective (profit) first: each scenario's
    difference from the base (dot) with its paired 95 % interval (line), the zero line,
    coloured by the verdict; the base's level in the panel's title."""
    if comparisons.empty or not {"kpi", "diff"} <= set(comparisons.columns):
        return None
    rows = forest_rows(comparisons, kpis, manifest)
    if rows.empty:
        return None
    shown = list(dict.fromkeys(rows["kpi"]))
    scenarios = list(dict.fromkeys(rows["scenario"]))
    base = str(manifest.get("plan", {}).get("base", "base"))
    currency = results.currency(manifest)
    nrows, ncols = grid(len(shown), 4)
    fig, axes = new_figure(nrows, ncols, panel=(2.9, 0.5 * len(scenarios) + 1.5))
    for ax, kpi in zip(axes.flat, shown, strict=False):
        one = rows[rows["kpi"] == kpi]
        factor, shown_unit = difference_unit(kpi, currency)  # as the panel's title says it
        _draw_kpi(ax, one, kpi, scenarios, factor)
        ax.set_yticks(range(len(scenarios)), [wrap(s, 16) for s in scenarios])
        ax.set_ylim(len(scenarios) - 0.5, -0.5)
        levels = pd.to_numeric(one.get("base_mean", pd.Series(dtype=float)), errors="coerce")
        ax.set_title(panel_title(kpi, float(levels.dropna().iloc[0]) if levels.notna().any()
                                 else math.nan, base, currency))
        ax.set_xlabel(f"difference ({shown_unit})")
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
