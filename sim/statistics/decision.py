"""The decision summary of a comparison: which scenario wins, by how much, and how sure.

Pure functions on the stored ``summary`` table (one row per scenario and replication)
of a comparison run on common random numbers.

* The scenarios are ranked on an **objective** KPI (its direction from the KPI registry),
  those that meet every **constraint** (``KPI>=VALUE`` or ``KPI<=VALUE``, on the mean over
  replications) first.
* Each scenario's **difference from the base** is the mean of the paired per-replication
  differences, with its Student-t interval (Law 2015, paired-t with common random
  numbers), and also as a percentage of the base's mean.
* The **probability of being best** comes from a paired bootstrap over replications
  (Efron & Tibshirani 1993): each resample draws the replication indices with replacement,
  the *same* indices for every scenario, so that the pairing by common random numbers is
  kept; in each resample the best scenario is the one with the best mean objective among
  those whose resampled means meet the constraints.  The probability is the share of
  resamples a scenario is best in (if no scenario meets the constraints in a resample, no
  one is best there, so the probabilities may add up to less than 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.kpis import Direction, money_unit
from sim.kpis import direction as kpi_direction
from sim.kpis import label as kpi_label
from sim.kpis import unit as kpi_unit
from sim.statistics.intervals import difference_bounds, t_interval, within
from sim.statistics.output_analysis import kpi_bounds

#: resamples of the paired bootstrap behind the probability of being best
RESAMPLES = 10_000

#: how the probability of being best is computed (recorded in the results' manifest)
METHOD = (f"paired bootstrap over replications ({RESAMPLES} resamples, the same replication "
          "indices for every scenario; best = best mean objective among the scenarios whose "
          "resampled means meet the constraints)")

#: the columns of the decision table, in order
COLUMNS = (
    "rank", "scenario", "objective", "mean", "diff", "diff_pct", "ci_low", "ci_high",
    "p_best", "meets_constraints", "violated",
)

_CONSTRAINT = re.compile(r"^\s*(?P<kpi>[A-Za-z_][\w.]*)\s*(?P<op>>=|<=)\s*(?P<value>\S+)\s*$")


@dataclass(frozen=True)
class Constraint:
    """A requirement on the mean of one KPI: ``kpi >= value`` or ``kpi <= value``."""

    kpi: str
    op: str
    value: float

    def holds(self, mean: float | np.ndarray) -> bool | np.ndarray:
        """Whether ``mean`` (a number or an array of resampled means) meets it."""
        return mean >= self.value if self.op == ">=" else mean <= self.value

    def __str__(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"


def parse_constraint(text: str) -> Constraint:
    """``retention_rate>=0.8`` as a :class:`Constraint`; a ValueError saying what is allowed
    otherwise (the KPI name is checked against the registry by the caller)."""
    match = _CONSTRAINT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not of the form KPI>=VALUE or KPI<=VALUE, e.g. "
                         "retention_rate>=0.8")
    try:
        value = float(match["value"])
    except ValueError:
        raise ValueError(f"{text!r}: {match['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r}: the value must be a finite number")
    return Constraint(match["kpi"], match["op"], value)


def better_is_higher(kpi: str) -> bool:
    """True if higher values of ``kpi`` are better; a ValueError for a KPI without a
    direction (it cannot be an objective)."""
    way = kpi_direction(kpi)
    if way is Direction.NEITHER:
        raise ValueError(f"{kpi!r} has no better direction, so it cannot be the objective")
    return way is Direction.HIGHER


def paired_values(summary: pd.DataFrame, scenarios: Sequence[str], kpi: str) -> np.ndarray:
    """``kpi`` per scenario (rows) and replication (columns), on the replications that every
    scenario has, in replication order."""
    wide = summary.pivot_table(index="replication", columns="scenario", values=kpi,
                               aggfunc="first")
    wide = wide.reindex(columns=list(scenarios)).dropna()
    return wide.to_numpy(dtype=float).T


def probability_best(objective: np.ndarray, higher: bool, rng: np.random.Generator,
                     constrained: Sequence[tuple[Constraint, np.ndarray]] = (),
                     resamples: int = RESAMPLES) -> np.ndarray:
    """Share of paired bootstrap resamples in which each scenario (row of ``objective``,
    replications in columns) is best among those meeting the ``constrained`` KPIs'
    constraints (each array shaped like ``objective``)."""
    count, n = objective.shape
    idx = rng.integers(0, n, size=(resamples, n))
    means = objective[:, idx].mean(axis=2)  # scenarios x resamples
    feasible = np.ones_like(means, dtype=bool)
    for constraint, values in constrained:
        feasible &= np.asarray(constraint.holds(values[:, idx].mean(axis=2)), dtype=bool)
    scored = np.where(feasible, means if higher else -means, -np.inf)
    best = scored.argmax(axis=0)
    anyone = feasible.any(axis=0)
    wins = np.bincount(best[anyone], minlength=count)
    return wins / resamples


def decision_table(
    summary: pd.DataFrame,
    base: str,
    scenarios: Sequence[str],
    objective: str,
    rng: np.random.Generator,
    constraints: Sequence[Constraint] = (),
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
) -> pd.DataFrame:
    """One row per scenario (the base included), ranked best first; see the module text.

    ``scenarios`` lists every scenario of the comparison, the base among them.
    """
    names = list(scenarios)
    higher = better_is_higher(objective)
    values = paired_values(summary, names, objective)
    if values.shape[1] < 2:
        raise ValueError("the decision summary needs at least 2 replications of every "
                         "scenario")
    constrained = [(c, paired_values(summary, names, c.kpi)) for c in constraints]
    p_best = probability_best(values, higher, rng, constrained, resamples)
    b = names.index(base)
    base_mean = float(values[b].mean())
    rows = []
    for i, name in enumerate(names):
        mean = float(values[i].mean())
        if i == b:
            diff, low, high = 0.0, math.nan, math.nan
        else:
            # as the comparisons table has it: truncated to the range of a difference
            ci = within(t_interval(values[i] - values[b], confidence),
                        difference_bounds(kpi_bounds(objective)))
            diff, low, high = ci.mean, ci.low, ci.high
        violated = [str(c) for c, v in constrained if not c.holds(float(v[i].mean()))]
        rows.append({
            "scenario": name, "objective": objective, "mean": mean, "diff": diff,
            "diff_pct": 100.0 * diff / abs(base_mean) if base_mean else math.nan,
            "ci_low": low, "ci_high": high, "p_best": float(p_best[i]),
            "meets_constraints": not violated, "violated": ", ".join(violated),
        })
    table = pd.DataFrame(rows)
    table["_key"] = table["mean"] if higher else -table["mean"]
    table = table.sort_values(["meets_constraints", "_key"], ascending=[False, False],
                              kind="stable").drop(columns="_key")
    table.insert(0, "rank", range(1, len(table) + 1))
    return table.reset_index(drop=True)[list(COLUMNS)]


#: KPIs that each scenario's plain-language line reports beside the objective
SIDE_KPIS = ("retention_rate", "promoter_share")


def difference_unit(kpi: str, currency: str = "") -> tuple[float, str]:
    """The factor and the unit in which a difference of ``kpi`` is stated to a reader:
    shares in percentage points (x 100), hours in minutes (x 60), indices on 0-100 in
    points, other KPIs in their own unit (money with the ``currency`` label)."""
    unit = kpi_unit(kpi, "summary")
    if unit.startswith("share"):
        return 100.0, "percentage points"
    if unit == "hours":
        return 60.0, "minutes"
    if unit in ("points", "0-100"):
        return 1.0, "points"
    return 1.0, money_unit(unit, currency) or "KPI units"


def format_amount(kpi: str, value: float, signed: bool = True, currency: str = "") -> str:
    """``value`` of ``kpi`` in its unit, short: shares in % (differences in percentage
    points), money in thousands with ``k``, the ``currency`` label if any and ``/yr`` for
    yearly amounts, hours in minutes."""
    if not math.isfinite(value):
        return "n/a"
    sign = "+" if signed else ""
    unit = kpi_unit(kpi, "summary")
    if unit.startswith("share"):
        return f"{difference_unit(kpi)[0] * value:{sign}.1f} {'pp' if signed else '%'}"
    if unit.startswith("money"):
        per = ("/yr" if unit.endswith("per year") else "")
        label = f" {currency}" if currency else ""
        if abs(value) >= 1000:
            return f"{value / 1000:{sign},.1f}k{label}{per}"
        return f"{value:{sign},.0f}{label}{per}"
    if unit == "hours":
        return f"{difference_unit(kpi)[0] * value:{sign}.2f} min"
    if unit in ("points", "0-100"):
        return f"{value:{sign}.1f} points"
    return f"{value:{sign}.3g} {unit}".rstrip()


def _interval_text(kpi: str, low: float, high: float, confidence: float,
                   currency: str) -> str:
    return (f"{100 * confidence:.0f} % interval {format_amount(kpi, low, False, currency)} to "
            f"{format_amount(kpi, high, False, currency)}")


def decision_lines(table: pd.DataFrame, summary: pd.DataFrame, base: str,
                   confidence: float = 0.95, side: Sequence[str] = SIDE_KPIS,
                   currency: str = "") -> list[str]:
    """One plain-language line per scenario of a decision table, best first, e.g.
    ``empowerment_high: profit +26.8k/yr (+19 %, 95 % interval 11.6k to 42.0k), best with
    probability 0.97; retention +1.3 pp; promoters +4.2 pp``."""
    if table.empty:
        return []
    objective = str(table["objective"].iloc[0])
    names = list(table["scenario"])
    side = [k for k in side if k != objective and k in summary.columns]
    side_diffs = {k: paired_values(summary, [base, *names], k) for k in side}
    lines = []
    for row in table.itertuples():
        what = kpi_label(objective, "summary").lower()
        if row.scenario == base:
            text = (f"{row.scenario} (base): {what} "
                    f"{format_amount(objective, row.mean, False, currency)}, best with "
                    f"probability {row.p_best:.2f}")
        else:
            pct = f"{row.diff_pct:+.0f} %, " if math.isfinite(row.diff_pct) else ""
            text = (f"{row.scenario}: {what} {format_amount(objective, row.diff, True, currency)}"
                    f" ({pct}"
                    f"{_interval_text(objective, row.ci_low, row.ci_high, confidence, currency)}"
                    f"), best with probability {row.p_best:.2f}")
            i = names.index(row.scenario) + 1
            for kpi, values in side_diffs.items():
                change = float((values[i] - values[0]).mean())
                text += f"; {kpi_label(kpi, 'summary').lower()} {format_amount(kpi, change)}"
        if not row.meets_constraints:
            text += f"; fails {row.violated}"
        lines.append(text)
    return lines


__all__ = [
    "COLUMNS", "METHOD", "RESAMPLES", "SIDE_KPIS", "Constraint", "better_is_higher",
    "decision_lines", "decision_table", "format_amount", "paired_values", "parse_constraint",
    "probability_best",
]
