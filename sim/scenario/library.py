"""Where the scenario library lives: files given by the user, else the shipped scenarios."""

from __future__ import annotations

from pathlib import Path

DEFAULT_SCENARIO = Path("scenarios") / "baseline.toml"
DEFAULT_MMC = Path("scenarios") / "validation" / "mmc.toml"


def locate(path: Path) -> Path:
    """``path`` as given if it exists, else relative to the source checkout (for defaults)."""
    if path.exists() or path.is_absolute():
        return path
    beside = Path(__file__).resolve().parent.parent.parent / path
    return beside if beside.exists() else path


__all__ = ["DEFAULT_MMC", "DEFAULT_SCENARIO", "locate"]
