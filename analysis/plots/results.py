"""What the figures need to know about a results directory beyond its tables.

The warm-up, the resolved parameters and the sweep's factors live in nested
fields of ``manifest.json`` (``analysis.load`` keeps only its top-level
scalars), written by ``spc run`` (with or without replications), ``spc compare``
and ``spc sweep`` (``sim/experiment/runner.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError

MAX_GROUPS = 10
"""Most scenarios or design points drawn as separate lines (``style.PALETTE`` has ten
colours; the first eight stay distinct for colour-blind readers too)."""

GROUP = "group"
"""The column that names a line: the scenario, or a sweep's design point."""


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The whole ``manifest.json`` of a results directory, nested fields included."""
    path = Path(directory) / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{Path(directory)}: not a results directory (no manifest.json); "
                           "give a directory written by spc run, compare or sweep") from None
    except ValueError as exc:
        raise ResultsError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise ResultsError(f"{path}: unreadable manifest (not a JSON object)")
    return manifest


def kind(manifest: dict[str, Any]) -> str:
    """``run``, ``compare`` or ``sweep`` (a single ``spc run`` without a plan is a run)."""
    return str(manifest.get("plan", {}).get("kind", "run"))


def scenario_records(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenarios run, each with its name and resolved ``parameters``; the base first.

    For a run the top-level record wins over the plan's (it carries a chosen warm-up)."""
    plan = manifest.get("plan", {})
    if kind(manifest) == "compare":
        return list(plan.get("scenarios", []))
    record = manifest.get("scenario") or plan.get("scenario")
    return [record] if isinstance(record, dict) else []


def parameter(record: dict[str, Any], path: str) -> Any:
    """A resolved parameter by its ``section.key`` path, or None."""
    value: Any = record.get("parameters", {})
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def currency(manifest: dict[str, Any]) -> str:
    """The base scenario's currency label (``money.currency``), "" if none or not recorded."""
    records = scenario_records(manifest)
    value = parameter(records[0], "money.currency") if records else None
    return value if isinstance(value, str) else ""


def warmup_years(manifest: dict[str, Any]) -> dict[str, float]:
    """Warm-up of each scenario (by name), in years: ``run.warmup_years`` as run."""
    out = {}
    for record in scenario_records(manifest):
        value = parameter(record, "run.warmup_years")
        if isinstance(value, int | float):
            out[str(record.get("name"))] = float(value)
    return out


def sweep_factors(manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> list[str]:
    """The parameter paths a sweep varies, in the sweep file's order."""
    sweep = manifest.get("plan", {}).get("sweep", {})
    names = [f["path"] for f in sweep.get("factors", []) if isinstance(f, dict) and "path" in f]
    if not names and "design" in tables:
        names = [c for c in tables["design"].columns if c != "point"]
    return names


def sweep_kpis(manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> list[str]:
    """The KPIs a sweep analyses (its file's ``kpis``), present in the summary with at
    least one value (a KPI undefined in every run, such as the promoter conversion of a
    run shorter than a cohort's year, gets no empty panel)."""
    sweep = manifest.get("plan", {}).get("sweep", {})
    kpis = list(sweep.get("kpis", []))
    if not kpis and "sensitivity" in tables:
        kpis = list(dict.fromkeys(tables["sensitivity"]["kpi"]))
    summary = tables.get("summary", pd.DataFrame())
    return [k for k in kpis if k in summary.columns
            and pd.to_numeric(summary[k], errors="coerce").notna().any()]


def short_factor(path: str) -> str:
    """``organization.reliability`` -> ``reliability``."""
    return path.rsplit(".", 1)[-1]


def point_labels(design: pd.DataFrame, factors: list[str]) -> dict[int, str]:
    """``{point: "reliability 0.85, empowerment 0.1"}``."""
    labels = {}
    for values in design.to_dict("records"):
        parts = [f"{short_factor(f)} {values[f]:.3g}" if isinstance(values[f], float)
                 else f"{short_factor(f)} {values[f]}" for f in factors if f in values]
        labels[int(values["point"])] = ", ".join(parts)
    return labels


def with_groups(frame: pd.DataFrame, tables: dict[str, pd.DataFrame],
                manifest: dict[str, Any]) -> pd.DataFrame | None:
    """``frame`` with a :data:`GROUP` column naming its line, or None if there would be
    more than :data:`MAX_GROUPS` lines (a large sweep: its own figures summarise it)."""
    if kind(manifest) == "sweep" and "design" in tables and "point" in frame.columns:
        design = tables["design"]
        if design["point"].nunique() > MAX_GROUPS:
            return None
        names = point_labels(design, sweep_factors(manifest, tables))
        return frame.assign(**{GROUP: frame["point"].map(names).fillna("point ?")})
    if frame["scenario"].nunique() > MAX_GROUPS:
        return None
    return frame.assign(**{GROUP: frame["scenario"].astype(str)})


def group_order(frame: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """Lines in a stable order: the base scenario first, then as run."""
    names = [str(r.get("name")) for r in scenario_records(manifest)]
    present = list(dict.fromkeys(frame[GROUP]))
    return [n for n in names if n in present] + [n for n in present if n not in names]


def organisation_rows(periods: pd.DataFrame) -> pd.DataFrame:
    """The period rows of the whole organization (``unit == "all"``, where units exist)."""
    if "unit" in periods.columns:
        return periods[periods["unit"] == "all"]
    return periods


def behaviour_mode(manifest: dict[str, Any]) -> bool:
    records = scenario_records(manifest)
    return bool(records) and parameter(records[0], "run.mode") != "queue"


def factor_label_pair(pair: tuple[str, str]) -> tuple[str, str]:
    """File-name-safe short names of two factors."""
    return (short_factor(pair[0]).replace(" ", "_"), short_factor(pair[1]).replace(" ", "_"))
