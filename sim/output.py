"""Writing a run's results: tidy tables (Parquet or CSV) and a manifest, never clobbering.

A results directory is assembled in a temporary sibling directory and moved
into place only when complete, so a crash never leaves a half-written
directory under the requested name, and an existing directory is replaced
only when ``force`` is given (and then only after the new one is complete).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ResultsError
from sim.model.system import RunResult
from sim.scenario import Scenario

FORMATS = ("parquet", "csv")


def flat_kpis(kpis: Mapping[str, Any]) -> dict[str, Any]:
    """Nested KPI dicts (``failures_by_source``) flattened to ``failures_by_source.process``."""
    out: dict[str, Any] = {}
    for key, value in kpis.items():
        if isinstance(value, Mapping):
            for sub, v in flat_kpis(value).items():
                out[f"{key}.{sub}"] = v
        else:
            out[key] = value
    return out


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None and numpy scalars as Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def periods_frame(results: list[RunResult]) -> pd.DataFrame:
    """The per-period time series of runs as one tidy table."""
    frames = []
    for r in results:
        df = pd.DataFrame(r.periods)
        df.insert(0, "replication", r.replication)
        df.insert(0, "scenario", r.scenario)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def summary_frame(results: list[RunResult]) -> pd.DataFrame:
    """One row per run: scenario, replication, seed and every KPI."""
    rows = []
    for r in results:
        row: dict[str, Any] = {"scenario": r.scenario, "replication": r.replication, "seed": r.seed}
        row.update(flat_kpis(r.summary))
        rows.append(row)
    return pd.DataFrame(rows)


def extra_tables(results: list[RunResult]) -> dict[str, pd.DataFrame]:
    """The run's further tables: cohorts (behaviour mode) and the event log (if recorded)."""
    from sim.model.system import EVENT_COLUMNS

    out: dict[str, pd.DataFrame] = {}
    names = sorted({name for r in results for name in r.tables})
    for name in names:
        frames = []
        for r in results:
            df = pd.DataFrame(r.tables.get(name, []))
            df.insert(0, "replication", r.replication)
            df.insert(0, "scenario", r.scenario)
            frames.append(df)
        out[name] = pd.concat(frames, ignore_index=True)
    if any(r.events is not None for r in results):
        frames = []
        for r in results:
            df = pd.DataFrame(r.events or [], columns=list(EVENT_COLUMNS))
            df.insert(0, "replication", r.replication)
            df.insert(0, "scenario", r.scenario)
            frames.append(df)
        out["events"] = pd.concat(frames, ignore_index=True)
    return out


def write_table(df: pd.DataFrame, path_stem: Path, fmt: str) -> Path:
    """Write ``df`` as ``path_stem.parquet`` or ``.csv`` (deterministic bytes)."""
    if fmt == "parquet":
        path = path_stem.with_suffix(".parquet")
        table = pa.Table.from_pandas(df, preserve_index=False)
        pq.write_table(table, path, compression="zstd")
    elif fmt == "csv":
        path = path_stem.with_suffix(".csv")
        df.to_csv(path, index=False, float_format="%.17g")
    else:
        raise ResultsError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    return path


def git_state() -> dict[str, Any]:
    """Commit and dirty flag of the source checkout, when the package runs from one."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(dirty)}


def package_version() -> str:
    try:
        return metadata.version("spc")
    except metadata.PackageNotFoundError:
        return "unknown"


def environment() -> dict[str, Any]:
    """Versions, platform and CPU of the machine that ran."""
    import simpy

    return {
        "package_version": package_version(),
        "git": git_state(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "simpy": simpy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "os": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }


def manifest(
    scenario: Scenario, results: list[RunResult], extra: Mapping[str, Any]
) -> dict[str, Any]:
    """Everything needed to know what was run, where and how."""
    streams = sorted({name for r in results for name in r.stream_names})
    return json_safe(
        {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            **environment(),
            "scenario": {
                "name": scenario.name,
                "description": scenario.description,
                "path": str(scenario.path) if scenario.path else None,
                "extends_chain": [str(p) for p in scenario.chain],
                "overrides": list(scenario.overrides),
                "hash": scenario.hash,
                "parameters": scenario.params.model_dump(mode="json"),
            },
            "root_seed": scenario.params.run.seed,
            "replications": [r.replication for r in results],
            "streams": streams,
            "wall_seconds": sum(r.wall_seconds for r in results),
            **extra,
        }
    )


def prepare_destination(out: Path, force: bool) -> None:
    """Refuse to touch an existing non-empty directory unless ``force``."""
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: exists and is not a directory; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ResultsError(
            f"{out}: results directory already exists and is not empty; "
            "use --force to replace it, or choose another --out"
        )


def _umask() -> int:
    """The process's file-mode creation mask (reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_run(
    out: Path,
    scenario: Scenario,
    results: list[RunResult],
    fmt: str = "parquet",
    force: bool = False,
    extra_manifest: Mapping[str, Any] | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
) -> Path:
    """Write periods, summary, any extra tables and the manifest to ``out`` atomically."""
    out = Path(out)
    prepare_destination(out, force)
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private (0700); mkdir would not
    except OSError as exc:
        raise ResultsError(f"{out}: cannot create results directory ({exc.strerror})") from None
    try:
        write_table(periods_frame(results), staging / "periods", fmt)
        write_table(summary_frame(results), staging / "summary", fmt)
        for name, df in (tables or {}).items():
            write_table(df, staging / name, fmt)
        info = manifest(scenario, results, {"format": fmt, **(extra_manifest or {})})
        (staging / "manifest.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        if out.exists():
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            out.rename(trash / out.name)
            staging.rename(out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out
