"""Atomic writes: a temporary file in the destination's folder, then ``os.replace``.

A kill at any moment leaves either the old file or the new one, never a truncated
file.  The new file gets the permissions any new file of the user gets (``0o666``
less the umask; ``tempfile`` would make it private).  A write that the system
refuses (a full disk, a read-only directory, a file-size limit) becomes one
:class:`~sim.errors.ResultsError` naming the file and the reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sim.errors import ResultsError

TEMP_SUFFIX = ".tmp"

REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EFBIG: "the file would exceed the allowed file size",
}


def umask() -> int:
    """The process's file-mode creation mask (reading it means setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode of a new file under the current umask."""
    return 0o666 & ~umask()


def write_fault(path: Path, exc: OSError, hint: str = "") -> ResultsError:
    """The one-line error for a write the system refused."""
    reason = REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    text = f"{path}: cannot write ({reason})"
    return ResultsError(text + (f"; {hint}" if hint else ""))


def atomic_write(path: Path, write: Callable[[Path], object], hint: str = "") -> None:
    """Write ``path`` through ``write(temporary_path)`` and rename it into place.

    On any failure the temporary file is removed and ``path`` is left as it was;
    an :class:`OSError` is raised again as a :class:`ResultsError` (with ``hint``)."""
    path = Path(path)
    tmp: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX,
                                    dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise write_fault(path, exc, hint) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes, hint: str = "") -> None:
    """Atomically replace ``path`` with ``data``."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), hint)


def atomic_write_text(path: Path, text: str, hint: str = "") -> None:
    """Atomically replace ``path`` with ``text`` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"), hint)
