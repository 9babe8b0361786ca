"""The figure of ``spc optimize``: the search history and the certification.

Left, every candidate the search simulated, in the order it was first proposed, at its
search mean of the objective (the first ``n0`` replications, on common random numbers);
those that fail a constraint are hollow; the line is the best feasible search mean so
far.  Right, the candidates KN certified: the mean over all their replications with its
95 % t interval, the chosen one highlighted, and the indifference zone ``delta`` below
it (KN's guarantee: the chosen is within ``delta`` of the best of these, with probability
at least 1 - alpha).
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


def write_history(directory: str | Path, formats: tuple[str, ...] = ("png",)) -> list[Path]:
    """Draw the figure of the results in ``directory`` into ``directory/figures``."""
    from analysis.plots.results import read_manifest

    root = Path(directory)
    manifest = read_manifest(root)
    fmt = manifest.get("format", "parquet")

    def table(name: str) -> pd.DataFrame:
        path = root / f"{name}.{fmt}"
        return pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)

    fig = optimize_history(table("candidates"), table("summary"), manifest["optimize"])
    target = root / "figures"
    target.mkdir(exist_ok=True)
    paths = []
    for fmt in formats:
        path = target / f"{STEM}.{fmt}"
        fig.savefig(path, metadata={"Software": "spc"} if fmt == "png" else None)
        paths.append(path)
    return paths
