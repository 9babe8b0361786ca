"""Executors: where jobs run.  Sequential, local processes, or a Dask cluster.

Each executor is a context manager with ``map_unordered(fn, jobs)``, which
yields results as they complete.  Results do not depend on the executor or on
the number of workers: every job carries its own seeds and the store orders
what it writes.  Nothing is changed process-wide (no start method is forced).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sim.errors import UserError

J = TypeVar("J")
R = TypeVar("R")

EXECUTORS = ("sequential", "processes", "dask")


class Executor(Protocol):
    """Runs jobs and yields their results in completion order."""

    name: str
    workers: int

    def __enter__(self) -> Executor: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]: ...

    def describe(self) -> dict[str, Any]: ...


class SequentialExecutor:
    """Everything in this process, one job after another."""

    name = "sequential"
    workers = 1

    def __enter__(self) -> SequentialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        for job in jobs:
            yield fn(job)

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": 1}


class ProcessExecutor:
    """A pool of local worker processes (``workers`` defaults to all cores)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
            self._pool = None

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        assert self._pool is not None, "use the executor as a context manager"
        futures: list[Future[R]] = [self._pool.submit(fn, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers}


#: Dask settings of a local cluster's workers.  A replication is pure Python and holds
#: the GIL; the worker's own periodic work (the event-loop tick every 20 ms, the statistical
#: profiler every 10 ms, the memory and system monitors) runs in other threads of the same
#: process and takes the GIL from it.  At these intervals they cost about as much as the
#: rest of Dask's overhead together (benchmarks/parallel_replications.py); a cluster of
#: one's own is configured by its owner.
LOCAL_WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1000ms",
    "distributed.admin.system-monitor.interval": "1000ms",
    "distributed.worker.memory.monitor-interval": "1000ms",
}


class DaskExecutor:
    """A Dask distributed cluster: a local one started here, or an existing scheduler."""

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        try:
            import dask
            from dask.distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a declared dependency
            raise UserError(
                "the dask executor needs dask[distributed]: pip install 'dask[distributed]'"
            ) from None
        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="20s")
            except OSError as exc:
                raise UserError(
                    f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({exc})"
                ) from None
            self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
        else:
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=self.workers, threads_per_worker=1, processes=True,
                    dashboard_address=None,
                )
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        from dask.distributed import as_completed as dask_completed

        assert self._client is not None, "use the executor as a context manager"
        jobs = list(jobs)
        if not jobs:
            return
        futures = self._client.map(fn, jobs, pure=False)
        for future in dask_completed(futures):
            yield future.result()
            future.release()

    def describe(self) -> dict[str, Any]:
        return {"executor": self.name, "workers": self.workers, "scheduler": self.scheduler
                or "local cluster"}


def make_executor(
    kind: str | None = None, workers: int | None = None, scheduler: str | None = None
) -> Executor:
    """The executor for the command line's options: ``--scheduler`` implies Dask; one
    worker means sequential; the default is local processes on all cores."""
    if scheduler:
        kind = "dask"
    kind = kind or ("sequential" if workers == 1 else "processes")
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1")
    if kind == "sequential":
        return SequentialExecutor()
    if kind == "processes":
        return ProcessExecutor(workers)
    if kind == "dask":
        return DaskExecutor(workers, scheduler)
    raise UserError(f"--executor {kind}: unknown; allowed: {', '.join(EXECUTORS)}")
