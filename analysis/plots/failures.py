"""Where failures and dissatisfaction come from, and what complaints and recovery do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from analysis.plots import results
from analysis.plots.results import GROUP
from analysis.plots.style import (
    colours,
    drop_legend,
    figure_legend,
    heading,
    new_figure,
    styled,
    t_band,
    wrap,
)

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
    """Bars of the mean share of each measure, one per scenario, with 95 % t-intervals."""
    palette = colours(len(groups))
    sns.barplot(data=data, x="measure", y="share", hue=GROUP, order=order, hue_order=groups,
                palette=palette, saturation=1.0, estimator="mean",
                errorbar=lambda values: t_band(values, (0.0, 1.0)),  # shares stay in [0, 1]
                capsize=0.15, err_kws={"linewidth": 1.2}, ax=ax)
    for container in ax.containers:  # name each scenario's bars (by colour: robust)
        face = to_rgb(container[0].get_facecolor()) if len(container) else None
        group = next((g for g, c in zip(groups, palette, strict=True)
                      if face is not None and np.allclose(face, c)), None)
        for patch in container:
            patch.set_gid(f"bars {group}")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("")
    ax.set_xticks(ax.get_xticks(), [wrap(t.get_text(), 14) for t in ax.get_xticklabels()])
    drop_legend(ax)


def _grouped(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
             ) -> tuple[pd.DataFrame, list[str]] | None:
    summary = tables.get("summary")
    if summary is None or summary.empty:
        return None
    rows = results.with_groups(summary, tables, manifest)
    if rows is None:
        return None
    return rows, results.group_order(rows, manifest)


def _width(groups: list[str], bars: int) -> float:
    return max(3.8, 0.28 * len(groups) * bars + 1.2)


@styled
def failure_sources(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]
                    ) -> Figure | None:
    """The mix of failure sources, among all failures and among dissatisfying ones, per
    scenario: mean share over replications with its 95 % t-interval."""
    grouped = _grouped(tables, manifest)
    if grouped is None:
        return None
    rows, groups = grouped
    panels = [(what, name, _long(rows, {f"{what}.{s}": s for s in SOURCES}))
              for what, name in (("failures_by_source", "All failures"),
                                    ("dissatisfaction_by_source",
                                     "Dissatisfying failures (encounter satisfaction < 0.5)"))]
    panels = [p for p in panels if not p[2].empty]
    if not panels:
        return None
    fig, axes = new_figure(1, len(panels), panel=(_width(groups, 3), 3.6), sharey=True)
    for ax, (_what, name, data) in zip(axes.flat, panels, strict=True):
        _bars(ax, data, list(SOURCES), groups)
        ax.set_title(wrap(name, 40))
        ax.set_ylabel("share of failures")
    figure_legend(fig, axes.flat[0], ncols=4)
    heading(fig, "Sources of failure and of dissatisfaction (mean and 95 % interval over "
                 "replications)")
    return fig


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
    fig, axes = new_figure(1, len(panels), panel=(_width(groups, 4), 3.8))
    for ax, (title, ylabel, data, order) in zip(axes.flat, panels, strict=True):
        _bars(ax, data, [o for o in order if o in set(data["measure"])], groups)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
    figure_legend(fig, axes.flat[0], ncols=4)
    heading(fig, "Complaints, recovery and repurchase (mean and 95 % interval over "
                 "replications)")
    return fig
