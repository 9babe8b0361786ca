"""The results store: one Parquet shard per (scenario, design point, replication).

Layout of a results directory::

    manifest.json                         what was run, where, how (sim.results.manifest)
    .spc.lock                             held while a command writes (sim.results.lock)
    shards/<name>/p00000/r00000.parquet   the periods of one replication; its summary,
                                          job and cohort table in the file's metadata
    shards/<name>/p00000/r00000.events.parquet   (with --events)
    shards/<name>/p00000/r00000.customers.parquet, r00000.panel.parquet   (with --panel)
    shards/<name>/p00000/r00000.check.json       scenario hash and sha256 of the above
    errors/<name>/p00000/r00000.json      a failed replication's error and traceback
    periods.parquet, summary.parquet, cohorts.parquet, events.parquet,
    customers.parquet, panel.parquet      consolidated views

``<name>`` is the scenario's name made safe as a file name
(:func:`sim.results.layout.safe_name`), so no name leads outside the directory.
Every file is written to a temporary name in its final folder and renamed into
place, so a kill at any moment leaves either a complete shard or none (a stray
temporary file is ignored and cleaned).  The check file is written last: a shard
is complete when its check file names the job and the scenario hash it should
hold and the sha256 of its bytes matches; ``--resume`` re-runs exactly the jobs
without a complete shard (saying which and why), so an interrupted run resumed
gives the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import ResultsError
from sim.experiment.jobs import Job, Outcome
from sim.output import flat_kpis, json_safe
from sim.results.files import atomic_write_bytes, atomic_write_text, write_fault
from sim.results.layout import LOCK, MANIFEST, inside, remove_spc_files, safe_name
from sim.results.lock import ResultsLock

#: customer-level tables written (columnar) with --panel, one file each per shard
COLUMNAR = ("customers", "panel")
META_JOB = b"spc.job"
META_SUMMARY = b"spc.summary"
META_TABLES = b"spc.tables"
META_STREAMS = b"spc.streams"
FORMATS = ("parquet", "csv")
RESUME_HINT = "the completed replications are kept; fix this and rerun with --resume"


def write_json(path: Path, data: Any) -> None:
    """Atomically write ``data`` as JSON (NaN as null)."""
    text = json.dumps(json_safe(data), indent=2, sort_keys=True) + "\n"
    atomic_write_text(path, text, RESUME_HINT)


def parquet_bytes(table: pa.Table) -> bytes:
    """``table`` as the bytes of a zstd-compressed Parquet file (deterministic)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _with_ids(frame: pd.DataFrame, ids: dict[str, Any]) -> pd.DataFrame:
    """``frame`` with the run's identifiers (scenario, point, replication) in front."""
    for i, (k, v) in enumerate(ids.items()):
        frame.insert(i, k, v)
    return frame


def _job_meta(job: Job, scenario_hash: str) -> dict[str, Any]:
    return {"scenario": job.scenario, "point": job.point, "replication": job.replication,
            "point_overrides": list(job.point_overrides), "scenario_hash": scenario_hash}


class ResultsStore:
    """A results directory, opened for a new run, a resumed run, or reading."""

    def __init__(self, root: str | Path, kind: str | None = None,
                 about: dict[str, Any] | None = None) -> None:
        self.root = Path(root)
        self.kind = kind  # the manifest's kind, when not the plan's (run, teaching)
        self.about = dict(about or {})  # further manifest fields (a teaching experiment)
        self.lock: ResultsLock | None = None

    # -- opening -----------------------------------------------------------------------------
    def open_for_run(self, plan: dict[str, Any], resume: bool, force: bool,
                     command: str = "spc") -> None:
        """Prepare the directory and take its lock (released by :meth:`close`): refuse to
        touch existing results unless ``resume`` (same plan) or ``force`` (what spc wrote
        there is removed; the user's own files stay)."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise ResultsError(f"{root}: exists and is not a directory; choose another --out")
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultsError(
                f"{root}: cannot create results directory ({exc.strerror})"
            ) from None
        self.lock = ResultsLock(root, command)
        self.lock.acquire()
        try:
            self._prepare(plan, resume, force)
        except BaseException:
            self.close()
            raise

    def _prepare(self, plan: dict[str, Any], resume: bool, force: bool) -> None:
        root = self.root
        occupied = any(p.name != LOCK for p in root.iterdir())
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
            left = remove_spc_files(root)
            if left:
                names = ", ".join(str(p) for p in left[:5]) + (" ..." if len(left) > 5 else "")
                print(f"spc: --force removed the earlier results in {root}; left "
                      f"{len(left)} file(s) spc did not write: {names}", file=sys.stderr)

    def close(self) -> None:
        """Release the directory's lock (if this store holds it)."""
        lock = getattr(self, "lock", None)
        if lock is not None:
            lock.release()
            self.lock = None

    def read_manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
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
        write_json(self.root / MANIFEST, manifest)

    def _clean_temporaries(self) -> None:
        for tmp in self.root.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)

    # -- shards ------------------------------------------------------------------------------
    def _job_stem(self, folder: str, job: Job) -> Path:
        """``folder/<safe name>/pNNNNN/rNNNNN`` (no suffix), checked to stay inside."""
        stem = (self.root / folder / safe_name(job.scenario) / f"p{job.point:05d}"
                / f"r{job.replication:05d}")
        return inside(self.root, stem)

    def shard_path(self, job: Job) -> Path:
        return self._job_stem("shards", job).with_suffix(".parquet")

    def events_path(self, job: Job) -> Path:
        return self._job_stem("shards", job).with_suffix(".events.parquet")

    def columns_path(self, job: Job, name: str) -> Path:
        """The shard of a columnar table (``customers``, ``panel``) of ``job``."""
        return self._job_stem("shards", job).with_suffix(f".{name}.parquet")

    def check_path(self, job: Job) -> Path:
        return self._job_stem("shards", job).with_suffix(".check.json")

    def error_path(self, job: Job) -> Path:
        return self._job_stem("errors", job).with_suffix(".json")

    def shard_problem(self, job: Job, scenario_hash: str | None = None) -> str | None:
        """Why the shard of ``job`` cannot be used (``"missing"``, foreign, corrupted,
        ...), or None when it is complete: its check file names the job and
        ``scenario_hash`` and the sha256 of its files match."""
        path, check = self.shard_path(job), self.check_path(job)
        if not path.is_file():
            return "missing"
        try:
            record = json.loads(check.read_text())
            held, sums = record["job"], record["sha256"]
        except FileNotFoundError:
            return "no check file (an interrupted write)"
        except (OSError, ValueError, KeyError, TypeError):
            return "unreadable check file"
        expected = {k: v for k, v in _job_meta(job, "").items() if k != "scenario_hash"}
        if {k: v for k, v in held.items() if k != "scenario_hash"} != expected:
            return "it holds another replication"
        if scenario_hash is not None and held.get("scenario_hash") != scenario_hash:
            return (f"foreign scenario hash {str(held.get('scenario_hash'))[:12]}, expected "
                    f"{scenario_hash[:12]}")
        files = [path] + ([self.events_path(job)] if job.events else [])
        files += [self.columns_path(job, name) for name in COLUMNAR if job.panel]
        for file in files:
            if not file.is_file():
                return f"{file.name} is missing"
            if sums.get(file.name) != sha256_of(file):
                return f"corrupted: the sha256 of {file.name} does not match its check file"
        return None

    def is_complete(self, job: Job, scenario_hash: str | None = None) -> bool:
        """A shard for ``job`` exists, matches its checksum, and says it holds ``job``."""
        return self.shard_problem(job, scenario_hash) is None

    def write_outcome(self, outcome: Outcome) -> None:
        """Store a finished job: its shard and check file (or its error); a write the
        system refuses is one :class:`ResultsError` (the shards written so far stay)."""
        try:
            self._write_outcome(outcome)
        except OSError as exc:
            path = Path(exc.filename) if exc.filename else self.shard_path(outcome.job)
            raise write_fault(path, exc, RESUME_HINT) from None

    def _write_outcome(self, outcome: Outcome) -> None:
        job = outcome.job
        if not outcome.ok:
            write_json(self.error_path(job), {**_job_meta(job, ""), "error": outcome.error})
            return
        self.check_path(job).unlink(missing_ok=True)  # the shard is complete only with it
        sums = {}
        events = outcome.tables.get("events")
        if events is not None:
            data = parquet_bytes(pa.Table.from_pandas(pd.DataFrame(events),
                                                      preserve_index=False))
            atomic_write_bytes(self.events_path(job), data, RESUME_HINT)
            sums[self.events_path(job).name] = hashlib.sha256(data).hexdigest()
        for name, columns in outcome.columns.items():
            data = parquet_bytes(pa.table(columns))
            target = self.columns_path(job, name)
            atomic_write_bytes(target, data, RESUME_HINT)
            sums[target.name] = hashlib.sha256(data).hexdigest()
        other_tables = {k: v for k, v in outcome.tables.items() if k != "events"}
        table = pa.Table.from_pandas(pd.DataFrame(outcome.periods), preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[META_JOB] = json.dumps(_job_meta(job, outcome.scenario_hash), sort_keys=True).encode()
        meta[META_SUMMARY] = json.dumps({"seed": outcome.seed, **outcome.summary},
                                        sort_keys=True).encode()
        meta[META_TABLES] = json.dumps(other_tables, sort_keys=True).encode()
        meta[META_STREAMS] = json.dumps(sorted(outcome.stream_names)).encode()
        data = parquet_bytes(table.replace_schema_metadata(meta))
        atomic_write_bytes(self.shard_path(job), data, RESUME_HINT)
        sums[self.shard_path(job).name] = hashlib.sha256(data).hexdigest()
        write_json(self.check_path(job), {"job": _job_meta(job, outcome.scenario_hash),
                                          "sha256": sums})
        self.error_path(job).unlink(missing_ok=True)

    def stored_summary(self, scenario: str, point: int = 0,
                       replication: int = 0) -> tuple[int, dict[str, Any]]:
        """The seed and the (nested) KPIs of one stored replication."""
        path = self.shard_path(Job(scenario, {}, replication, point))
        try:
            summary = json.loads((pq.read_schema(path).metadata or {})[META_SUMMARY])
        except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
            raise ResultsError(f"{path}: broken shard ({exc}); rerun with --resume") from None
        seed = summary.pop("seed")
        return int(seed), summary

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
                      if p.name.count(".") == 1)  # not r00000.events.parquet, ...

    def stream_names(self) -> list[str]:
        """The named random streams the stored replications drew from."""
        names: set[str] = set()
        for path in self.shards():
            meta = pq.read_schema(path).metadata or {}
            names.update(json.loads(meta.get(META_STREAMS, b"[]")))
        return sorted(names)

    def load(self, order: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Tidy tables from the shards: summary, periods, cohorts (and events)."""
        summaries, periods, cohorts, events = [], [], [], []
        columnar: dict[str, list[pd.DataFrame]] = {name: [] for name in COLUMNAR}
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
            for name, frames in columnar.items():
                extra_path = path.with_suffix(f".{name}.parquet")
                if extra_path.is_file():
                    frames.append(_with_ids(pq.read_table(extra_path).to_pandas(), ids))
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
        for name, frames in columnar.items():
            if frames:
                out[name] = ordered(pd.concat(frames, ignore_index=True))
        return out

    def consolidate(self, fmt: str, order: Iterable[str] | None = None,
                    extra: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
        """Write the consolidated tables (atomically) and return them."""
        tables = self.load(order)
        tables.update(extra or {})
        for name, df in tables.items():
            atomic_write_bytes(self.root / f"{name}.{fmt}", frame_bytes(df, fmt), RESUME_HINT)
        return tables


def frame_bytes(df: pd.DataFrame, fmt: str) -> bytes:
    """``df`` as the bytes of a Parquet or CSV file (deterministic), made in memory so
    that only plain file writes touch the disk."""
    if fmt == "parquet":
        return parquet_bytes(pa.Table.from_pandas(df, preserve_index=False))
    if fmt == "csv":
        return str(df.to_csv(index=False, float_format="%.17g")).encode("utf-8")
    raise ResultsError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")


def write_frame(df: pd.DataFrame, path: Path, fmt: str) -> None:
    """``df`` to ``path`` as Parquet or CSV, with deterministic bytes."""
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, compression="zstd")
    elif fmt == "csv":
        df.to_csv(path, index=False, float_format="%.17g")
    else:
        raise ResultsError(f"unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
