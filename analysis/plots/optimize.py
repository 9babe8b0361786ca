"""The figure of ``spc optimize``: the search history and the certification.

Left, every candidate the search simulated, in the order it was first proposed, at its
search mean of the objective (the first ``n0`` replications, on common random numbers);
those that fail a constraint are hollow; the line is the best feasible search mean so
far.  Right, the candidates KN certified: the mean over all their replications with its
95 % t interval, the chosen one highlighted, and the indifference zone ``delta`` below
it (KN's guarantee: the chosen is within ``delta`` of the best of these, with probability
at least 1 - alpha).

With several objectives, :func:`optimize_pareto` draws every candidate at its search
means of the first two objectives, the Pareto candidates (on all the objectives)
highlighted and joined, the chosen one starred.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.plots.style import (
    colours,
    compact,
    compact_ticks,
    heading,
    label,
    new_figure,
    styled,
    t_band,
)

STEM = "optimize_history"
CAPTION = ("Left: each candidate policy at its search mean of the objective (the first n0 "
           "replications, common random numbers), in the order the search first proposed "
           "it; hollow: fails a constraint; line: best feasible so far. Right: the "
           "candidates certified by KN (Kim & Nelson 2001), mean over all their "
           "replications with a 95 % t interval; the shaded band is the indifference zone "
           "delta below the chosen policy.")

PARETO_STEM = "optimize_pareto"
PARETO_CAPTION = ("Each candidate policy at its search means (the first n0 replications, "
                  "common random numbers) of the first two objectives; hollow: fails a "
                  "constraint. Highlighted and joined: the Pareto set, the feasible "
                  "candidates that no other feasible one dominates (at least as good on "
                  "every objective, better on one); star: the policy chosen on the "
                  "first objective (the one the search followed and KN certified).")


def _running_best(values: pd.Series, feasible: pd.Series, maximize: bool) -> np.ndarray:
    best, out = np.nan, []
    for value, ok in zip(values, feasible, strict=True):
        if ok and (np.isnan(best) or (value > best if maximize else value < best)):
            best = value
        out.append(best)
    return np.array(out)


def _policy(row: dict[str, Any], levers: list[str]) -> str:
    return "\n".join(f"{k.split('.')[-1]}={row[k]}" for k in levers)


@styled
def optimize_history(candidates: pd.DataFrame, summary: pd.DataFrame,
                     record: dict[str, Any]) -> Figure:
    """The two panels described in the module text."""
    objective, maximize = record["objective"], record["maximize"]
    levers = list(record["chosen_params"])
    fig, axes = new_figure(1, 2, panel=(4.6, 3.4))
    ax, cert = axes[0]
    blue, red, green = colours(3)[:3]
    cands = candidates.sort_values("candidate")
    feasible = cands["feasible"].astype(bool)
    ax.scatter(cands.loc[feasible, "candidate"], cands.loc[feasible, "search_mean"],
               color=blue, s=22, label="feasible", zorder=3, gid="feasible candidates")
    ax.scatter(cands.loc[~feasible, "candidate"], cands.loc[~feasible, "search_mean"],
               facecolors="none", edgecolors="0.5", s=22, label="fails a constraint",
               zorder=3, gid="infeasible candidates")
    ax.step(cands["candidate"], _running_best(cands["search_mean"], feasible, maximize),
            where="post", color=red, lw=1.5, label="best feasible so far", gid="best")
    chosen = cands[cands["chosen"].astype(bool)]
    ax.scatter(chosen["candidate"], chosen["search_mean"], marker="*", s=160, color=green,
               edgecolors="black", linewidths=0.5, zorder=4, label="chosen", gid="chosen")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("candidate (order first proposed)")
    ax.set_ylabel(f"search mean of {label(objective, summary=True)}")
    ax.set_title(f"search: {len(cands)} candidates, {record['search_runs']} runs")
    ax.legend(fontsize="small", loc="best")
    compact_ticks(ax)

    certified = cands[cands["certified"].astype(bool)].sort_values(
        "mean", ascending=not maximize).reset_index(drop=True)
    for i, row in enumerate(certified.to_dict("records")):
        values = summary.loc[summary["point"] == row["candidate"], objective].to_numpy(float)
        low, high = t_band(values) if len(values) > 1 else (row["mean"], row["mean"])
        colour = green if row["chosen"] else blue
        cert.errorbar([row["mean"]], [i], xerr=[[row["mean"] - low], [high - row["mean"]]],
                      fmt="o", color=colour, capsize=3, gid=f"candidate {row['candidate']}")
        cert.annotate(f"n={len(values)}", (row["mean"], i), textcoords="offset points",
                      xytext=(0, 6), ha="center", fontsize="x-small")
    best = float(chosen["mean"].iloc[0]) if not chosen.empty else np.nan
    delta = float(record["delta"])
    zone = (best - delta, best) if maximize else (best, best + delta)
    cert.axvspan(*zone, color=green, alpha=0.15, lw=0, gid="indifference zone")
    cert.set_yticks(range(len(certified)))
    cert.set_yticklabels([f"#{int(r['candidate'])}: " + _policy(r, levers)
                          for r in certified.to_dict("records")], fontsize="x-small")
    cert.invert_yaxis()
    cert.set_xlabel(label(objective, summary=True))
    guarantee = ("not certified (budget)" if not record.get("certified_complete", True)
                 else f"P(within delta) >= {1 - record['alpha']:.2g}")
    cert.set_title(f"KN certification, delta = {compact(delta)}\n{guarantee}")
    compact_ticks(cert, "x")
    heading(fig, f"spc optimize: {objective}, {'higher' if maximize else 'lower'} is better")
    return fig


def _better(kpi: str, maximize: bool) -> str:
    return f"{label(kpi, summary=True)}, {'higher' if maximize else 'lower'} is better"


@styled
def optimize_pareto(candidates: pd.DataFrame, record: dict[str, Any]) -> Figure:
    """The Pareto figure described in the module text (a manifest record with at least two
    ``objectives``)."""
    from sim.statistics.decision import better_is_higher

    objectives = record["objectives"]
    x_kpi, y_kpi = objectives[:2]
    x, y = "search_mean", f"search_mean_{y_kpi}"
    fig, axes = new_figure(1, 1, panel=(5.6, 4.2))
    ax = axes[0][0]
    blue, red, green = colours(3)[:3]
    feasible = candidates["feasible"].astype(bool)
    front = candidates[candidates["pareto"].astype(bool)].sort_values([x, y])
    ax.scatter(candidates.loc[feasible, x], candidates.loc[feasible, y], color=blue, s=22,
               alpha=0.7, label="feasible candidate", zorder=3, gid="feasible candidates")
    if not feasible.all():
        ax.scatter(candidates.loc[~feasible, x], candidates.loc[~feasible, y],
                   facecolors="none", edgecolors="0.5", s=22, label="fails a constraint",
                   zorder=3, gid="infeasible candidates")
    ax.plot(front[x], front[y], color=red, lw=1.5, marker="o", markersize=7, zorder=4,
            label=f"Pareto set ({len(front)})", gid="pareto")
    for row in front.to_dict("records"):
        ax.annotate(f"#{int(row['candidate'])}", (row[x], row[y]), textcoords="offset points",
                    xytext=(5, 4), fontsize="x-small")
    chosen = candidates[candidates["chosen"].astype(bool)]
    ax.scatter(chosen[x], chosen[y], marker="*", s=200, color=green, edgecolors="black",
               linewidths=0.5, zorder=5, label="chosen (first objective, KN)", gid="chosen")
    ax.set_xlabel("search mean of " + _better(x_kpi, better_is_higher(x_kpi)))
    ax.set_ylabel("search mean of " + _better(y_kpi, better_is_higher(y_kpi)))
    more = (f"; Pareto set on all {len(objectives)} objectives" if len(objectives) > 2
            else "")
    ax.set_title(f"{len(candidates)} candidates, n0 = {record['n0']} replications each"
                 + more)
    ax.legend(fontsize="small", loc="best")
    compact_ticks(ax)
    compact_ticks(ax, "x")
    heading(fig, f"spc optimize: Pareto set of {', '.join(objectives)}")
    return fig


def write_history(directory: str | Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Draw the figure of the results in ``directory`` into ``directory/figures`` (and,
    with several objectives, the Pareto figure)."""
    from analysis.plots.results import read_manifest

    root = Path(directory)
    manifest = read_manifest(root)
    fmt = manifest.get("format", "parquet")

    def table(name: str) -> pd.DataFrame:
        path = root / f"{name}.{fmt}"
        return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

    record = manifest["optimize"]
    candidates = table("candidates")
    figures = [(STEM, optimize_history(candidates, table("summary"), record))]
    if len(record.get("objectives", ())) > 1:
        figures.append((PARETO_STEM, optimize_pareto(candidates, record)))
    target = root / "figures"
    target.mkdir(exist_ok=True)
    paths = []
    for stem, fig in figures:
        for fmt in formats:
            path = target / f"{stem}.{fmt}"
            fig.savefig(path, metadata={"Software": "spc"} if fmt == "png" else None)
            paths.append(path)
    return paths
