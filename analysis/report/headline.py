"""The report's headline figure: which scenario wins on the objective, by how much, how sure.

One compact panel drawn from the stored ``decision`` table of ``spc compare``
(``sim.statistics.decision``): a row per scenario in the decision's rank order,
best on top, with its paired difference from the base on the objective (dot) and
the 95 % paired-t interval (line), the base as the zero line, coloured as the
comparison forest plot colours verdicts, hollow where a constraint fails; beside
each row the difference in words and the probability of being best.  It is small
enough to sit with the decision table on the report's first screen; the forest
plot under Figures has every headline KPI.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.comparison import VERDICT_COLOURS
from analysis.plots.style import compact_ticks, styled, wrap
from sim import kpis as kpis_registry
from sim.statistics.decision import better_is_higher, format_amount
from sim.statistics.output_analysis import NO_DIFFERENCE

#: the figure's file stem (the Markdown report's figure file, the HTML figure's id)
STEM = "decision_headline"
#: width of the figure (inches); its height grows with the number of scenarios
WIDTH = 8.6


def verdict(objective: str, low: float, high: float) -> str:
    """better, worse or no clear difference: whether the interval excludes 0, read through
    the objective's direction (as the comparisons table reads it)."""
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0.0 <= high:
        return NO_DIFFERENCE
    higher = low > 0.0
    return "better" if higher == better_is_higher(objective) else "worse"


def row_text(row: pd.Series, objective: str, base: str, currency: str) -> str:
    """What the row says beside the plot: the difference (or the base's mean), the
    percentage, the probability of being best and any failed constraint."""
    if row["scenario"] == base:
        text = f"base, {format_amount(objective, float(row['mean']), False, currency)}"
    else:
        pct = float(row["diff_pct"])
        text = format_amount(objective, float(row["diff"]), True, currency)
        text += f" ({pct:+.0f} %)" if math.isfinite(pct) else ""
    text += f"   P(best) {float(row['p_best']):.2f}"
    if not bool(row["meets_constraints"]):
        text += f"   fails {row['violated']}"
    return text


def caption(objective: str, base: str) -> str:
    name = kpis_registry.label(objective, "summary").lower()
    return (f"Each scenario's difference from {base} in {name} (dot) with its 95 % paired-t "
            "interval (line), best first; blue better, red worse, grey no clear "
            "difference; a hollow marker fails a constraint; P(best): the probability of "
            "being best.")


@styled
def headline_figure(decision: pd.DataFrame, base: str, currency: str = "") -> Figure | None:
    """The objective's difference from the base per scenario, ranked; None without a
    decision table."""
    if decision.empty:
        return None
    table = decision.sort_values("rank", kind="stable").reset_index(drop=True)
    objective = str(table["objective"].iloc[0])
    unit = kpis_registry.money_unit(kpis_registry.unit(objective, "summary"), currency)
    fig = Figure(figsize=(WIDTH, 0.3 * len(table) + 0.7), layout="constrained")
    ax = fig.subplots()
    for y, row in table.iterrows():
        hollow: dict[str, Any] = ({} if bool(row["meets_constraints"])
                                  else {"mfc": "white", "mew": 1.8})
        if row["scenario"] == base:
            ax.plot([0.0], [y], "D", color="0.15", ms=6, gid=f"base {base}", **hollow)
        else:
            low, high = float(row["ci_low"]), float(row["ci_high"])
            colour = VERDICT_COLOURS[verdict(objective, low, high)]
            ax.plot([low, high], [y, y], color=colour, lw=3, solid_capstyle="butt",
                    gid=f"interval {row['scenario']}")
            ax.plot([float(row["diff"])], [y], "o", color=colour, ms=7,
                    gid=f"difference {row['scenario']}", **hollow)
        ax.annotate(row_text(row, objective, base, currency), xy=(1.0, y),
                    xycoords=("axes fraction", "data"), xytext=(8, 0),
                    textcoords="offset points", va="center", ha="left", fontsize=9)
    ax.axvline(0.0, color="0.15", lw=1.1, zorder=1.5)
    ax.set_yticks(range(len(table)), [wrap(str(s), 22) for s in table["scenario"]])
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    name = kpis_registry.label(objective, "summary")
    ax.set_xlabel(f"{name}: difference from {base} ({unit or 'KPI units'})")
    compact_ticks(ax, "x")
    return fig
