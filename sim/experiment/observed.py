"""A firm's observed period KPIs: the data ``spc calibrate`` fits the model to.

The file is a tidy CSV, one row per period and KPI::

    period,kpi,value,se
    0,nps,31.5,4.0
    1,nps,29.0,4.1
    0,complaints,12,

``period`` is the index of the review period as in the simulation's ``periods`` table
(0 is the first period of the run), ``kpi`` a name of that table's KPIs (the registry,
``docs/reference/kpis.md``), ``value`` the observed number and ``se`` (optional column;
a cell may be left empty) its standard error.  Each KPI's periods must be consecutive,
without gaps or repeats, and inside the scenario's horizon.  :func:`load_observed`
checks everything before anything runs and names the file, the row and the column of
the first problem.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.kpis import IDENTIFIER, KPI_LIST_HINT, PERIOD_SECTIONS, TABLES
from sim.scenario import Scenario

COLUMNS = ("period", "kpi", "value")
OPTIONAL = ("se",)
ALLOWED_COLUMNS = "columns period, kpi, value and optionally se (one row per period and KPI)"

#: How many observed points the robust default scale needs (else: 10 % of the level).
MIN_POINTS_FOR_NOISE = 4


@dataclass(frozen=True)
class Observed:
    """Validated observations: one row per (kpi, period), with value, se and scale."""

    path: Path
    table: pd.DataFrame  # columns kpi, period, value, se (NaN: none given), scale

    @property
    def kpis(self) -> list[str]:
        return list(dict.fromkeys(self.table["kpi"]))

    @property
    def values(self) -> np.ndarray:
        return self.table["value"].to_numpy(float)

    @property
    def scales(self) -> np.ndarray:
        return self.table["scale"].to_numpy(float)


def period_kpis(mode: str) -> list[str]:
    """The KPI columns of the ``periods`` table in ``mode`` (queue mode: the desk's)."""
    sections = PERIOD_SECTIONS[:1] if mode == "queue" else PERIOD_SECTIONS
    return [k.name for _, part in sections for k in part if k.kind is not IDENTIFIER]


def horizon_periods(scenario: Scenario) -> int:
    """How many review periods (rows of ``periods``, the last maybe partial) a run has."""
    run = scenario.params.run
    return max(1, math.ceil(run.years * 365.0 / run.review_days - 1e-9))


def _error(path: Path, where: str, problem: str, allowed: str) -> UserError:
    return UserError(f"{path}: {where}{': ' if where else ''}{problem}; allowed: {allowed}")


def _number(path: Path, row: int, column: str, text: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (positive and value <= 0):
        what = "a positive number" if positive else "a finite number"
        raise _error(path, f"row {row}, column '{column}'", f"{text!r} is not a number "
                     "we can use", what + (" or an empty cell" if column == "se" else ""))
    return value


def _kpi(path: Path, row: int, name: str, known: list[str], mode: str) -> str:
    if name in known:
        return name
    close = (difflib.get_close_matches(name, known, n=3, cutoff=0.6)
             or [k for k in known if k.startswith(name)][:3]) if name else []
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    other = name in TABLES["periods"] and mode == "queue"
    problem = (f"KPI {name!r} is not recorded in queue mode" if other
               else f"unknown KPI {name!r}{hint}")
    raise _error(path, f"row {row}, column 'kpi'", problem,
                 f"KPI names of the periods table ({mode} mode), listed in {KPI_LIST_HINT}")


def default_scale(values: np.ndarray) -> float:
    """The scale of a KPI given without standard errors: the noise of its observed series,
    estimated robustly from the changes between successive periods (the median absolute
    deviation of the differences, × 1.4826 for a normal sd, / √2 for a difference of two
    periods; Hampel 1974); with fewer than 4 points or no variation, 10 % of the series'
    mean absolute level; 1 if that is 0 too."""
    if len(values) >= MIN_POINTS_FOR_NOISE:
        diff = np.diff(values)
        mad = float(np.median(np.abs(diff - np.median(diff))))
        noise = 1.4826 * mad / math.sqrt(2.0)
        if noise > 0:
            return noise
    level = float(np.mean(np.abs(values))) * 0.1
    return level if level > 0 else 1.0


def load_observed(path: str | Path, scenario: Scenario) -> Observed:
    """Read and check an observed-KPI CSV against the registry and ``scenario``'s horizon."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise UserError(f"{path}: data file not found; allowed: a CSV file with "
                        f"{ALLOWED_COLUMNS}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text (UTF-8) CSV file; allowed: a CSV file with "
                        f"{ALLOWED_COLUMNS}") from None
    if not rows:
        raise _error(path, "", "the file is empty", ALLOWED_COLUMNS)
    header = [h.strip() for h in rows[0]]
    for column in header:
        if column not in (*COLUMNS, *OPTIONAL):
            raise _error(path, f"column '{column}'", "unknown column", ALLOWED_COLUMNS)
    for column in COLUMNS:
        if column not in header:
            raise _error(path, f"column '{column}'", "missing", ALLOWED_COLUMNS)
    if len(rows) < 2:
        raise _error(path, "", "no observations below the header", ALLOWED_COLUMNS)
    mode = scenario.params.run.mode
    known = period_kpis(mode)
    horizon = horizon_periods(scenario)
    records = []
    seen: dict[tuple[str, int], int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise _error(path, f"row {number}", f"{len(cells)} cells under "
                         f"{len(header)} columns", ALLOWED_COLUMNS)
        cell = {h: c.strip() for h, c in zip(header, cells, strict=True)}
        period_text = cell["period"]
        if not period_text.isdigit():
            raise _error(path, f"row {number}, column 'period'",
                         f"{period_text!r} is not a period index",
                         "a whole number from 0 (the run's first review period)")
        period = int(period_text)
        if period >= horizon:
            raise _error(path, f"row {number}, column 'period'",
                         f"period {period} is past the scenario's horizon ({horizon} periods "
                         f"of {scenario.params.run.review_days:.4g} days in run.years = "
                         f"{scenario.params.run.years:g})", f"periods 0 to {horizon - 1}, or "
                         "a longer run.years in the scenario")
        kpi = _kpi(path, number, cell["kpi"], known, mode)
        value = _number(path, number, "value", cell["value"])
        se_text = cell.get("se", "")
        se = _number(path, number, "se", se_text, positive=True) if se_text else math.nan
        if (kpi, period) in seen:
            raise _error(path, f"row {number}", f"period {period} of KPI '{kpi}' is also "
                         f"given in row {seen[kpi, period]}", "one row per period and KPI")
        seen[kpi, period] = number
        records.append({"kpi": kpi, "period": period, "value": value, "se": se})
    table = pd.DataFrame(records)
    frames = []
    for kpi, group in table.groupby("kpi", sort=False):
        group = group.sort_values("period")
        periods = group["period"].to_numpy()
        expected = np.arange(periods[0], periods[-1] + 1)
        if len(periods) != len(expected):
            missing = sorted(set(expected) - set(periods))
            shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
            raise _error(path, f"KPI '{kpi}'", f"periods {periods[0]} to {periods[-1]} with "
                         f"period{'s' if len(missing) > 1 else ''} {shown} missing",
                         "consecutive periods (one row for every period of a KPI's span)")
        scale = default_scale(group["value"].to_numpy(float))
        frames.append(group.assign(scale=group["se"].fillna(scale)))
    ordered = pd.concat(frames, ignore_index=True)
    return Observed(path, ordered[["kpi", "period", "value", "se", "scale"]])


__all__ = ["Observed", "default_scale", "horizon_periods", "load_observed", "period_kpis"]
