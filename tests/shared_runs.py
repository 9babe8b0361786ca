"""Runs of the model shared by the whole test session (a test helper).

Several statistical test files replicate the same scenarios (the default market over three
years, replications 0, 1, 2, ... on the same seeds).  :func:`shared_runs` makes each run at most
once per session: a run is stored under its scenario's parameter hash and replication in a
directory that the session creates (``tests/conftest.py``) and every pytest-xdist worker
shares.  A worker *claims* a run before making it, so two workers never make the same run
at once; runs that another worker has claimed are waited for after this worker's own.

Nothing is cached between sessions, and the model does not know about this: a run is the
same whoever makes it (byte-identical by construction, tests/test_determinism.py).
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from customer_memory import Snapshot, snapshot_run

from sim.model.system import simulate
from sim.scenario import load_scenario

#: the environment variable naming the session's directory of runs (set by conftest.py)
RUNS_DIR = "SPC_TEST_RUNS"
#: how long to wait for a run that another worker claimed before making it here
PATIENCE_SECONDS = 1800.0


@dataclass(frozen=True)
class Run:
    """What a test keeps of one run: its summary and its period rows, or its summary and
    the customers' state after every review (:func:`customer_memory.snapshot_run`)."""

    summary: dict[str, Any]
    periods: list[dict[str, Any]]
    snapshots: list[Snapshot] | None = None


Job = tuple[str, tuple[str, ...], int, bool]


def _make(job: Job) -> Run:
    path, sets, replication, snapshots = job
    scenario = load_scenario(path, list(sets))
    if snapshots:  # the same run, watched (the watcher only reads the customers' state)
        snaps, summary = snapshot_run(scenario, replication)
        return Run(summary, [], snaps)
    result = simulate(scenario, replication)
    return Run(result.summary, result.periods)


def _store(file: Path, run: Run) -> None:
    partial = file.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(pickle.dumps(run))
    os.replace(partial, file)  # readers see the whole run or none


def _claim(file: Path) -> bool:
    try:
        os.close(os.open(file.with_suffix(".claim"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def shared_runs(path: str, designs: Sequence[Sequence[str]],
                replications: int | Sequence[int], snapshots: bool = False) -> list[list[Run]]:
    """Replications ``0 .. replications - 1`` of ``path`` under each list of ``--set``
    overrides in ``designs`` (common random numbers: replication r of every design on the
    same seed), made on two processes; ``out[d][r]`` is design d's replication r.
    ``replications`` is one count for every design or one count per design; with
    ``snapshots`` the runs keep the customers' state after every review instead of the
    period rows (stored apart from the runs without)."""
    counts = ([replications] * len(designs) if isinstance(replications, int)
              else list(replications))
    jobs = [(path, tuple(sets), r, snapshots) for sets, n in zip(designs, counts, strict=True)
            for r in range(n)]
    folder = os.environ.get(RUNS_DIR)
    if not folder:  # outside a session that set up the directory: make every run here
        with ProcessPoolExecutor(max_workers=2) as pool:
            made = list(pool.map(_make, jobs))
    else:
        kind = "-snapshots" if snapshots else ""
        files = [Path(folder) / f"{load_scenario(p, list(s)).hash}-{r}{kind}.pickle"
                 for p, s, r, _ in jobs]
        mine = [i for i, file in enumerate(files) if not file.exists() and _claim(file)]
        if mine:
            with ProcessPoolExecutor(max_workers=2) as pool:
                for i, run in zip(mine, pool.map(_make, [jobs[i] for i in mine]),
                                  strict=True):
                    _store(files[i], run)
        made = [_wait_for(file, job) for file, job in zip(files, jobs, strict=True)]
    out, start = [], 0
    for n in counts:
        out.append(made[start:start + n])
        start += n
    return out


def _wait_for(file: Path, job: Job) -> Run:
    """The stored run, once its maker has stored it (made here if that takes too long)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    while not file.exists():
        if time.monotonic() > deadline:
            run = _make(job)
            _store(file, run)
            return run
        time.sleep(0.2)
    loaded = pickle.loads(file.read_bytes())
    assert isinstance(loaded, Run)
    return loaded
