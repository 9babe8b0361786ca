"""Analysis of simulation output: statistics, queueing theory, comparisons, sensitivity.

Analysis works on stored or returned results, never on live model objects:
:func:`load` reads a results directory into tidy pandas DataFrames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def load(directory: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a results directory written by ``spc run``, ``compare``, ``sweep`` or
    ``experiment run``: ``summary`` (one row per scenario, design point and replication),
    ``periods``, ``cohorts`` and, where present, ``events``, ``customers`` and ``panel``
    (customer-level output of ``--panel``), ``comparisons``, ``decision``, ``design``,
    ``sensitivity``, ``candidates`` and ``trials`` (``spc optimize``), ``posterior``,
    ``intervals`` and ``predictive`` (``spc calibrate``); plus ``manifest``
    as a one-row frame of its top-level scalars.

    Every kind of results has the same layout and the same typed manifest
    (:class:`sim.results.manifest.Manifest`, checked on reading)."""
    from sim.errors import ResultsError
    from sim.experiment.store import ResultsStore
    from sim.results.layout import TABLES
    from sim.results.manifest import read_manifest

    root = Path(directory)
    manifest: dict[str, Any] = read_manifest(root).as_read()
    tables = ResultsStore(root).load() if (root / "shards").is_dir() else {}
    for name in TABLES:
        for suffix, reader in ((".parquet", pd.read_parquet), (".csv", pd.read_csv)):
            path = root / f"{name}{suffix}"
            if path.is_file():
                try:
                    tables[name] = reader(path)
                except pd.errors.EmptyDataError:  # a CSV of a table with no rows
                    tables[name] = pd.DataFrame()
                except Exception as exc:
                    raise ResultsError(f"{path}: unreadable table ({exc})") from None
                break
    tables["manifest"] = pd.DataFrame(
        [{k: v for k, v in manifest.items() if not isinstance(v, dict | list)}]
    )
    return tables
