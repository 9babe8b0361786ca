"""The teaching experiments' figures (seaborn, colour-blind palette, axes with units).

Each function draws one experiment's figure from the numbers its analysis
computed and saves it as a PNG at ``path``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from analysis.teaching.format import difference_unit, display, label, shown
from sim.results.files import atomic_write
from sim.statistics.queueing import mmc_mean_wait, mmc_wait_probability

PALETTE = "colorblind"


def _theme() -> list[Any]:
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook", font_scale=0.9)
    return list(sns.color_palette(PALETTE))


def _save(fig: Any, path: Path) -> None:
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=path.suffix.lstrip(".") or "png",
                                                   dpi=110, bbox_inches="tight",
                                                   metadata={"Software": None}))
    finally:
        plt.close(fig)


def _errorbar(ax: Any, x: Any, y: Any, low: Any, high: Any, color: Any,
              horizontal: bool = False, **kw: Any) -> None:
    y, low, high = (np.asarray(v, dtype=float) for v in (y, low, high))
    err = np.vstack([y - low, high - y])
    err = np.where(np.isnan(err), 0.0, err)
    if horizontal:
        ax.errorbar(y, x, xerr=err, fmt="o", color=color, capsize=4, **kw)
    else:
        ax.errorbar(x, y, yerr=err, fmt="o", color=color, capsize=4, **kw)


def forest(frame: pd.DataFrame, base: str, path: Path) -> None:
    """Paired differences from the base with 95 % intervals: a panel per KPI."""
    colors = _theme()
    kpis = list(dict.fromkeys(frame["kpi"]))
    others = list(dict.fromkeys(frame["scenario"]))
    cols = min(3, len(kpis))
    rows = math.ceil(len(kpis) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 0.55 * len(others) * rows
                                                  + 1.6 * rows), squeeze=False)
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        sub = frame[frame["kpi"] == kpi].set_index("scenario").loc[others]
        ys = np.arange(len(others))[::-1]
        for y, (name, r) in zip(ys, sub.iterrows(), strict=True):
            _errorbar(ax, [y], [shown(kpi, r["diff"])], [shown(kpi, r["low"])],
                      [shown(kpi, r["high"])], colors[others.index(str(name)) + 1],
                      horizontal=True)
        ax.axvline(0.0, color="0.3", linestyle="--", linewidth=1)
        ax.set_yticks(ys, others)
        ax.set_ylim(-0.6, len(others) - 0.4)
        d = display(kpi)
        ax.set_title(d.label, fontsize=10)
        unit = difference_unit(kpi)
        text = f"difference from {base}"
        if unit:  # the unit on a line of its own when the label would overrun the panel
            text += f"\n({unit})" if len(text) + len(unit) > 40 else f" ({unit})"
        ax.set_xlabel(text)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.tight_layout()
    _save(fig, path)


CHAIN_NAMES = {
    "provider_job_satisfaction": "job satisfaction",
    "provider_turnover": "provider turnover",
    "mean_competency": "competency",
    "failure_rate": "failure rate",
    "mean_quality": "encounter quality",
    "satisfaction_index": "customer satisfaction",
    "retention_rate": "customer retention",
    "profit": "profit",
}


def chain(frame: pd.DataFrame, path: Path) -> None:
    """The chain, link by link: the paired difference of each KPI in its own unit."""
    colors = _theme()
    fig, axes = plt.subplots(len(frame), 1, figsize=(7.5, 0.95 * len(frame) + 0.6))
    other = frame["scenario"].iloc[0]
    for ax, (_, r) in zip(np.atleast_1d(axes), frame.iterrows(), strict=True):
        kpi = str(r["kpi"])
        clear = r["verdict"] != "no clear difference"
        color = (colors[3] if r["verdict"] in ("worse", "lower") else colors[0]) if clear \
            else "0.55"
        _errorbar(ax, [0], [shown(kpi, r["diff"])], [shown(kpi, r["low"])],
                  [shown(kpi, r["high"])], color, horizontal=True)
        ax.axvline(0.0, color="0.3", linestyle="--", linewidth=1)
        ax.set_yticks([])
        name = CHAIN_NAMES.get(kpi, kpi)
        unit = difference_unit(kpi)
        ax.set_ylabel(f"{name}\n({unit})" if unit else name, rotation=0, ha="right",
                      va="center", fontsize=9)
        low, high = shown(kpi, r["low"]), shown(kpi, r["high"])
        span = max(abs(low), abs(high), 1e-9) * 1.15
        ax.set_xlim(-span, span)
        ax.tick_params(axis="x", labelsize=8)
    np.atleast_1d(axes)[0].set_title(
        f"{other} minus base, link by link (red: worse, grey: no clear difference)",
        fontsize=10)
    fig.tight_layout(h_pad=0.6)
    _save(fig, path)


def erlang_c(points: pd.DataFrame, servers: int, mu: float, path: Path) -> None:
    """Exact Erlang C curves with the simulated means and intervals."""
    colors = _theme()
    rho = np.linspace(0.6, 0.95, 80)
    exact = {"mean_wait": [mmc_mean_wait(servers, r * servers * mu, mu) for r in rho],
             "p_wait": [mmc_wait_probability(servers, r * servers * mu, mu) for r in rho]}
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    for ax, kpi in zip(axes, ("mean_wait", "p_wait"), strict=True):
        ax.plot(rho, [shown(kpi, v) for v in exact[kpi]], color=colors[0],
                label=f"Erlang C, M/M/{servers}")
        sub = points[points["kpi"] == kpi]
        _errorbar(ax, sub["rho"], [shown(kpi, v) for v in sub["mean"]],
                  [shown(kpi, v) for v in sub["low"]], [shown(kpi, v) for v in sub["high"]],
                  colors[1], label="simulated (95 % CI)", markersize=5)
        ax.set_xlabel("utilisation \u03c1 = \u03bb / (c \u03bc)")
        ax.set_ylabel(label(kpi))
        ax.legend(loc="upper left")
    fig.tight_layout()
    _save(fig, path)


def ladder(pooled: pd.DataFrame, outcomes: pd.DataFrame, names: Sequence[str],
           path: Path) -> None:
    """The pooled repurchase ladder, and the complaint outcomes of each scenario."""
    colors = _theme()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2),
                                      gridspec_kw={"width_ratios": [1.3, 1]})
    x = np.arange(len(pooled))
    _errorbar(left, x, 100 * pooled["mean"], 100 * pooled["low"], 100 * pooled["high"],
              colors[0])
    left.plot(x, 100 * pooled["mean"], color=colors[0], linewidth=1, alpha=0.6)
    left.set_xticks(x, [display(o).label.replace(", ", ",\n").replace(" after", "\nafter")
                        .replace(" on the", "\non the") for o in pooled["outcome"]])
    left.set_xlabel("what became of the failure\n(TARP's ladder: expected to rise left to right)")
    left.set_ylabel("still a customer 12 months later (%)")
    words = {"recovered_quickly": "resolved on the spot",
             "recovered_escalated": "resolved after escalation", "unresolved": "unresolved"}
    bottom = np.zeros(len(names))
    for i, (key, word) in enumerate(words.items()):
        share = (outcomes[outcomes["outcome"] == key].set_index("scenario")
                 .loc[list(names), "share"].to_numpy(dtype=float) * 100)
        right.bar(range(len(names)), share, bottom=bottom, color=colors[[2, 0, 3][i]],
                  label=word, width=0.6)
        bottom += share
    right.set_xticks(range(len(names)), [n.replace("_", "\n", 1) for n in names])
    right.set_ylabel("share of complaints (%)")
    right.set_xlabel("scenario")
    right.set_ylim(0, 100)
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def competition(points: pd.DataFrame, deciles: pd.DataFrame, path: Path) -> None:
    """The satisfaction-loyalty curve of each market: its points and (with the panel) its
    customers by satisfaction decile."""
    colors = _theme()
    panels = 1 if deciles.empty else 2
    fig, axes = plt.subplots(1, panels, figsize=(6.0 * panels + 1.5, 4.5), squeeze=False)
    ax = axes[0][0]
    levels = sorted(points["market.competition"].unique())
    words = {0.1: "sheltered", 0.5: "baseline", 0.9: "intense"}
    for i, comp in enumerate(levels):
        sub = points[points["market.competition"] == comp].sort_values("satisfaction_index")
        ax.plot(sub["satisfaction_index"], 100 * sub["retention_rate"], color=colors[i],
                marker=None, label=f"competition {comp:g} ({words.get(comp, '')})".replace(
                    " ()", ""))
        ax.scatter(sub["satisfaction_index"], 100 * sub["retention_rate"], color=colors[i],
                   s=[20 + 600 * (r - 0.83) for r in sub["organization.reliability"]],
                   zorder=3)
    for rel in sorted(points["organization.reliability"].unique()):
        ax.scatter([], [], color="0.5", s=20 + 600 * (rel - 0.83), label=f"reliability {rel:g}")
    ax.set_xlabel(label("satisfaction_index"))
    ax.set_ylabel(label("retention_rate"))
    ax.set_title("markets (design points)", fontsize=10)
    if deciles.empty:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    else:
        ax.legend(loc="best", fontsize=8)
        right = axes[0][1]
        for i, comp in enumerate(levels):
            one = deciles[deciles["competition"] == f"{comp:g}"]
            right.errorbar(100 * one["satisfaction"], 100 * one["retention"],
                           yerr=[100 * (one["retention"] - one["low"]),
                                 100 * (one["high"] - one["retention"])],
                           color=colors[i], marker="o", ms=4, capsize=2, lw=1.2,
                           label=f"competition {comp:g}")
        right.set_xlabel("satisfaction of the customer at a review (0-100)")
        right.set_ylabel("still a customer a year later (%)")
        right.set_title("customers, by satisfaction decile", fontsize=10)
        right.set_ylim(0, 100)
        right.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def surge(periods: pd.DataFrame, kpis: Sequence[str], window: tuple[float, float],
          warmup: float, path: Path) -> None:
    """Monthly paths with and without the surge."""
    colors = _theme()
    means = periods.groupby(["scenario", "day"], as_index=False)[list(kpis)].mean()
    names = list(dict.fromkeys(periods["scenario"]))
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.5), sharex=True)
    for ax, kpi in zip(axes.flat, kpis, strict=True):
        for i, name in enumerate(names):
            sub = means[means["scenario"] == name]
            ax.plot(sub["day"], [shown(kpi, v) for v in sub[kpi]], color=colors[i],
                    label=name, marker=".")
        ax.axvspan(*window, color="0.85", zorder=0, label="surge")
        ax.axvline(warmup, color="0.4", linestyle=":", linewidth=1)
        ax.set_ylabel(label(kpi))
    for ax in axes[1]:
        ax.set_xlabel("time (days, end of each monthly period)")
    axes[0][0].legend(loc="best", fontsize=8)
    fig.tight_layout()
    _save(fig, path)


def units(summary: pd.DataFrame, names: Sequence[str], providers: pd.DataFrame,
          path: Path) -> None:
    """Unit KPIs with intervals, and the spread of providers' mean quality by unit."""
    from analysis.teaching.results import interval_of

    colors = _theme()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4),
                                      gridspec_kw={"width_ratios": [1, 1.3]})
    for i, unit in enumerate(names):
        iv = interval_of(summary[f"by_unit.{unit}.satisfaction_index"],
                         f"by_unit.{unit}.satisfaction_index")
        _errorbar(left, [i], [iv.mean], [iv.low], [iv.high], colors[i])
    left.set_xticks(range(len(names)), names)
    left.set_xlim(-0.5, len(names) - 0.5)
    left.set_ylabel(label("satisfaction_index"))
    left.set_xlabel("unit")
    busy = providers[providers["count"] >= 100]
    sns.stripplot(data=busy, x="unit", y="mean", hue="unit", order=list(names),
                  hue_order=list(names), palette=colors[:len(names)], legend=False,
                  jitter=0.2, size=6, ax=right)
    right.set_xlabel("unit")
    right.set_ylabel("provider's mean encounter quality (0-1)")
    fig.tight_layout()
    _save(fig, path)
