"""Analysis of simulation output: statistics, queueing theory, comparisons, sensitivity.

Analysis works on stored or returned results, never on live model objects:
:func:`load` reads a results directory into tidy pandas DataFrames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd


def load(directory: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a results directory written by ``spc run``, ``compare`` or ``sweep``:
    ``summary`` (one row per scenario, design point and replication), ``periods``,
    ``cohorts`` and, where present, ``events``, ``comparisons``, ``design`` and
    ``sensitivity``; plus ``manifest`` as a one-row frame of its top-level scalars."""
    import json

    from sim.errors import ResultsError

    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise ResultsError(f"{root}: not a results directory (no manifest.json)")
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise ResultsError(f"{manifest_path}: unreadable manifest ({exc})") from None
    if (root / "shards").is_dir():
        from sim.experiment.store import ResultsStore

        tables = ResultsStore(root).load()
    else:
        tables = {}
    for name in ("summary", "periods", "cohorts", "events", "comparisons", "design",
                 "sensitivity"):
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
