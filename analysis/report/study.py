"""What a results directory says was run, whatever command wrote it.

``spc run`` (one replication) writes a flat manifest with ``scenario`` and
``root_seed``; the experiment commands (``run --replications``, ``compare``,
``sweep``) write a ``plan`` and ``seeds``.  :class:`Study` reads either into
one shape: the kind of experiment, the scenario records (name, description,
path, hash, overrides, resolved parameters), seeds and replications, and the
tables of ``analysis.load``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.errors import ResultsError
from sim.scenario.loader import flatten

#: how the report names each kind of experiment
KIND_TITLES = {
    "run": "a single run",
    "replications": "replications of one scenario",
    "compare": "a comparison of scenarios on common random numbers",
    "sweep": "a sweep over parameters",
    "optimize": "a search for the best policy (spc optimize)",
    "calibrate": "a calibration to a firm's data (spc calibrate)",
}


@dataclass
class Study:
    """One results directory, read for reporting."""

    directory: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    kind: str
    scenarios: list[dict[str, Any]]

    @property
    def plan(self) -> dict[str, Any]:
        plan = self.manifest.get("plan")
        return plan if isinstance(plan, dict) else {}

    @property
    def base(self) -> dict[str, Any]:
        return self.scenarios[0]

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def sweep(self) -> dict[str, Any]:
        """The sweep specification (sweeps only; else empty)."""
        spec = self.plan.get("sweep")
        return spec if isinstance(spec, dict) else {}

    def flat(self, scenario: dict[str, Any]) -> dict[str, Any]:
        """A scenario record's resolved parameters as ``{"section.key": value}``."""
        return flatten(scenario["parameters"])

    def run_parameter(self, key: str) -> Any:
        """A ``run.*`` parameter of the base scenario."""
        return scenario_run(self.base).get(key)

    def replications(self) -> dict[str, int]:
        """Completed replications per scenario (per design point: the smallest)."""
        s = self.summary
        keys = ["scenario", "point"] if "point" in s.columns else ["scenario"]
        counts = s.groupby(keys)["replication"].nunique()
        return {str(name): int(counts.xs(name, level=0).min()) if len(keys) > 1
                else int(counts[name]) for name in s["scenario"].unique()}

    def requested_replications(self) -> Any:
        if self.kind == "sweep":
            return self.sweep.get("replications")
        if self.kind == "run":
            return len(self.manifest.get("replications") or [0])
        return self.plan.get("replications")

    def root_seeds(self) -> dict[str, Any]:
        seeds = self.manifest.get("seeds")
        if isinstance(seeds, dict) and isinstance(seeds.get("root_seeds"), dict):
            return dict(seeds["root_seeds"])
        if "root_seed" in self.manifest:
            return {self.base["name"]: self.manifest["root_seed"]}
        return {s["name"]: scenario_run(s).get("seed") for s in self.scenarios}

    def seed_derivation(self) -> str | None:
        seeds = self.manifest.get("seeds")
        return seeds.get("derivation") if isinstance(seeds, dict) else None

    def created(self) -> str:
        """When the results were written (the manifest's ``created``, else its file time)."""
        if isinstance(self.manifest.get("created"), str):
            return str(self.manifest["created"])
        stamp = (self.directory / "manifest.json").stat().st_mtime
        return datetime.fromtimestamp(stamp, UTC).isoformat(timespec="seconds")

    def warnings(self) -> list[str]:
        """What a reader must know before trusting the numbers."""
        out = []
        if self.manifest.get("complete") is False:
            out.append("The run did not finish (manifest.json says complete: false): this "
                       "report covers the replications stored so far. Complete it with the "
                       "same command and --resume.")
        failures = self.manifest.get("failures")
        if isinstance(failures, int) and failures > 0:
            out.append(f"{failures} replication(s) failed; their errors are in "
                       f"{self.directory / 'errors'}. The statistics use the others.")
        return out


def scenario_run(scenario: dict[str, Any]) -> dict[str, Any]:
    run = scenario.get("parameters", {}).get("run", {})
    return run if isinstance(run, dict) else {}


def _scenarios(manifest: dict[str, Any], kind: str) -> list[Any]:
    plan = manifest.get("plan") or {}
    if kind == "compare":
        return list(plan.get("scenarios") or [])
    if kind in ("run", "replications"):
        return [manifest.get("scenario") or plan.get("scenario")]
    return [plan.get("scenario")]


def _kind(manifest: dict[str, Any], path: Path) -> str:
    plan = manifest.get("plan")
    if plan is None:
        if isinstance(manifest.get("scenario"), dict):
            return "run"
        raise ResultsError(f"{path}: the manifest describes no scenario and no plan")
    kind = plan.get("kind") if isinstance(plan, dict) else None
    if kind == "run":
        return "replications"
    if kind in ("compare", "sweep", "optimize", "calibrate"):
        return str(kind)
    raise ResultsError(f"{path}: unknown experiment kind {kind!r} in the manifest's plan")


def load_study(directory: str | Path) -> Study:
    """Read a results directory for the report; :class:`ResultsError` with one clear
    message if it is missing, unreadable or holds no completed replication."""
    import analysis

    root = Path(directory)
    if not root.exists():
        raise ResultsError(f"{root}: no such results directory")
    if not root.is_dir():
        raise ResultsError(f"{root}: not a directory (give the results directory of spc "
                           "run, compare or sweep)")
    try:
        tables = analysis.load(root)
    except ResultsError:
        raise
    except Exception as exc:  # a damaged shard or table: say which directory, not a traceback
        raise ResultsError(f"{root}: unreadable results ({type(exc).__name__}: {exc})") from None
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text())  # analysis.load has parsed it already
    if not isinstance(manifest, dict):
        raise ResultsError(f"{manifest_path}: unreadable manifest (not a JSON object)")
    kind = _kind(manifest, manifest_path)
    scenarios = _scenarios(manifest, kind)
    if not scenarios or not all(isinstance(s, dict) and isinstance(s.get("name"), str)
                                and isinstance(s.get("parameters"), dict) for s in scenarios):
        raise ResultsError(f"{manifest_path}: a scenario record without name or parameters")
    summary = tables.get("summary")
    if summary is None or summary.empty or "scenario" not in summary.columns:
        raise ResultsError(f"{root}: no completed replication to report (the summary table is "
                           "missing or empty)")
    return Study(root, manifest, tables, kind, scenarios)
