"""Helpers of every results writer: flat KPI names, JSON-safe values, the environment.

Results are written by one path, the sharded store (:mod:`sim.experiment.store`),
for a single ``spc run`` as for replications, comparisons and sweeps; the layout,
lock and manifest are in :mod:`sim.results`.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

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
