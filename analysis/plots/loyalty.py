"""The satisfaction-retention curve at several competition intensities (Jones & Sasser 1995).

The curves are the model's own response function, ``retention_by_satisfaction``
of ``sim/model/loyalty.py``, evaluated on a grid of satisfaction with the
parameters of the scenario run: the expected one-year retention of a customer
whose satisfaction stays at that level, with no bond and no tenure.  The
simulated outcome of each scenario or design point (its mean satisfaction
index against its annual retention) is marked on top: a population
average, bonds, tenure and the spread of satisfaction included, so it need not
sit on a curve.

Where the run wrote its customer-level tables (``spc run --panel``), the
simulated customers themselves are drawn too: at every review at least a year
before the end, each active customer's satisfaction and whether they were still
a customer a year later, grouped by satisfaction decile, as points with
binomial (Wilson) intervals beside the curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import binomtest

from analysis.plots import results
from analysis.plots.style import heading, new_figure, ordered_colours, styled, t_band
from sim.model.loyalty import retention_by_satisfaction
from sim.statistics.output_analysis import kpi_bounds

COMPETITION_LEVELS = (0.1, 0.3, 0.5, 0.7, 0.9)
"""Competition intensities drawn besides those of the scenarios run."""

GRID = np.linspace(0.0, 1.0, 201)
MARKERS = ("D", "o", "s", "^", "v", "P", "X", "p", "h", "*")
"""Marker of each simulated scenario or design point (up to ten are named)."""


def loyalty_parameters(record: dict[str, Any]) -> dict[str, float] | None:
    """The arguments of ``retention_by_satisfaction`` from a scenario's resolved parameters."""
    names = {
        "rate": "customers.dissatisfaction_defection",
        "sensitivity": "customers.defection_sensitivity",
        "threshold": "customers.satisfied_threshold",
        "other": "customers.other_defection",
        "rival_quality": "market.rival_quality",
        "rival_gain": "market.rival_quality_gain",
        "switching_cost": "market.switching_cost",
        "bond_value": "market.bond_value",
        "scale": "market.choice_scale",
        "offers": "market.offer_rate",
    }
    values = {k: results.parameter(record, path) for k, path in names.items()}
    if any(not isinstance(v, int | float) for v in values.values()):
        return None
    return {k: float(v) for k, v in values.items()}


def simulated_points(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
                     ) -> pd.DataFrame:
    """Per scenario or design point: competition, mean satisfaction (0-1) and annual
    retention, with the t-interval of the retention across replications."""
    summary = tables.get("summary", pd.DataFrame())
    if not {"satisfaction_index", "retention_rate"} <= set(summary.columns):
        return pd.DataFrame()
    comp_of = {str(r.get("name")): results.parameter(r, "market.competition")
               for r in results.scenario_records(manifest)}
    frame = summary.assign(competition=summary["scenario"].astype(str).map(comp_of))
    keys = ["scenario"]
    if "market.competition" in summary.columns:  # a sweep over competition
        frame["competition"] = summary["market.competition"]
        keys = ["scenario", "point"]
    elif "point" in summary.columns and summary["point"].nunique() > 1:
        keys = ["scenario", "point"]
    names = {}
    if "point" in keys and "design" in tables:
        names = results.point_labels(tables["design"], results.sweep_factors(manifest, tables))
    rows = []
    for key, one in frame.groupby(keys):
        parts = key if isinstance(key, tuple) else (key,)
        name = names.get(int(parts[1]), f"point {parts[1]}") if "point" in keys \
            else str(parts[0])
        low, high = t_band(one["retention_rate"].to_numpy(float), kpi_bounds("retention_rate"))
        rows.append({"name": name, "competition": float(one["competition"].iloc[0]),
                     "satisfaction": float(one["satisfaction_index"].mean()) / 100.0,
                     "retention": float(one["retention_rate"].mean()),
                     "low": low, "high": high})
    return pd.DataFrame(rows)


YEAR_DAYS = 365.0
DECILES = 10


def panel_retention(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per scenario and satisfaction decile of the panel: mean satisfaction at a review,
    the share still a customer a year later, its Wilson 95 % interval and the count; only
    reviews at least a year before the end of their run.  Empty without a panel."""
    panel, customers = tables.get("panel"), tables.get("customers")
    if panel is None or customers is None or panel.empty or customers.empty:
        return pd.DataFrame()
    run = ["scenario", "point", "replication"]
    keys = [k for k in run if k in panel.columns and k in customers.columns]
    end = panel.groupby(keys)["time_days"].transform("max")
    rows = panel[panel["time_days"] <= end - YEAR_DAYS + 1e-6]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.merge(customers[[*keys, "customer", "exit_days"]], on=[*keys, "customer"],
                      how="left")
    kept = rows["exit_days"].isna() | (rows["exit_days"] > rows["time_days"] + YEAR_DAYS)
    rows = rows.assign(kept=kept.to_numpy())
    out = []
    for scenario, one in rows.groupby("scenario", sort=False):
        bands = pd.qcut(one["satisfaction"], DECILES, labels=False, duplicates="drop")
        for _, band in one.groupby(bands):
            n, k = len(band), int(band["kept"].sum())
            ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
            out.append({"scenario": str(scenario), "satisfaction": band["satisfaction"].mean(),
                        "retention": k / n, "low": ci.low, "high": ci.high, "n": n})
    return pd.DataFrame(out)


def _draw_panel(ax: Any, tables: dict[str, pd.DataFrame], colour_of: dict[str, Any]) -> bool:
    """The simulated customers' retention by satisfaction decile; whether any was drawn."""
    bands = panel_retention(tables)
    for scenario, one in bands.groupby("scenario", sort=False) if not bands.empty else []:
        yerr = [one["retention"] - one["low"], one["high"] - one["retention"]]
        ax.errorbar(one["satisfaction"], one["retention"], yerr=yerr, fmt="o", ms=4,
                    color=colour_of.get(str(scenario), "black"), mec="black", mew=0.6,
                    capsize=2, lw=1, gid=f"panel {scenario}")
    if bands.empty:
        return False
    ax.plot([], [], "o", ms=4, color="white", mec="black",
            label="simulated customers by satisfaction decile (--panel): still a customer "
                  "a year later, 95 % Wilson interval")
    return True


@styled
def satisfaction_retention(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
                           ) -> Figure | None:
    """One-year retention against satisfaction at several competition intensities: the
    model's curve (lines) and the simulated scenarios (markers)."""
    records = results.scenario_records(manifest)
    if not records or not results.behaviour_mode(manifest):
        return None
    params = loyalty_parameters(records[0])
    if params is None:
        return None
    points = simulated_points(tables, manifest)
    run_levels = set(points["competition"].dropna()) if not points.empty else set()
    levels = sorted({round(c, 3) for c in (*COMPETITION_LEVELS, *run_levels)})
    palette = dict(zip(levels, ordered_colours(len(levels)), strict=True))
    fig, axes = new_figure(1, 1, panel=(6.6, 4.2))
    ax = axes[0, 0]
    lines = []
    for c in levels:
        lines += ax.plot(GRID, retention_by_satisfaction(GRID, c, params), color=palette[c], lw=2,
                label=f"{c:g}", gid=f"model competition {c!r}")
    ax.axvline(params["threshold"], color="0.4", ls=":", lw=1)
    ax.annotate("satisfied threshold", (params["threshold"], 0.02), rotation=90,
                ha="right", va="bottom", fontsize="small", color="0.3",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    named = len(points) <= len(MARKERS)
    for i, row in enumerate(points.itertuples()):
        colour = palette.get(round(row.competition, 3), "black")
        yerr = None
        if np.isfinite(row.low):
            yerr = [[row.retention - row.low], [row.high - row.retention]]
        ax.errorbar(row.satisfaction, row.retention, yerr=yerr, fmt=MARKERS[i] if named else "D",
                    color=colour, mec="black", ms=7, capsize=3, gid=f"simulated {row.name}")
        if named:
            ax.plot([], [], MARKERS[i], color="white", mec="black",
                    label=row.name)
    comp_of = {str(r.get("name")): results.parameter(r, "market.competition") for r in records}
    has_panel = _draw_panel(ax, tables, {
        name: palette.get(round(float(c), 3), "black") for name, c in comp_of.items()
        if isinstance(c, int | float)})
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("customer satisfaction (cumulative, 0-1)")
    ax.set_ylabel("retention over one year (share)")
    if not points.empty and not named:
        ax.plot([], [], "D", color="white", mec="black", label="simulated (design points)")
    ax.add_artist(ax.legend(handles=lines, title="competition intensity", loc="upper left",
                            fontsize="small", title_fontsize="small"))
    markers = [h for h in ax.get_legend_handles_labels()[0] if h not in lines]
    if markers:
        longest = max(len(str(h.get_label())) for h in markers)
        fig.legend(handles=markers, loc="outside lower center", title="simulated",
                   ncols=1 if longest > 45 else 2 if longest > 22 else 4,
                   fontsize="small", title_fontsize="small")
    title = ("lines: the model's response (no bond, no tenure); markers: simulated "
             "mean\nsatisfaction and annual retention, 95 % interval over "
             "replications")
    if has_panel:
        title += "; dots: simulated customers"
    ax.set_title(title, fontsize="small")
    heading(fig, "Satisfaction and retention by competition intensity")
    return fig
