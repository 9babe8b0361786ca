"""Experiments at scale: replications, executors, the results store, resume, failures.

Everything runs for real: real worker processes, a real Dask LocalCluster, real
files, a real SIGKILL in the middle of a run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import analysis
from sim.experiment.executors import (
    LOCAL_WORKER_CONFIG,
    DaskExecutor,
    ProcessExecutor,
    SequentialExecutor,
)
from sim.experiment.runner import run_replications
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
TINY = ["customers.initial=600", "providers.count=2", "growth.paid_per_month=12",
        "run.years=0.5", "run.warmup_years=0.1"]
TINY_SET = [arg for o in TINY for arg in ("--set", o)]


def _tiny():  # type: ignore[no-untyped-def]
    return load_scenario(ROOT / "scenarios" / "baseline.toml", TINY)


def _bytes(directory: Path) -> dict[str, bytes]:
    """Every shard and consolidated table, by relative path (not the manifest: wall time)."""
    files = [p for p in directory.rglob("*.parquet")]
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(files)}


def spc(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, check=check)


def test_results_are_bit_identical_whatever_the_executor(tmp_path: Path) -> None:
    sc = _tiny()
    run_replications(sc, tmp_path / "seq", 4, SequentialExecutor())
    run_replications(sc, tmp_path / "proc", 4, ProcessExecutor(2))
    run_replications(sc, tmp_path / "dask", 4, DaskExecutor(workers=2))
    seq = _bytes(tmp_path / "seq")
    assert len([k for k in seq if k.startswith("shards")]) == 4
    assert _bytes(tmp_path / "proc") == seq
    assert _bytes(tmp_path / "dask") == seq
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["executor"] == "dask" and manifest["workers"] == 2


def test_replication_i_is_the_same_whatever_else_runs(tmp_path: Path) -> None:
    sc = _tiny()
    three = run_replications(sc, tmp_path / "a", 3).summary
    five = run_replications(sc, tmp_path / "b", 5).summary
    pd.testing.assert_frame_equal(three, five.iloc[:3].reset_index(drop=True))


def test_replications_give_t_intervals(tmp_path: Path) -> None:
    out = spc("run", "scenarios/baseline.toml", *TINY_SET, "-r", "4", "--workers", "2",
              "--out", str(tmp_path / "r"), "--json")
    payload = json.loads(out.stdout)
    assert payload["replications"] == 4
    kpi = payload["kpis"]["satisfaction_index"]
    assert set(kpi) == {"mean", "ci_low", "ci_high", "n"} and kpi["n"] == 4
    values = analysis.load(tmp_path / "r")["summary"]["satisfaction_index"]
    assert kpi["mean"] == pytest.approx(values.mean())
    assert kpi["ci_low"] < kpi["mean"] < kpi["ci_high"]
    assert out.stderr == ""  # no progress bar when stderr is not a terminal


def test_kill_and_resume_gives_the_uninterrupted_results(tmp_path: Path) -> None:
    args = ["run", "scenarios/baseline.toml", *TINY_SET, "-r", "8", "--workers", "1", "--quiet"]
    spc(*args, "--out", str(tmp_path / "whole"))
    victim = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args, "--out", str(victim)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shards = victim / "shards"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if shards.is_dir() and len(list(shards.rglob("r*.parquet"))) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(shards.rglob("r*.parquet")))
    assert 3 <= done < 8, "killed in the middle"
    refused = spc(*args, "--out", str(victim), check=False)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    spc(*args, "--out", str(victim), "--resume")
    assert _bytes(victim) == _bytes(tmp_path / "whole")
    summary = analysis.load(victim)["summary"]
    assert sorted(summary["replication"]) == list(range(8))  # no duplicates, none missing


def test_resume_reruns_a_broken_shard(tmp_path: Path) -> None:
    sc = _tiny()
    out = tmp_path / "r"
    run_replications(sc, out, 3)
    whole = _bytes(out)
    shard = next((out / "shards").rglob("r00001.parquet"))
    shard.write_bytes(shard.read_bytes()[:100])  # truncated, as by a crash mid-copy
    run_replications(sc, out, 3, resume=True)
    assert _bytes(out) == whole


def test_resume_with_another_plan_is_refused(tmp_path: Path) -> None:
    spc("run", "scenarios/baseline.toml", *TINY_SET, "-r", "2", "--workers", "1", "--quiet",
        "--out", str(tmp_path / "r"))
    other = spc("run", "scenarios/reliability_high.toml", *TINY_SET, "-r", "2", "--resume",
                "--quiet", "--out", str(tmp_path / "r"), check=False)
    assert other.returncode == 2
    assert "different plan" in other.stderr and "Traceback" not in other.stderr


def test_a_failing_replication_does_not_stop_the_batch(tmp_path: Path) -> None:
    sweep = tmp_path / "bad.toml"
    sweep.write_text(f"""
description = "one combination of horizon and warm-up is invalid"
base = "{ROOT / 'scenarios' / 'baseline.toml'}"
design = "factorial"
replications = 2
kpis = ["retention_rate"]
overrides = {json.dumps([*TINY[:3], "run.years=0.4", "run.warmup_years=0.05"])}
[factors]
"run.years" = {{ levels = [0.4, 0.15] }}
"run.warmup_years" = {{ levels = [0.05, 0.2] }}
""")
    out = spc("sweep", str(sweep), "--workers", "2", "--out", str(tmp_path / "s"), check=False)
    assert out.returncode == 1
    assert "2 replication(s) failed" in out.stderr and "point 3" in out.stderr
    assert "Traceback" not in out.stderr
    errors = list((tmp_path / "s" / "errors").rglob("*.json"))
    assert len(errors) == 2
    assert "warmup_years" in json.loads(errors[0].read_text())["error"]
    summary = analysis.load(tmp_path / "s")["summary"]
    assert len(summary) == 6  # the three valid points, twice each


def test_sequential_replications_stop_at_the_precision(tmp_path: Path) -> None:
    out = spc("run", "scenarios/baseline.toml", *TINY_SET, "-r", "auto", "--precision",
              "0.02", "--kpis", "satisfaction_index", "--budget", "12", "--workers", "2",
              "--out", str(tmp_path / "a"), "--json")
    payload = json.loads(out.stdout)
    n = payload["replications"]
    assert 3 <= n <= 12
    kpi = payload["kpis"]["satisfaction_index"]
    if n < 12:
        assert (kpi["ci_high"] - kpi["ci_low"]) / 2 <= 0.02 * abs(kpi["mean"])
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["replication_planner"]


def test_auto_warmup_is_reported(tmp_path: Path) -> None:
    out = spc("run", "scenarios/baseline.toml", *TINY_SET, "-r", "2", "--warmup", "auto",
              "--workers", "1", "--out", str(tmp_path / "w"), "--json")
    payload = json.loads(out.stdout)
    assert 0 <= payload["warmup_days"] <= 0.5 * 365 / 2 + 31


def test_compare_reports_paired_differences_and_inputs(tmp_path: Path) -> None:
    out = spc("compare", "scenarios/baseline.toml", "scenarios/reliability_high.toml",
              *TINY_SET, "-r", "3", "--workers", "2", "--out", str(tmp_path / "c"), "--json")
    payload = json.loads(out.stdout)
    assert payload["base"] == "baseline" and payload["replications"] == 3
    rows = {(r["scenario"], r["kpi"]): r for r in payload["comparisons"]}
    row = rows[("reliability_high", "failure_rate")]
    assert set(row) >= {"scenario", "kpi", "base_mean", "other_mean", "diff", "ci_low",
                        "ci_high", "verdict"}
    assert row["diff"] < 0 and row["verdict"] == "better"  # fewer failures: better
    assert payload["differences"]["reliability_high"]["organization.reliability"] == [0.93, 0.98]
    text = spc("compare", "scenarios/baseline.toml", "scenarios/reliability_high.toml",
               *TINY_SET, "-r", "3", "--workers", "2", "--out", str(tmp_path / "t"))
    assert "organization.reliability 0.93 -> 0.98" in text.stdout


def test_the_loader_reads_an_empty_csv_table_as_an_empty_frame(tmp_path: Path) -> None:
    out = tmp_path / "q"
    spc("run", str(ROOT / "scenarios" / "validation" / "mmc.toml"), "--set", "run.years=0.01",
        "--format", "csv", "--out", str(out), "--quiet")
    (out / "cohorts.csv").write_text("")  # a table with no rows and so no header
    tables = analysis.load(out)
    assert tables["cohorts"].empty
    assert len(tables["summary"]) == 1


@pytest.mark.parametrize("quiet", [False, True])
def test_a_progress_bar_on_a_terminal_unless_quiet(tmp_path: Path, quiet: bool) -> None:
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    args = ["run", "scenarios/baseline.toml", *TINY_SET, "-r", "2", "--workers", "1",
            "--out", str(tmp_path / "r"), "--json", *(["--quiet"] if quiet else [])]
    done = subprocess.run([sys.executable, "-m", "sim", *args], stdout=subprocess.PIPE,
                          stderr=follower, cwd=ROOT, check=True)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal is closed and drained
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert json.loads(done.stdout)["replications"] == 2
    if quiet:
        assert seen == b""
    else:
        assert b"2/2" in seen and b"run" in seen  # completed/total, in tqdm's units


def _worker_settings(_: int) -> tuple[object, ...]:
    import dask

    return tuple(dask.config.get(key) for key in sorted(LOCAL_WORKER_CONFIG))


def test_a_local_dask_cluster_spares_the_workers_gil() -> None:
    with DaskExecutor(workers=1) as executor:
        seen = list(executor.map_unordered(_worker_settings, [0]))
    assert seen == [tuple(LOCAL_WORKER_CONFIG[k] for k in sorted(LOCAL_WORKER_CONFIG))]


def test_two_local_dask_clusters_at_once_share_no_port() -> None:
    """Two commands with the dask executor at the same time: each scheduler's HTTP server
    on a free port of this machine only, so the second warns of no port in use."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with DaskExecutor(workers=1) as a, DaskExecutor(workers=1) as b:
            links = [executor._cluster.dashboard_link for executor in (a, b)
                     if executor._cluster is not None]
    assert len(links) == 2 and links[0] != links[1]
    assert all(link.startswith("http://127.0.0.1:") for link in links), links
    assert not [w for w in caught if "already in use" in str(w.message)]
