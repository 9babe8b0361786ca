"""Where the scenario library lives: files given by the user, else the shipped scenarios.

The folder ``scenarios/`` of the source checkout is shipped inside the wheel as
``sim/library/`` (see ``setup.py``), so that the default scenario, the queue
validation scenario, the sweeps and the teaching experiments are found from an
installed package as well as from a checkout.  A path such as
``scenarios/sweeps/staffing_lhs.toml`` that does not exist where the user is
resolves to the shipped copy.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

LIBRARY = Path("scenarios")
"""How paths into the scenario library are written (as in a source checkout)."""
DEFAULT_SCENARIO = LIBRARY / "baseline.toml"
DEFAULT_MMC = LIBRARY / "validation" / "mmc.toml"
PACKAGED = "library"
"""The folder of the ``sim`` package that holds the shipped scenarios in a wheel."""


def checkout_root() -> Path | None:
    """The source checkout the package runs from, or None when it runs from a wheel."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "sim").is_dir() else None


def library_root() -> Path:
    """The shipped scenario library: ``sim/library`` of an installed wheel, else the
    checkout's ``scenarios/``."""
    packaged = Path(str(files("sim") / PACKAGED))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / LIBRARY


def experiments_dir() -> Path:
    """The folder of the teaching experiments (``scenarios/experiments``)."""
    return library_root() / "experiments"


def locate(path: Path) -> Path:
    """``path`` as given if it exists; else, for ``scenarios/...``, the shipped copy; else
    relative to the source checkout; else ``path`` unchanged (its loader reports it)."""
    if path.exists() or path.is_absolute():
        return path
    parts = path.parts
    if parts and parts[0] == LIBRARY.name:
        shipped = library_root().joinpath(*parts[1:])
        if shipped.exists():
            return shipped
    root = checkout_root()
    beside = root / path if root is not None else path
    return beside if beside.exists() else path


__all__ = ["DEFAULT_MMC", "DEFAULT_SCENARIO", "checkout_root", "experiments_dir",
           "library_root", "locate"]
