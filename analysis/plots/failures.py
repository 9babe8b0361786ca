"""Where failures and dissatisfaction come from, and what complaints and recovery do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.plots import results
from analysis.plots.results import GROUP
from analysis.plots.style import (
    bars,
    figure_legend,
    heading,
    new_figure,
    styled,
    wrap,
)
from sim.kpis import SHARE as SHARE_BOUNDS

SOURCES = ("process", "provider", "customer")
OUTCOMES = {
    "did_not_complain": "did not complain",
    "complained_unresolved": "complained, unresolved",
    "resolved": "resolved after escalation",
    "resolved_quickly": "resolved on the spot",
}
"""The rungs of the repurchase ladder (TARP), in order, with their labels."""

HANDLING = {
    "failure_rate": "failures per encounter",
    "complaint_share": "complaints per failure",
    "recovery_rate": "recovered per complaint",
}


def _long(summary: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """One row per (summary row, measure): the measure's label in ``measure``."""
    present = {c: lab for c, lab in columns.items() if c in summary.columns}
    frame = summary.melt(id_vars=[GROUP], value_vars=list(present), var_name="measure",
                         value_name="share")
    return frame.assign(measure=frame["measure"].map(present)).dropna(subset=["share"])


def _bars(ax: Axes, data: pd.DataFrame, order: list[str], groups: list[str]) -> None:
    """Bars of the mean share of each measure, one per scenario, with 95 % t-intervals
    inside [0, 1] (every measure here is a share)."""
    bars(ax, data, "measure", "share", GROUP, order, groups, SHARE_BOUNDS)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("")
    ax.set_xticks(ax.get_xticks(), [wrap(t.get_text(), 14) for t in ax.get_xticklabels()])


def _grouped(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
             ) -> tuple[pd.DataFrame, list[str]] | None:
    summary = tables.get("summary")
    if summary is None or summary.empty:
        return None
    rows = results.with_groups(summary, tables, manifest)
    if rows is None:
        return None
    return rows, results.group_order(rows, manifest)


WIDEST = 14.0
"""Widest figure (inches) before side-by-side panels are stacked instead."""


def _width(groups: list[str], measures: int) -> float:
    """Panel width (inches) for ``measures`` clusters of one bar per group."""
    return max(3.8, 0.28 * len(groups) * measures + 1.2)


@styled
def failure_sources(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
                    ) -> Figure | None:
    """The mix of failure sources per scenario: bars for all failures (mean share over
    replications with its 95 % t-interval) and a marker on each bar for the mix among the
    failures that left the customer dissatisfied.  One panel, not two: the two mixes are
    usually close, and side by side they read as the same panel twice."""
    grouped = _grouped(tables, manifest)
    if grouped is None:
        return None
    rows, groups = grouped
    failures = _long(rows, {f"failures_by_source.{s}": s for s in SOURCES})
    dissatisfying = _long(rows, {f"dissatisfaction_by_source.{s}": s for s in SOURCES})
    if failures.empty:
        return None
    order = [s for s in SOURCES if s in set(failures["measure"])]
    fig, axes = new_figure(1, 1, panel=(_width(groups, 3), 3.8))
    ax = axes[0, 0]
    _bars(ax, failures, order, groups)
    _mark_dissatisfying(ax, dissatisfying, order, groups)
    ax.set_ylabel("share of failures")
    ax.set_title("bars: all failures (95 % interval); markers: failures that left the "
                 "customer dissatisfied (encounter satisfaction < 0.5)", fontsize="small")
    figure_legend(fig, ax, ncols=4)
    heading(fig, "Sources of failure and of dissatisfaction (mean over replications)")
    return fig


def _mark_dissatisfying(ax: Axes, dissatisfying: pd.DataFrame, order: list[str],
                        groups: list[str]) -> None:
    """A marker on each scenario's bar at the mean share of that source among the
    dissatisfying failures (gid ``"dissatisfying {group}"``)."""
    if dissatisfying.empty:
        return
    means = dissatisfying.groupby([GROUP, "measure"])["share"].mean()
    for group in groups:
        patches = [b for b in ax.patches
                   if isinstance(b, Rectangle) and b.get_gid() == f"bars {group}"]
        for patch in sorted(patches, key=lambda b: b.get_x()):
            source = order[round(patch.get_x() + patch.get_width() / 2)]
            value = means.get((group, source), np.nan)
            ax.plot([patch.get_x() + patch.get_width() / 2], [value], "D", ms=5, color="white",
                    mec="black", mew=1.0, zorder=4, gid=f"dissatisfying {group}")
    ax.plot([], [], "D", ms=5, color="white", mec="black", mew=1.0,
            label="among dissatisfying failures")


@styled
def complaints_recovery(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
                        ) -> Figure | None:
    """Failures, complaints and recovery per scenario, and the repurchase ladder: the share
    still a customer 12 months after a minor problem that left them dissatisfied, by its
    outcome (TARP)."""
    grouped = _grouped(tables, manifest)
    if grouped is None:
        return None
    rows, groups = grouped
    handling = _long(rows, HANDLING)
    ladder = _long(rows, {f"repurchase_by_outcome.{o}": lab for o, lab in OUTCOMES.items()})
    panels = [(title, ylabel, data, order) for title, ylabel, data, order in (
        ("Failures, complaints and recovery", "share", handling, list(HANDLING.values())),
        ("Repurchase after a problem, by what followed", "still a customer 12 months on",
         ladder, list(OUTCOMES.values())),
    ) if not data.empty]
    if not panels:
        return None
    width = _width(groups, 4)
    side_by_side = width * len(panels) <= WIDEST  # else one above the other
    fig, axes = new_figure(1 if side_by_side else len(panels),
                           len(panels) if side_by_side else 1, panel=(width, 3.8))
    for ax, (title, ylabel, data, order) in zip(axes.flat, panels, strict=True):
        _bars(ax, data, [o for o in order if o in set(data["measure"])], groups)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
    figure_legend(fig, axes.flat[0], ncols=4)
    heading(fig, "Complaints, recovery and repurchase (mean and 95 % interval over "
                 "replications)")
    return fig
