"""One results path: every command writes the same layout through the same store.

Real processes, real files and real operating-system faults throughout: two
``spc`` processes competing for one directory, a SIGKILL, a file-size limit
(``RLIMIT_FSIZE``) that makes the kernel refuse a write.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import analysis
from sim.errors import ResultsError
from sim.experiment.jobs import Job, Outcome
from sim.experiment.store import ResultsStore
from sim.results.files import atomic_write, atomic_write_text
from sim.results.layout import safe_name, unique_directory
from sim.results.manifest import Manifest, read_manifest

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
TINY = ["customers.initial=600", "providers.count=2", "growth.paid_per_month=12",
        "run.years=0.5", "run.warmup_years=0.1"]
TINY_SET = [arg for o in TINY for arg in ("--set", o)]
SLOW_SET = ["--set", "run.years=40", "--set", "customers.initial=20000"]


def spc(*args: str, preexec: Callable[[], None] | None = None,
        timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, preexec_fn=preexec)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_lock(out: Path, proc: subprocess.Popen[str]) -> dict[str, object]:
    """The lock's holder, once ``proc`` has taken it."""
    lock = out / ".spc.lock"
    for _ in range(600):
        if lock.is_file() and lock.read_text().strip():
            info = json.loads(lock.read_text())
            if info["pid"] == proc.pid:
                return dict(info)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the first writer never took the lock")


def check_files(out: Path) -> list[Path]:
    return sorted((out / "shards").rglob("*.check.json"))


# -- one shape ---------------------------------------------------------------------------------
def test_a_single_run_and_replications_have_the_same_manifest_and_tables(tmp_path: Path) -> None:
    single, reps = tmp_path / "single", tmp_path / "reps"
    assert spc("run", BASELINE, *TINY_SET, "--out", str(single), "--quiet").returncode == 0
    assert spc("run", BASELINE, *TINY_SET, "-r", "2", "--workers", "1", "--out", str(reps),
               "--quiet").returncode == 0
    one, two = read_manifest(single), read_manifest(reps)
    assert (one.kind, two.kind) == ("run", "replications")
    assert one.complete and two.complete
    on_disk = [set(json.loads((d / "manifest.json").read_text())) for d in (single, reps)]
    assert set(Manifest.model_fields) <= on_disk[0] and on_disk[0] == on_disk[1]
    assert one.scenarios[0].hash == two.scenarios[0].hash
    seed = one.scenarios[0].parameters["run"]["seed"]
    assert one.root_seed == two.root_seed == seed and one.streams == two.streams
    assert "defection" in one.streams
    a, b = analysis.load(single), analysis.load(reps)
    assert list(a["summary"].columns) == list(b["summary"].columns)
    assert len(a["summary"]) == 1 and len(b["summary"]) == 2
    # the single run is replication 0: the same numbers, bit for bit
    pd.testing.assert_frame_equal(a["summary"], b["summary"].iloc[:1], check_exact=True)
    pd.testing.assert_frame_equal(a["periods"], b["periods"][b["periods"]["replication"] == 0],
                                  check_exact=True)
    assert a["manifest"].loc[0, "kind"] == "run"


def test_a_manifest_of_an_unknown_kind_is_refused_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "magic", "created": ""}))
    with pytest.raises(ResultsError, match=r"manifest.json: key 'kind'"):
        analysis.load(tmp_path)


# -- the lock ----------------------------------------------------------------------------------
def test_a_second_writer_is_refused_naming_the_holder_and_a_dead_holder_is_taken_over(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    first = start("run", BASELINE, *SLOW_SET, "--out", str(out), "--quiet")
    try:
        holder = wait_for_lock(out, first)
        assert holder["host"] == socket.gethostname()
        assert "spc run" in str(holder["command"]) and holder["started"]
        second = spc("run", BASELINE, *TINY_SET, "--out", str(out), "--force", "--quiet")
        assert second.returncode == 2
        assert "Traceback" not in second.stderr
        (message,) = second.stderr.splitlines()
        assert message.startswith(f"spc: error: {out}: in use by another spc command, "
                                  f"pid {first.pid} on host {socket.gethostname()}")
        assert first.poll() is None  # the holder was not disturbed
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the killed holder's lock file stays behind: stale, taken over with a message
    assert json.loads((out / ".spc.lock").read_text())["pid"] == first.pid
    third = spc("run", BASELINE, *SLOW_SET, "--out", str(out), "--force", "--quiet",
                "--set", "run.years=0.2", "--set", "run.warmup_years=0.05")
    assert third.returncode == 0, third.stderr
    assert f"taking over the stale lock of {out}: pid {first.pid}" in third.stderr
    assert "ended" in third.stderr
    assert not (out / ".spc.lock").exists()  # released at the end


# -- default names -----------------------------------------------------------------------------
def test_default_directories_never_collide(tmp_path: Path) -> None:
    made: list[Path] = []

    def create() -> None:
        for _ in range(50):
            made.append(unique_directory(tmp_path / "results", "baseline"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == len(set(made)) == 400
    assert all(p.is_dir() and not any(p.iterdir()) for p in made)
    assert all(re.fullmatch(r"baseline-\d{8}-\d{6}-\d{6}-[0-9a-f]{4}", p.name) for p in made)


def test_two_commands_started_together_get_two_directories(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-m", "sim", "run", BASELINE, *TINY_SET,
                               "--quiet"], cwd=tmp_path, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=300) == 0, p.stderr.read() if p.stderr else ""
    made = sorted((tmp_path / "results").iterdir())
    assert len(made) == 2
    assert all((d / "manifest.json").is_file() for d in made)


# -- names never become paths unchecked --------------------------------------------------------
@given(st.text(min_size=1, max_size=60))
def test_a_safe_name_is_one_harmless_path_component(name: str) -> None:
    safe = safe_name(name)
    assert "/" not in safe and "\\" not in safe and "\0" not in safe
    assert safe not in (".", "..") and not safe.startswith(".")
    assert len(safe.encode()) <= 255 or safe.startswith("x-")


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_different_names_get_different_folders(a: str, b: str) -> None:
    if a != b:
        assert safe_name(a) != safe_name(b)


def test_a_scenario_named_like_a_path_is_stored_inside(tmp_path: Path) -> None:
    root = tmp_path / "deep" / "out"
    root.mkdir(parents=True)
    store = ResultsStore(root)
    job = Job("../../escaped", {}, 0)
    store.write_outcome(Outcome(job, scenario_hash="h", seed=1, periods=[{"t": 1.0}],
                                summary={"retention_rate": 0.5}))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]
    (shard,) = (root / "shards").rglob("r00000.parquet")
    assert shard.parent.parent.name == "x-" + b"../../escaped".hex()
    assert store.is_complete(job, "h")
    assert store.load()["summary"].loc[0, "scenario"] == "../../escaped"


# -- resume verifies shards --------------------------------------------------------------------
def test_resume_recomputes_a_corrupted_and_a_foreign_shard_and_says_so(tmp_path: Path) -> None:
    out, other = tmp_path / "out", tmp_path / "other"
    args = ["run", BASELINE, *TINY_SET, "-r", "3", "--workers", "1", "--quiet"]
    assert spc(*args, "--out", str(out)).returncode == 0
    before = (out / "summary.parquet").read_bytes()
    # the same scenario name with another parameter: another scenario hash
    assert spc(*args, "--set", "organization.reliability=0.5", "--out",
               str(other)).returncode == 0
    shard1 = out / "shards" / "baseline" / "p00000" / "r00001.parquet"
    shard1.write_bytes(shard1.read_bytes()[: shard1.stat().st_size // 2])  # truncated
    name2 = Path("shards", "baseline", "p00000", "r00002")
    for suffix in (".parquet", ".check.json"):
        shutil.copyfile(other / name2.with_suffix(suffix), out / name2.with_suffix(suffix))
    resumed = spc(*args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    lines = resumed.stderr.splitlines()
    assert any(str(shard1) in line and "recomputing" in line and "corrupted" in line
               for line in lines), lines
    assert any(str(out / name2.with_suffix(".parquet")) in line
               and "foreign scenario hash" in line for line in lines), lines
    assert not any("r00000" in line for line in lines)  # the good shard is kept quietly
    assert (out / "summary.parquet").read_bytes() == before


# -- --force -----------------------------------------------------------------------------------
def test_force_removes_only_what_spc_wrote(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", BASELINE, *TINY_SET, "-r", "2", "--workers", "1", "--quiet", "--out", str(out)]
    assert spc(*args).returncode == 0
    (out / "notes.md").write_text("my notes")
    (out / "figures").mkdir()
    (out / "figures" / "old.svg").write_text("<svg/>")  # a figure: spc's
    (out / "figures" / "sketch.txt").write_text("mine")
    (out / "errors").mkdir()
    (out / "errors" / "stale.json").write_text("{}")
    forced = spc(*args, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "notes.md").read_text() == "my notes"
    assert (out / "figures" / "sketch.txt").read_text() == "mine"
    assert not (out / "figures" / "old.svg").exists() and not (out / "errors").exists()
    assert "left 2 file(s) spc did not write: figures/sketch.txt, notes.md" in forced.stderr
    assert len(check_files(out)) == 2 and read_manifest(out).complete


# -- atomic writes -----------------------------------------------------------------------------
def test_every_file_follows_the_umask_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def umask_027() -> None:
        os.umask(0o027)

    done = spc("run", BASELINE, *TINY_SET, "-r", "2", "--workers", "1", "--quiet", "--out",
               str(out), preexec=umask_027)
    assert done.returncode == 0, done.stderr
    plotted = spc("plot", str(out), "--format", "svg", "--quiet", preexec=umask_027)
    assert plotted.returncode == 0, plotted.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".svg" for p in files) and any(p.suffix == ".parquet" for p in files)
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o640)}
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name == ".spc.lock"]


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "figure.svg"
    path.write_text("the old figure")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("<svg half")
        raise OSError(28, "No space left on device")

    with pytest.raises(ResultsError, match=r"figure.svg: cannot write \(the disk is full\)"):
        atomic_write(path, half_then_fail)
    assert path.read_text() == "the old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.svg"]


def test_a_write_killed_midway_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    atomic_write_text(path, "the old report")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from sim.results.files import atomic_write\n"
        "def half(tmp):\n"
        "    tmp.write_text('<html>half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"atomic_write(Path({str(path)!r}), half)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=False)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_text() == "the old report"


# -- write faults ------------------------------------------------------------------------------
def test_a_write_fault_stops_with_one_message_keeps_the_shards_and_resume_finishes(
    tmp_path: Path,
) -> None:
    args = ["run", BASELINE, *TINY_SET, "-r", "10", "--workers", "1", "--quiet"]
    reference = tmp_path / "reference"
    assert spc(*args, "--out", str(reference)).returncode == 0
    small = [p.stat().st_size for p in (reference / "shards").rglob("*") if p.is_file()]
    small.append((reference / "manifest.json").stat().st_size)
    limit = max(small) + 4096
    assert (reference / "periods.parquet").stat().st_size > limit  # the consolidation fails

    def file_size_limit() -> None:
        # a real kernel limit: a write beyond it fails with EFBIG (SIGXFSZ ignored)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    out = tmp_path / "out"
    failed = spc(*args, "--out", str(out), preexec=file_size_limit)
    assert failed.returncode == 2
    assert "Traceback" not in failed.stderr
    (message,) = failed.stderr.splitlines()
    assert re.fullmatch(rf"spc: error: {re.escape(str(out))}/\S+: cannot write \(the file "
                        r"would exceed the allowed file size\); the completed replications "
                        r"are kept; fix this and rerun with --resume", message), message
    assert len(check_files(out)) == 10  # every replication was stored before the fault
    assert not read_manifest(out).complete
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    resumed = spc(*args, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stderr == ""  # nothing recomputed: the shards were good
    assert read_manifest(out).complete
    for table in ("periods", "summary"):
        assert (out / f"{table}.parquet").read_bytes() == \
            (reference / f"{table}.parquet").read_bytes()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_a_read_only_directory_is_one_message(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        proc = spc("run", BASELINE, *TINY_SET, "--out", str(parent / "out"), "--quiet")
    finally:
        parent.chmod(0o755)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (message,) = proc.stderr.splitlines()
    assert message.startswith(f"spc: error: {parent / 'out'}: cannot create results directory")
