"""KPIs by unit: the branches of a multi-unit organization side by side.

A scenario with several ``[[units]]`` (branches with their own policies, e.g.
``scenarios/units.toml``) writes each unit's KPIs into the run summary as
``by_unit.<unit>.<kpi>`` (``sim.kpis.UNIT_SUMMARY``); a one-unit organization has none,
and gets no such figure.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from analysis.plots import results
from analysis.plots.comparison import forest_order
from analysis.plots.results import GROUP
from analysis.plots.style import (
    bars,
    compact_ticks,
    figure_legend,
    grid,
    heading,
    hide_unused,
    new_figure,
    styled,
    title,
    unit,
    wrap,
)
from sim.kpis import unit_kpi_name
from sim.statistics.output_analysis import kpi_bounds

UNIT_PREFIX = "by_unit."


def unit_columns(summary: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """``{"by_unit.North.nps": ("North", "nps")}`` for every per-unit KPI column with data."""
    out = {}
    for column in summary.columns:
        short = unit_kpi_name(str(column))
        if short is not None and summary[column].notna().any():
            out[str(column)] = (str(column)[len(UNIT_PREFIX):-len(short) - 1], short)
    return out


def unit_order(manifest: dict[str, Any], present: list[str]) -> list[str]:
    """The units in the scenario's ``[[units]]`` order, then any other present."""
    declared = []
    for record in results.scenario_records(manifest):
        for entry in results.parameter(record, "units") or []:
            if isinstance(entry, dict) and entry.get("name") in present:
                declared.append(str(entry["name"]))
    declared = list(dict.fromkeys(declared))
    return declared + [u for u in present if u not in declared]


def unit_rows(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
              ) -> pd.DataFrame | None:
    """One row per summary row (scenario or design point, replication), unit and KPI:
    ``unit``, ``kpi``, ``value`` and the line's :data:`GROUP`; None without two units."""
    summary = tables.get("summary")
    if summary is None or summary.empty:
        return None
    columns = unit_columns(summary)
    if len({u for u, _ in columns.values()}) < 2:
        return None
    rows = results.with_groups(summary, tables, manifest)
    if rows is None:
        return None
    ids = [GROUP, *(["replication"] if "replication" in rows.columns else [])]
    long = rows.melt(id_vars=ids, value_vars=list(columns), var_name="column",
                     value_name="value").dropna(subset=["value"])
    where = long["column"].map(columns)
    return long.assign(unit=where.str[0], kpi=where.str[1]).drop(columns="column")


@styled
def kpis_by_unit(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> Figure | None:
    """One panel per per-unit KPI (profit and the headline KPIs first): a bar per unit and
    scenario, the mean over replications with its 95 % t-interval inside the KPI's range."""
    rows = unit_rows(tables, manifest)
    if rows is None or rows.empty:
        return None
    groups = results.group_order(rows, manifest)
    units = unit_order(manifest, list(dict.fromkeys(rows["unit"])))
    kpis = forest_order(list(dict.fromkeys(rows["kpi"])), manifest)
    nrows, ncols = grid(len(kpis), 4)
    width = max(2.9, 0.3 * len(units) * len(groups) + 1.3)
    fig, axes = new_figure(nrows, ncols, panel=(width, 2.8))
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        one = rows[rows["kpi"] == kpi]
        bars(ax, one, "unit", "value", GROUP, units, groups, kpi_bounds(kpi),
             gid=f"bars {kpi}")
        ax.set_title(title(kpi, summary=True))
        ax.set_ylabel(wrap(unit(kpi, summary=True), 18))
        ax.set_xlabel("")
        ax.set_xticks(ax.get_xticks(), [wrap(t.get_text(), 12)
                                        for t in ax.get_xticklabels()])
        compact_ticks(ax)
    hide_unused(axes, len(kpis))
    figure_legend(fig, axes.flat[0], ncols=4)
    reps = int(rows.groupby(GROUP)["replication"].nunique().max()) \
        if "replication" in rows.columns else 1
    over = f"mean and 95 % interval over {reps} replications" if reps > 1 else "one run"
    heading(fig, f"KPIs by unit after the warm-up ({over})")
    return fig
