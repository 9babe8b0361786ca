"""The stored results of a teaching experiment, and the statistics every analysis shares."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.statistics.intervals import Interval, t_interval, within
from sim.statistics.output_analysis import direction, kpi_bounds


@dataclass(frozen=True)
class Results:
    """A results directory of ``spc experiment run``: its tables and its manifest."""

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any]

    @classmethod
    def read(cls, directory: str | Path) -> Results:
        """Read what :func:`sim.experiment.teaching.run_teaching` stored in ``directory``."""
        from analysis import load

        tables = load(directory)
        manifest = json.loads((Path(directory) / "manifest.json").read_text())
        return cls(tables, manifest)

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def periods(self) -> pd.DataFrame:
        return self.tables["periods"]

    def scenario_records(self) -> list[dict[str, Any]]:
        """The scenarios as the plan records them (name, parameters, description), in order."""
        plan = self.manifest["plan"]
        return list(plan["scenarios"]) if "scenarios" in plan else [plan["scenario"]]

    def scenario_names(self) -> list[str]:
        return [r["name"] for r in self.scenario_records()]

    def parameters(self, scenario: str | None = None) -> dict[str, Any]:
        """The resolved parameters of ``scenario`` (default: the first)."""
        records = self.scenario_records()
        for r in records:
            if scenario is None or r["name"] == scenario:
                return dict(r["parameters"])
        raise KeyError(scenario)


def interval_of(values: pd.Series | np.ndarray, kpi: str | None = None) -> Interval:
    """The 95 % Student-t interval of the mean over replications; of a KPI's mean (``kpi``),
    truncated to the range the KPI can take, as everywhere in the package (a turnover
    interval does not go below zero)."""
    iv = t_interval(np.asarray(values, dtype=float))
    return within(iv, kpi_bounds(kpi)) if kpi is not None else iv


def verdict_word(kpi: str, low: float, high: float) -> str:
    """``better``/``worse`` (or ``higher``/``lower`` for a KPI without a direction) when the
    paired interval excludes 0, else ``no clear difference``."""
    if not (low > 0.0 or high < 0.0):
        return "no clear difference"
    higher = low > 0.0
    better = direction(kpi)
    if better is None:
        return "higher" if higher else "lower"
    return "better" if higher == better else "worse"


def paired(summary: pd.DataFrame, base: str, other: str, kpi: str) -> Interval:
    """The paired-t interval of ``other - base`` over replications (common random numbers)."""
    a = summary[summary["scenario"] == base].set_index("replication")[kpi]
    b = summary[summary["scenario"] == other].set_index("replication")[kpi]
    common = a.index.intersection(b.index).sort_values()
    return interval_of((b.loc[common] - a.loc[common]).to_numpy(dtype=float))


def means_by(frame: pd.DataFrame, keys: list[str], kpi: str) -> pd.DataFrame:
    """Mean of ``kpi`` over replications with its 95 % interval, per group of ``keys``."""
    rows = []
    for group, sub in frame.groupby(keys, sort=False):
        iv = interval_of(sub[kpi], kpi)
        key = group if isinstance(group, tuple) else (group,)
        rows.append({**dict(zip(keys, key, strict=True)), "mean": iv.mean, "low": iv.low,
                     "high": iv.high, "n": iv.n})
    return pd.DataFrame(rows)
