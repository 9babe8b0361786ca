"""The layout of a results directory: the names ``spc`` writes and nothing else.

::

    manifest.json            what was run, where and how (sim.results.manifest)
    .spc.lock                held while a command writes the directory (sim.results.lock)
    shards/NAME/p00000/r00000.parquet        one replication (periods; summary in metadata)
    shards/NAME/p00000/r00000.events.parquet its event log (with --events)
    shards/NAME/p00000/r00000.customers.parquet, .panel.parquet  (with --panel)
    shards/NAME/p00000/r00000.check.json     scenario hash and sha256 of the shard's files
    errors/NAME/p00000/r00000.json           a failed replication's traceback
    periods, summary, cohorts, events, customers, panel, comparisons, decision,
    design, sensitivity, candidates, trials, posterior, intervals, predictive
    (.parquet or .csv)
    figures/FIGURE.png|svg|pdf               spc plot
    report.html, report.md, report_figures/  spc report
    results.xlsx                             spc export
    chosen.toml                              spc optimize (the chosen policy)
    calibrated.toml, calibration.db          spc calibrate (the scenario at the posterior
                                             median; pyabc's database, for --resume)
    results.md, figure.png                   spc experiment run

``NAME`` is the scenario's name when it is a safe file name, otherwise a hex
encoding of it, so no name can lead outside the directory.  ``--force`` removes
exactly these names; anything else in the directory is the user's and stays.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from datetime import datetime
from pathlib import Path

from sim.errors import ResultsError

MANIFEST = "manifest.json"
LOCK = ".spc.lock"
TABLES = ("periods", "summary", "cohorts", "events", "customers", "panel", "comparisons",
          "decision", "design", "sensitivity", "candidates", "trials", "posterior", "intervals",
          "predictive")
TABLE_SUFFIXES = (".parquet", ".csv")
SPC_FOLDERS = ("shards", "errors", "report_figures")
#: the file formats of ``spc export`` (``analysis.export``), here so that the command line
#: offers them without importing the export's libraries
EXPORT_FORMATS = ("xlsx",)
SPC_FILES = (MANIFEST, LOCK, "report.html", "report.md", "results.md", "figure.png",
             "results.xlsx", "chosen.toml", "calibrated.toml", "calibration.db",
             "calibration.db-journal")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def safe_name(name: str) -> str:
    """``name`` as one path component that stays inside its folder: itself when it is a
    plain file name (letters, digits, ``_ . -``, not starting with a dot), else ``x-``
    and the hex of its UTF-8 bytes."""
    if _SAFE.fullmatch(name) and not name.startswith("x-"):
        return name
    return "x-" + name.encode("utf-8").hex()


def inside(root: Path, path: Path) -> Path:
    """``path``, after checking that it lies inside ``root`` (raises otherwise)."""
    base = root.resolve()
    resolved = path.resolve()
    if resolved != base and base not in resolved.parents:
        raise ResultsError(f"{path}: would be written outside the results directory {root}")
    return path


def unique_directory(parent: Path, name: str) -> Path:
    """A new, empty directory ``parent/NAME-YYYYmmdd-HHMMSS-micro-XXXX``, created
    exclusively: two commands started at the same microsecond still get two."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ResultsError(f"{parent}: cannot create the folder ({exc.strerror})") from None
    for _ in range(100):
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = parent / f"{safe_name(name)}-{stamp}-{secrets.token_hex(2)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise ResultsError(f"{path}: cannot create results directory "
                               f"({exc.strerror})") from None
        return path
    raise ResultsError(f"{parent}: could not find a free results directory name")


def is_spc_file(relative: Path) -> bool:
    """Is ``relative`` (a path inside a results directory) one that ``spc`` writes?"""
    parts = relative.parts
    if not parts:
        return False
    if parts[0] in SPC_FOLDERS:
        return True
    if len(parts) == 1:
        name = parts[0]
        stem, suffix = os.path.splitext(name)
        return (name in SPC_FILES or (stem in TABLES and suffix in TABLE_SUFFIXES)
                or (name.startswith(".") and name.endswith(".tmp")))
    if parts[0] == "figures" and len(parts) == 2:
        return os.path.splitext(parts[1])[1] in FIGURE_SUFFIXES or parts[1].endswith(".tmp")
    return False


def remove_spc_files(root: Path, keep: tuple[str, ...] = (LOCK,)) -> list[Path]:
    """Remove what ``spc`` wrote in ``root`` (except the top-level names in ``keep``);
    return the user's files that were left, relative to ``root``."""
    left: list[Path] = []
    try:
        for path in sorted(root.iterdir()):
            rel = path.relative_to(root)
            if rel.name in keep:
                continue
            if path.is_dir() and not path.is_symlink():
                if rel.name in SPC_FOLDERS:
                    shutil.rmtree(path)
                elif rel.name == "figures":
                    left += _clear_figures(root, path)
                else:
                    left += [p.relative_to(root) for p in sorted(path.rglob("*"))
                             if not p.is_dir()] or [rel]
            elif is_spc_file(rel):
                path.unlink()
            else:
                left.append(rel)
    except OSError as exc:
        raise ResultsError(f"{root}: cannot remove the earlier results "
                           f"({exc.strerror})") from None
    return left


def _clear_figures(root: Path, folder: Path) -> list[Path]:
    """Remove the figures ``spc plot`` wrote; the folder too when nothing else is in it."""
    left = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and is_spc_file(path.relative_to(root)):
            path.unlink()
        elif not path.is_dir():
            left.append(path.relative_to(root))
    if not any(folder.iterdir()):
        folder.rmdir()
    return left
