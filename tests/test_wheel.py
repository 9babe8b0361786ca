"""The commands and the shipped scenario library work from an installed wheel.

A wheel is built from a copy of the sources and installed without dependencies into a
fresh virtual environment, which sees the site-packages of the environment running the
tests for the dependencies; the installed ``spc`` is then run from an empty directory,
far from any checkout: the default scenario, the queue validation scenario, the sweeps
and the teaching experiments must all be found inside the package."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.teaching.pages import require_docs_dir
from sim.errors import UserError
from sim.scenario.library import library_root, locate

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "LICENSE", "sim", "analysis", "scenarios")


def _run(cmd: list[str], cwd: Path, env: dict[str, str],
         codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; fail the test with its output if its exit code is not in ``codes``."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in codes, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return done


def _see_dependencies(python: Path, cwd: Path, env: dict[str, str]) -> None:
    """Let the fresh venv import the dependencies of the environment running the tests
    (its site-packages as plain path entries: an editable install of spc found there is
    not activated, so ``sim`` comes from the wheel)."""
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd, env).stdout.strip()
    (Path(purelib) / "spc_test_dependencies.pth").write_text("\n".join(site.getsitepackages()))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(the venv's bin folder, an empty working directory, the environment to run in)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=ignore)
        else:
            shutil.copy2(item, src / name)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"),
          str(src)], base, env)
    wheel = next((base / "dist").glob("spc-*.whl"))
    venv = base / "venv"
    interpreter = getattr(sys, "_base_executable", sys.executable)
    _run([interpreter, "-m", "venv", "--system-site-packages", str(venv)], base, env)
    bin_dir = venv / "bin"
    _see_dependencies(bin_dir / "python", base, env)
    _run([str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
         base, env)
    work = base / "empty"
    work.mkdir()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return bin_dir, work, env


@pytest.mark.slow
def test_the_package_runs_from_the_wheel_not_the_checkout(installed) -> None:
    bin_dir, work, env = installed
    code = "import sim, sim.scenario.library as L; print(sim.__file__); print(L.library_root())"
    out = _run([str(bin_dir / "python"), "-c", code], work, env).stdout.split()
    venv = bin_dir.parent.resolve()
    assert all(Path(p).resolve().is_relative_to(venv) for p in out), out
    assert (Path(out[1]) / "baseline.toml").is_file()


@pytest.mark.slow
def test_run_show_and_validate_use_the_shipped_scenarios(installed) -> None:
    bin_dir, work, env = installed
    spc = str(bin_dir / "spc")
    _run([spc, "run", "--set", "run.years=0.2", "--set", "run.warmup_years=0", "--quiet",
          "--out", "run"], work, env)
    assert any((work / "run").iterdir())
    shown = _run([spc, "show"], work, env).stdout
    assert "baseline" in shown
    # 2,000 arrivals are too few for every check to pass (exit 1); they must run (not exit 2)
    validated = _run([spc, "validate", "--customers", "2000", "--json"], work, env, codes=(0, 1))
    assert json.loads(validated.stdout)["checks"]
    shown = _run([spc, "show", "scenarios/reliability_high.toml", "--json"], work, env).stdout
    assert json.loads(shown)["name"] == "reliability_high"


@pytest.mark.slow
def test_the_teaching_experiments_and_sweeps_are_shipped(installed) -> None:
    bin_dir, work, env = installed
    listed = json.loads(_run([str(bin_dir / "spc"), "experiment", "list", "--json"],
                             work, env).stdout)
    assert [e["number"] for e in listed] == list(range(1, len(listed) + 1))
    assert len(listed) == len(list((ROOT / "scenarios" / "experiments").glob("*/experiment.toml")))
    sweeps = sorted(p.name for p in (ROOT / "scenarios" / "sweeps").glob("*.toml"))
    code = ("import sys; from pathlib import Path; from sim.experiment.design import load_sweep;"
            " from sim.scenario.library import locate;"
            " [print(load_sweep(locate(Path('scenarios/sweeps') / n)).name) for n in sys.argv[1:]]")
    loaded = _run([str(bin_dir / "python"), "-c", code, *sweeps], work, env).stdout.split()
    assert len(loaded) == len(sweeps)


@pytest.mark.slow
def test_docs_pages_are_refused_clearly_outside_a_checkout(installed) -> None:
    bin_dir, work, env = installed
    work = work / "docs"
    work.mkdir()
    done = subprocess.run([str(bin_dir / "spc"), "experiment", "run", "1", "--docs"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "source checkout" in done.stderr and "Traceback" not in done.stderr
    assert not list(work.iterdir())


def test_a_library_path_means_the_shipped_file_unless_it_exists_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = locate(Path("scenarios/sweeps/staffing_lhs.toml"))
    assert shipped.is_file() and shipped.resolve().is_relative_to(library_root().resolve())
    assert locate(Path("scenarios/no_such.toml")) == Path("scenarios/no_such.toml")
    own = tmp_path / "scenarios" / "baseline.toml"
    own.parent.mkdir()
    own.write_text('name = "mine"\n')
    assert locate(Path("scenarios/baseline.toml")) == Path("scenarios/baseline.toml")


def test_docs_pages_need_a_docs_folder(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="source checkout"):
        require_docs_dir(tmp_path / "site-packages" / "docs" / "experiments")
    assert require_docs_dir(tmp_path / "experiments") == tmp_path / "experiments"
