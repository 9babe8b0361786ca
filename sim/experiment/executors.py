"""Executors: where jobs run.  Sequential, local processes, or a Dask cluster.

Each executor is a context manager with ``map_unordered(fn, jobs)``, which
yields results as they complete.  Results do not depend on the executor or on
the number of workers: every job carries its own seeds and the store orders
what it writes.  Nothing is changed process-wide (no start method is forced).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sim.errors import UserError

J = TypeVar("J")
R = TypeVar("R")

EXECUTORS = ("sequential", "processes", "dask")

#: Protocols of a Dask scheduler address (``tcp://host:port``; ``host:port`` means tcp).
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")

_ADDRESS = re.compile(
    r"(?:(?P<protocol>[a-z]+)://)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)"
    r":(?P<port>[0-9]{1,5})"
)

SCHEDULER_FORM = "tcp://HOST:PORT (or tls://, ws://, wss://, ucx://), e.g. tcp://10.0.0.5:8786"

#: Seconds a Dask run waits for a worker when the cluster has none (at the start, or
#: after all have died) before it stops with a message.  The Dask configuration key
#: ``spc.no-worker-timeout`` (environment ``DASK_SPC__NO_WORKER_TIMEOUT``) changes it.
NO_WORKER_TIMEOUT = 60.0

#: Seconds without a finished job after which a Dask run checks that workers remain.
WORKER_CHECK_SECONDS = 5.0


#: Why worker processes can fail to start from a script, and what to do.
MAIN_GUARD = (
    "a worker process re-runs the main script as it starts under the 'spawn' start method "
    "(the default on macOS and Windows, and how Dask starts its workers everywhere), so a "
    "script must call spc under `if __name__ == \"__main__\":`, or use "
    "executor=\"sequential\""
)


def starting_worker() -> bool:
    """Is this process a new worker re-running its parent's main script as it starts?

    Under the ``spawn`` and ``forkserver`` start methods, a worker imports the parent's
    main script before it takes any job (``multiprocessing`` marks that phase with the
    process attribute ``_inheriting``, which it checks itself before starting processes).
    A script without a ``__main__`` guard then calls ``spc`` again in every worker."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def leave_if_starting_worker() -> None:
    """In a worker re-running an unguarded script (:func:`starting_worker`): exit at once
    and quietly, instead of running an experiment of its own or starting workers itself;
    the parent then reports :data:`MAIN_GUARD` once."""
    if starting_worker():
        raise SystemExit(3)


def scheduler_problem(address: str) -> str | None:
    """Why ``address`` is not a Dask scheduler address, or None if it is one.

    Checked before connecting: a malformed address would otherwise surface as an
    error from deep inside Dask's communication layer.
    """
    shown = repr(address[:60] + ("..." if len(address) > 60 else ""))
    match = _ADDRESS.fullmatch(address.strip())
    if match is None:
        return f"{shown} is not a scheduler address; allowed: {SCHEDULER_FORM}"
    protocol = match.group("protocol")
    if protocol is not None and protocol not in SCHEDULER_PROTOCOLS:
        return f"{shown} has an unknown protocol {protocol}://; allowed: {SCHEDULER_FORM}"
    if not 1 <= int(match.group("port")) <= 65535:
        return f"{shown} has port {int(match.group('port'))}; allowed: a port in [1, 65535]"
    return None


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
        leave_if_starting_worker()
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
            self._pool = None

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        assert self._pool is not None, "use the executor as a context manager"
        try:
            futures: list[Future[R]] = [self._pool.submit(fn, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()
        except BrokenProcessPool:
            hint = (f"; {MAIN_GUARD}" if multiprocessing.get_start_method() != "fork"
                    else "; was one killed, e.g. for lack of memory?")
            raise UserError("the worker processes stopped before finishing their "
                            f"replications{hint}; completed replications are kept "
                            "(--resume continues)") from None

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

    def __init__(
        self, workers: int | None = None, scheduler: str | None = None,
        no_worker_timeout: float | None = None,
    ) -> None:
        if scheduler is not None:
            problem = scheduler_problem(scheduler)
            if problem is not None:
                raise UserError(f"--scheduler {problem}")
        self.workers = workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.no_worker_timeout = no_worker_timeout
        self._client: Any = None
        self._cluster: Any = None

    def _timeout(self) -> float:
        """Seconds to wait while the cluster has no worker (see ``NO_WORKER_TIMEOUT``)."""
        if self.no_worker_timeout is not None:
            return self.no_worker_timeout
        import dask

        return float(dask.config.get("spc.no-worker-timeout", NO_WORKER_TIMEOUT))

    def __enter__(self) -> DaskExecutor:
        leave_if_starting_worker()
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
            except (OSError, ValueError, TypeError) as exc:
                raise UserError(
                    f"--scheduler {self.scheduler}: cannot reach the Dask scheduler ({exc})"
                ) from None
            self._wait_for_a_worker("has no workers")
            self.workers = len(self._client.scheduler_info().get("workers", {})) or 1
        else:
            try:
                with dask.config.set(LOCAL_WORKER_CONFIG):
                    # the scheduler's HTTP server (dashboard) on a free port of this
                    # machine only: None would still take :8787 on every interface, and a
                    # second cluster would warn that the port is in use
                    self._cluster = LocalCluster(
                        n_workers=self.workers, threads_per_worker=1, processes=True,
                        dashboard_address="127.0.0.1:0",
                    )
            except RuntimeError as exc:  # "Nanny failed to start."
                raise UserError(f"the local Dask cluster could not start its workers ({exc}); "
                                f"{MAIN_GUARD}") from None
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def _wait_for_a_worker(self, situation: str) -> None:
        """Return once the cluster has a worker; a ``UserError`` after the timeout."""
        timeout = self._timeout()
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            where = self.scheduler or "the local cluster"
            raise UserError(
                f"the Dask scheduler at {where} {situation} (waited {timeout:g} s); start "
                "workers (dask worker ADDRESS) or run without --scheduler; completed "
                "replications are kept (--resume continues)"
            ) from None
        except OSError as exc:
            raise UserError(
                f"lost the connection to the Dask scheduler at "
                f"{self.scheduler or 'the local cluster'} ({exc})"
            ) from None

    def map_unordered(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        from dask.distributed import KilledWorker
        from dask.distributed import as_completed as dask_completed

        assert self._client is not None, "use the executor as a context manager"
        jobs = list(jobs)
        if not jobs:
            return
        completed = dask_completed(self._client.map(fn, jobs, pure=False))
        checked = time.monotonic()
        while not completed.is_empty():
            batch = completed.next_batch(block=False)
            if not batch:
                time.sleep(0.05)  # as_completed itself polls every 0.1 s
                if time.monotonic() - checked > WORKER_CHECK_SECONDS:
                    # nothing finished for a while: if every worker has died, say so
                    self._wait_for_a_worker("has no workers left: all have died")
                    checked = time.monotonic()
                continue
            checked = time.monotonic()
            for future in batch:
                try:
                    result = future.result()
                except KilledWorker as exc:
                    raise UserError(
                        f"a replication killed the Dask workers that ran it ({exc}); "
                        "completed replications are kept (--resume continues)"
                    ) from None
                future.release()
                yield result

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
