"""Shared fixtures: paths and small, fast scenarios; the session's directory of shared runs."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from shared_runs import RUNS_DIR

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests name scenario files relative to the repository root."""
    monkeypatch.chdir(ROOT)


#: the longest test files, longest first: under pytest-xdist (``--dist loadfile`` with
#: ``--no-loadscope-reorder``, pyproject.toml; by default xdist >= 3.5 would send the files
#: with the most tests first, which put these last) they start first, so that no worker is
#: left running a long file alone at the end, and the files that make the most shared runs
#: (tests/shared_runs.py) come before the files that use them
LONG_FILES = (  # by the seconds each took in a full run (--durations, 2 workers)
    "test_empowerment_costs.py", "test_teaching.py", "test_docs_commands.py",
    "test_providers_living.py", "test_calibration.py", "test_experiments.py",
    "test_results_path.py", "test_optimize.py", "test_standards_erosion.py", "test_cops.py",
    "test_calibrate.py", "test_competition_channels.py", "test_queue.py", "test_library.py",
    "test_cli.py", "test_wheel.py", "test_plots.py", "test_recovery_ladder.py",
    "test_chain.py", "test_customer_memory.py", "test_jones_sasser.py", "test_panel.py",
    "test_report.py", "test_kpi_definitions.py", "test_report_browser.py",
    "test_determinism.py",
)


_RUNS_MADE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process makes the session's directory of shared runs (see
    tests/shared_runs.py); pytest-xdist's workers, started after this, inherit its name."""
    if not hasattr(config, "workerinput") and not os.environ.get(RUNS_DIR):
        os.environ[RUNS_DIR] = tempfile.mkdtemp(prefix="spc-test-runs-")
        config.stash[_RUNS_MADE] = os.environ[RUNS_DIR]


def pytest_unconfigure(config: pytest.Config) -> None:
    made = config.stash.get(_RUNS_MADE, "")
    if made:
        shutil.rmtree(made, ignore_errors=True)
        os.environ.pop(RUNS_DIR, None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the long files first (a stable sort: each file keeps its own order)."""
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONG_FILES)))
