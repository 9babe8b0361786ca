"""Shared fixtures: paths and small, fast scenarios."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name scenario files relative to the repository root."""
    monkeypatch.chdir(ROOT)
