"""The lock a command holds while it writes a results directory.

The lock is the file ``.spc.lock`` in the directory, held with ``fcntl.flock`` and
naming its holder (pid, host, command, start time).  The system releases the lock
when the holder's process ends however it ends, so a lock file left by a killed
process is stale and taken over, with a message naming the dead holder.  A second
command that tries to write the directory while the first holds it stops with
one message naming the holder (exit code 2).  A process may take the same lock
again (``spc experiment run`` writes its pages after its replications).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sim.errors import ResultsError
from sim.results.files import file_mode, write_fault
from sim.results.layout import LOCK

_HELD: dict[Path, tuple[int, int]] = {}  # resolved lock path -> (fd, depth) in this process


def holder_text(info: dict[str, Any]) -> str:
    """``pid 123 on host h ("spc run ..."), since 2026-...``."""
    return (f"pid {info.get('pid', '?')} on host {info.get('host', '?')} "
            f"({info.get('command') or '?'!r}), since {info.get('started', '?')}")


def _read(fd: int) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 65536).decode("utf-8"))
        if isinstance(data, dict):
            return data
    return {}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class ResultsLock:
    """``with ResultsLock(directory, command):`` the directory is ours until the block ends."""

    def __init__(self, root: str | Path, command: str) -> None:
        self.root = Path(root)
        self.path = self.root / LOCK
        self.command = command

    def __enter__(self) -> ResultsLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def _key(self) -> Path:
        return self.path.parent.resolve() / LOCK

    def acquire(self) -> None:
        """Take the lock, or raise :class:`ResultsError` naming its holder."""
        key = self._key()
        if key in _HELD:
            fd, depth = _HELD[key]
            _HELD[key] = (fd, depth + 1)
            return
        for _ in range(20):
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(fd)
                os.close(fd)
                raise ResultsError(
                    f"{self.root}: in use by another spc command, {holder_text(holder)}; "
                    "wait for it to finish or choose another --out") from None
            # the file may have been removed by its last holder between our open and flock
            with contextlib.suppress(FileNotFoundError):
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    self._claim(fd)
                    _HELD[key] = (fd, 1)
                    return
            os.close(fd)
        raise ResultsError(f"{self.path}: could not take the lock")

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, file_mode())
        except OSError as exc:
            raise write_fault(self.path, exc) from None

    def _claim(self, fd: int) -> None:
        """Note a stale holder, then write ourselves in as the holder."""
        before = _read(fd)
        if before.get("pid") and not (before.get("host") == socket.gethostname()
                                      and before.get("pid") == os.getpid()):
            dead = before.get("host") == socket.gethostname() and not _alive(int(before["pid"]))
            state = "ended" if dead else "no longer holds it"
            print(f"spc: taking over the stale lock of {self.root}: {holder_text(before)} "
                  f"{state}", file=sys.stderr)
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                "started": datetime.now(UTC).isoformat(timespec="seconds")}
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
        except OSError as exc:
            os.close(fd)
            raise write_fault(self.path, exc) from None

    def release(self) -> None:
        """Give the lock up (the outermost release removes the file)."""
        key = self._key()
        if key not in _HELD:
            return
        fd, depth = _HELD[key]
        if depth > 1:
            _HELD[key] = (fd, depth - 1)
            return
        del _HELD[key]
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(fd)


def command_line() -> str:
    """The command being run, for the lock and the manifest."""
    return " ".join(["spc", *sys.argv[1:]]) if sys.argv else "spc"


@contextlib.contextmanager
def released_afterwards() -> Iterator[None]:
    """Release, when the block ends however it ends, every lock taken inside it."""
    before = set(_HELD)
    try:
        yield
    finally:
        for key in set(_HELD) - before:
            fd, _depth = _HELD.pop(key)
            with contextlib.suppress(OSError):
                key.unlink()
            os.close(fd)


def lock_if_inside(root: Path, path: Path) -> contextlib.AbstractContextManager[Any]:
    """The lock of results directory ``root`` while ``path`` is written, when ``path`` lies
    inside it (a report or workbook written elsewhere takes no lock)."""
    if root.resolve() in path.resolve().parents:
        return ResultsLock(root, command_line())
    return contextlib.nullcontext()
