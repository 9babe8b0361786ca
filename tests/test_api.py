"""The Python API (sim.api) as a notebook or a script meets it: where the results are,
progress, variants, and scripts whose worker processes start by re-running them (the
``spawn`` start method of macOS and Windows).

Scripts run in real subprocesses; the progress bar is checked on a real pseudo-terminal.
Every run is the queue-mode scenario over a week, a fraction of a second each.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from analysis import load
from sim.api import compare, run

ROOT = Path(__file__).resolve().parent.parent
MMC = ROOT / "scenarios" / "validation" / "mmc.toml"
QUICK = ["run.years=0.02"]


def script(tmp_path: Path, body: str, name: str = "study.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).replace("MMC", repr(str(MMC))))
    return path


def python(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a script with ``TMPDIR`` inside ``tmp_path`` (to see what it leaves there)."""
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp"), "PYTHONPATH": str(ROOT)}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=180)


def test_results_directory_is_kept_said_and_attached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = run(MMC, 2, overrides=QUICK, out=tmp_path / "r")
    err = capsys.readouterr().err  # stderr is no terminal here: no progress bar
    assert err == f"spc: results in {tmp_path / 'r'}\n"
    assert table.attrs["results"] == str(tmp_path / "r")
    loaded = load(table.attrs["results"])
    assert sorted(loaded["summary"]["replication"]) == [0, 1]
    # quiet: nothing said, still attached
    table = run(MMC, 2, overrides=QUICK, out=tmp_path / "q", quiet=True)
    assert capsys.readouterr().err == "" and table.attrs["results"] == str(tmp_path / "q")


def test_compare_makes_variants_of_the_base(tmp_path: Path) -> None:
    table = compare(MMC, vary=["providers.count=11,12"], replications=2, overrides=QUICK,
                    out=tmp_path / "c", quiet=True)
    wait = table[table.kpi == "mean_wait"].set_index("scenario")["diff"]
    assert wait["count-12"] < wait["count-11"] < 0  # more servers, shorter waits
    decision = load(table.attrs["results"])["decision"]
    assert set(decision["scenario"]) == {"mmc", "count-11", "count-12"}


def test_compare_writes_the_panel_when_asked(tmp_path: Path) -> None:
    small = ["customers.initial=250", "providers.count=3", "run.years=0.6",
             "run.warmup_years=0.1"]
    table = compare(ROOT / "scenarios" / "baseline.toml", vary=["organization.reliability=0.98"],
                    replications=2, overrides=small, out=tmp_path / "p", quiet=True, panel=True)
    tables = load(table.attrs["results"])
    for name in ("customers", "panel"):
        assert set(tables[name]["scenario"]) == {"baseline", "reliability-0.98"}
        assert sorted(tables[name]["replication"].unique()) == [0, 1]


def test_progress_shows_on_a_terminal(tmp_path: Path) -> None:
    body = f"""
        from sim.api import run
        run(MMC, 3, overrides={QUICK!r}, out="r")
    """
    path = script(tmp_path, body)
    # a real pseudo-terminal as stdout and stderr
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))  # 100 columns
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(path)], stdout=follower, stderr=follower,
                            cwd=tmp_path, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=120) == 0
    shown = b"".join(chunks).decode()
    assert "replications: 100%" in shown and "3/3" in shown, shown
    assert "spc: results in r" in shown


SPAWN = """
import multiprocessing
multiprocessing.set_start_method("spawn", force=True)
from sim.api import run
"""
CALL = f'run(MMC, 3, "processes", workers=2, overrides={QUICK!r}, quiet=True)'


def test_an_unguarded_spawn_script_stops_with_one_clear_message(tmp_path: Path) -> None:
    proc = python(script(tmp_path, SPAWN + f"table = {CALL}\nprint('finished')\n"), tmp_path)
    assert proc.returncode == 1 and "finished" not in proc.stdout
    assert proc.stderr.count("Traceback") == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("sim.errors.UserError: the worker processes stopped")
    assert 'if __name__ == "__main__":' in last and 'executor="sequential"' in last
    # the workers left before making results directories of their own: only the parent's
    assert len(list((tmp_path / "tmp").glob("spc-*"))) == 1


def test_a_guarded_spawn_script_gives_the_sequential_numbers(tmp_path: Path) -> None:
    body = SPAWN + f"""
if __name__ == "__main__":
    {CALL}.to_csv("spawned.csv", index=False)
    run(MMC, 3, overrides={QUICK!r}, quiet=True).to_csv("sequential.csv", index=False)
"""
    proc = python(script(tmp_path, body), tmp_path)
    assert proc.returncode == 0, proc.stderr
    spawned = pd.read_csv(tmp_path / "spawned.csv")
    assert not spawned.empty
    pd.testing.assert_frame_equal(spawned, pd.read_csv(tmp_path / "sequential.csv"))
