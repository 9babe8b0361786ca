"""Same scenario and seed: byte-identical result tables."""

import subprocess
import sys
from pathlib import Path

import pytest

FAST = ["--set", "run.years=0.2", "--set", "run.warmup_years=0.05", "--set",
        "customers.initial=300", "--set", "providers.count=2"]


def _run(out: Path, *extra: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "sim", "run", "scenarios/baseline.toml", "--quiet",
         "--out", str(out), *FAST, *extra],
        check=True,
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_two_runs_with_the_same_seed_are_byte_identical(tmp_path: Path, fmt: str) -> None:
    _run(tmp_path / "a", "--format", fmt)
    _run(tmp_path / "b", "--format", fmt)
    for table in ("periods", "summary"):
        a = (tmp_path / "a" / f"{table}.{fmt}").read_bytes()
        b = (tmp_path / "b" / f"{table}.{fmt}").read_bytes()
        assert a == b, table


def test_another_seed_gives_other_results(tmp_path: Path) -> None:
    _run(tmp_path / "a")
    _run(tmp_path / "b", "--seed", "99")
    a = (tmp_path / "a" / "periods.parquet").read_bytes()
    b = (tmp_path / "b" / "periods.parquet").read_bytes()
    assert a != b
