"""The results store: one Parquet shard per (scenario, design point, replication).

Layout of a results directory::

    manifest.json                         what was run, where, how (written atomically)
    shards/<scenario>/p00000/r00000.parquet   the periods of one replication; its summary,
                                              job and cohort table in the file's metadata
    shards/<scenario>/p00000/r00000.events.parquet   (with --events)
    errors/<scenario>/p00000/r00000.json      a failed replication's error and traceback
    periods.parquet, summary.parquet, cohorts.parquet, events.parquet   consolidated views

Every file is written to a temporary name in its final folder and renamed into
place, so a kill at any moment leaves either a complete shard or none (a stray
temporary file is ignored and cleaned).  A shard is complete when it reads back
and its metadata names the job it should hold; ``--resume`` re-runs exactly
the jobs without a complete shard, so an interrupted run resumed gives the same
bytes as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ResultsError
from sim.experiment.jobs import Job, Outcome
from sim.output import flat_kpis, json_safe

META_JOB = b"spc.job"
META_SUMMARY = b"spc.summary"
META_TABLES = b"spc.tables"
FORMATS = ("parquet", "csv")


def _atomic_write(path: Path, write: Any) -> None:
    """Write via ``write(tmp_path)`` to a temporary file beside ``path``, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Atomically write ``data`` as JSON (NaN as null)."""
    text = json.dumps(json_safe(data), indent=2, sort_keys=True) + "\n"
    _atomic_write(path, lambda tmp: tmp.write_text(text))


def _job_meta(job: Job, scenario_hash: str) -> dict[str, Any]:
    return {"scenario": job.scenario, "point": job.point, "replication": job.replication,
            "point_overrides": list(job.point_overrides), "scenario_hash": scenario_hash}


class ResultsStore:
    """A results directory, opened for a new run, a resumed run, or reading."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    # -- opening -----------------------------------------------------------------------------
    def open_for_run(self, plan: dict[str, Any], resume: bool, force: bool) -> None:
        """Prepare the directory: refuse to touch existing results unless ``resume`` (same
        plan) or ``force`` (the old results are moved aside and removed once the new
        directory is set up)."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise ResultsError(f"{root}: exists and is not a directory; choose another --out")
        occupied = root.is_dir() and any(root.iterdir())
        if occupied and resume:
            manifest = self.read_manifest()
            if manifest.get("plan") != json_safe(plan):
                raise ResultsError(
                    f"{root}: --resume needs the same command and scenarios as the run that "
                    "wrote it (its manifest.json records a different plan); use another --out"
                )
            self._clean_temporaries()
            return
        if occupied and not force:
            raise ResultsError(
                f"{root}: results directory already exists and is not empty; use --resume to "
                "complete it, --force to replace it, or choose another --out"
            )
        if occupied:
            trash = Path(tempfile.mkdtemp(prefix=f".{root.name}.old.", dir=root.resolve().parent))
            root.rename(trash / root.name)
            shutil.rmtree(trash, ignore_errors=True)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(
                f"{root}: cannot create results directory ({exc.strerror})"
            ) from None

    def read_manifest(self) -> dict[str, Any]:
        path = self.root / "manifest.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ResultsError(
                f"{self.root}: not a results directory (no manifest.json)"
            ) from None
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{path}: unreadable manifest ({exc})") from None
        if not isinstance(data, dict):
            raise ResultsError(f"{path}: unreadable manifest (not a JSON object)")
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json(self.root / "manifest.json", manifest)

    def _clean_temporaries(self) -> None:
        for tmp in self.root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    # -- shards ------------------------------------------------------------------------------
    def shard_path(self, job: Job) -> Path:
        return (self.root / "shards" / job.scenario / f"p{job.point:05d}"
                / f"r{job.replication:05d}.parquet")

    def error_path(self, job: Job) -> Path:
        return (self.root / "errors" / job.scenario / f"p{job.point:05d}"
                / f"r{job.replication:05d}.json")

    def is_complete(self, job: Job) -> bool:
        """A shard for ``job`` exists, reads back, and says it holds ``job``."""
        path = self.shard_path(job)
        if not path.is_file():
            return False
        try:
            meta = pq.read_schema(path).metadata or {}
            held = json.loads(meta[META_JOB])
        except (OSError, KeyError, ValueError, pa.ArrowException):
            path.unlink(missing_ok=True)  # broken: re-run it
            return False
        expected = {k: v for k, v in _job_meta(job, "").items() if k != "scenario_hash"}
        return {k: v for k, v in held.items() if k != "scenario_hash"} == expected

    def write_outcome(self, outcome: Outcome) -> None:
        """Store a finished job: its shard (or its error)."""
        job = outcome.job
        if not outcome.ok:
            write_json(self.error_path(job), {**_job_meta(job, ""), "error": outcome.error})
            return
        events = outcome.tables.get("events")
        if events is not None:
            events_path = self.shard_path(job).with_suffix(".events.parquet")
            frame = pd.DataFrame(events)
            _atomic_write(events_path, lambda tmp: pq.write_table(
                pa.Table.from_pandas(frame, preserve_index=False), tmp, compression="zstd"))
        other_tables = {k: v for k, v in outcome.tables.items() if k != "events"}
        table = pa.Table.from_pandas(pd.DataFrame(outcome.periods), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[META_JOB] = json.dumps(_job_meta(job, outcome.scenario_hash), sort_keys=True).encode()
        meta[META_SUMMARY] = json.dumps({"seed": outcome.seed, **outcome.summary},
                                        sort_keys=True).encode()
        meta[META_TABLES] = json.dumps(other_tables, sort_keys=True).encode()
        table = table.replace_schema_metadata(meta)
        _atomic_write(self.shard_path(job),
                      lambda tmp: pq.write_table(table, tmp, compression="zstd"))
        self.error_path(job).unlink(missing_ok=True)

    def errors(self) -> list[dict[str, Any]]:
        """The recorded failures, in a stable order."""
        out = []
        for path in sorted((self.root / "errors").rglob("*.json")):
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, ValueError):
                continue
        return out

    # -- reading -----------------------------------------------------------------------------
    def shards(self) -> list[Path]:
        """Every complete-looking shard, in (scenario, point, replication) order."""
        if not (self.root / "shards").is_dir():
            return []
        return sorted(p for p in (self.root / "shards").rglob("r*.parquet")
                      if not p.name.endswith(".events.parquet"))

    def load(self, order: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Tidy tables from the shards: summary, periods, cohorts (and events)."""
        summaries, periods, cohorts, events = [], [], [], []
        for path in self.shards():
            try:
                table = pq.read_table(path)
                meta = table.schema.metadata or {}
                job = json.loads(meta[META_JOB])
                summary = json.loads(meta[META_SUMMARY])
                tables = json.loads(meta[META_TABLES])
            except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
                raise ResultsError(f"{path}: broken shard ({exc}); rerun with --resume") from None
            ids = {"scenario": job["scenario"], "point": job["point"],
                   "replication": job["replication"]}
            summaries.append({**ids, **flat_kpis(summary)})
            frame = table.to_pandas()
            for i, (k, v) in enumerate(ids.items()):
                frame.insert(i, k, v)
            periods.append(frame)
            for row in tables.get("cohorts", []):
                cohorts.append({**ids, **row})
            events_path = path.with_suffix(".events.parquet")
            if events_path.is_file():
                ev = pq.read_table(events_path).to_pandas()
                for i, (k, v) in enumerate(ids.items()):
                    ev.insert(i, k, v)
                events.append(ev)
        rank = {name: i for i, name in enumerate(order or [])}

        def ordered(df: pd.DataFrame) -> pd.DataFrame:
            if df.empty:
                return df
            key = df["scenario"].map(lambda s: (rank.get(s, len(rank)), s))
            df = df.assign(_rank=key).sort_values(
                ["_rank", "point", "replication"], kind="stable").drop(columns="_rank")
            return df.reset_index(drop=True)

        out = {
            "summary": ordered(pd.DataFrame(summaries)),
            "periods": ordered(pd.concat(periods, ignore_index=True)) if periods
            else pd.DataFrame(),
            "cohorts": ordered(pd.DataFrame(cohorts)),
        }
        if events:
            out["events"] = ordered(pd.concat(events, ignore_index=True))
        return out

    def consolidate(self, fmt: str, order: Iterable[str] | None = None,
                    extra: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
        """Write the consolidated tables (atomically) and return them."""
        tables = self.load(order)
        tables.update(extra or {})
        for name, df in tables.items():
            _atomic_write(self.root / f"{name}.{fmt}",
                          lambda tmp, df=df: write_frame(df, tmp, fmt))
        return tables


def write_frame(df: pd.DataFrame, path: Path, fmt: str) -> None:
    """``df`` to ``path`` as Parquet or CSV, with deterministic bytes."""
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="zstd")
    elif fmt == "csv":
        df.to_csv(path, index=False, float_format="%.17g")
    else:
        raise ResultsError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
