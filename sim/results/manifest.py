"""The manifest: one typed description of a results directory, whatever wrote it.

Every command that writes results (``spc run`` with one replication or many,
``compare``, ``sweep``, ``experiment run``) writes the same shape: the
:class:`Manifest` below, as ``manifest.json``.  Fields that only some kinds have
(a comparison's ``differences``, a sweep's ``design``) are extra keys beside the
typed ones.  :func:`read_manifest` is the one reader: it checks the shape and
names the file and the key when something is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ResultsError
from sim.results.layout import MANIFEST

MANIFEST_VERSION = 1
Kind = Literal["run", "replications", "compare", "sweep", "teaching", "optimize",
               "calibrate"]
KINDS: tuple[str, ...] = ("run", "replications", "compare", "sweep", "teaching",
                          "optimize", "calibrate")


class ScenarioEntry(BaseModel):
    """A scenario as it ran: its name, parameter hash and where it came from."""

    model_config = ConfigDict(extra="allow")

    name: str
    hash: str
    path: str | None = None
    overrides: list[str] = Field(default_factory=list)
    description: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)


class Seeds(BaseModel):
    """The root seed of each scenario, how many replications, how streams derive."""

    model_config = ConfigDict(extra="allow")

    root_seeds: dict[str, int]
    replications: int | str
    derivation: str


class Manifest(BaseModel):
    """What was run, where and how; the same shape for every kind of results."""

    model_config = ConfigDict(extra="allow")

    manifest_version: int = MANIFEST_VERSION
    kind: Kind
    created: str
    command: str | None = None
    complete: bool = False
    format: str | None = None
    plan: dict[str, Any] = Field(default_factory=dict)
    scenarios: list[ScenarioEntry] = Field(default_factory=list)
    seeds: Seeds | None = None
    root_seed: int | None = None
    streams: list[str] = Field(default_factory=list)
    failures: int = 0
    wall_seconds: float | None = None
    # the environment
    package_version: str | None = None
    git: dict[str, Any] = Field(default_factory=dict)
    python: str | None = None
    numpy: str | None = None
    simpy: str | None = None
    pandas: str | None = None
    pyarrow: str | None = None
    os: str | None = None
    cpu: str | None = None
    cpu_count: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return self.model_dump(mode="json")

    def as_read(self) -> dict[str, Any]:
        """The keys the file holds, as read (defaults of absent keys left out)."""
        return self.model_dump(mode="json", exclude_unset=True)


def read_manifest(directory: str | Path) -> Manifest:
    """The manifest of a results directory (raises :class:`ResultsError` naming the file
    and the key when it is missing or not a manifest)."""
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{Path(directory)}: not a results directory (no {MANIFEST}); "
                           "give a directory written by spc run, compare, sweep or "
                           "experiment run") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: unreadable manifest (not a JSON object)")
    data.setdefault("kind", _legacy_kind(data))
    data.setdefault("created", "")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ResultsError(f"{path}: key '{key}': {err['msg']}") from None


def _legacy_kind(data: dict[str, Any]) -> str:
    """The kind of a manifest written before manifests carried one."""
    plan = data.get("plan")
    kind = plan.get("kind") if isinstance(plan, dict) else "run"
    return "replications" if kind == "run" and isinstance(plan, dict) else str(kind)
