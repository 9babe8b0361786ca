"""The command line: show, run, results, manifest and bad input.

Bad input and the ``spc``/``python -m sim`` comparison run the real command in
subprocesses (started together, to keep the file fast); the other checks call
``sim.cli.main`` in-process. Runs use the queue-mode scenario with a short
horizon, so each takes a fraction of a second.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import simpy

from sim.cli import main
from sim.output import flat_kpis
from sim.scenario import ScenarioParameters, load_scenario, parameters_hash
from sim.scenario.schema import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
MMC = ROOT / "scenarios" / "validation" / "mmc.toml"
QUICK = ["--set", "run.years=0.02"]  # about 1,500 arrivals in queue mode
SPC = Path(sys.executable).with_name("spc")


def spc(
    *args: str, cwd: Path | None = None, script: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sim ARGS`` (or the ``spc`` console script)."""
    command = [str(SPC)] if script else [sys.executable, "-m", "sim"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout
    )


def spc_all(
    calls: dict[str, tuple[list[str], dict[str, Any]]],
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run many ``spc(*args, **options)`` at once."""
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        futures = {name: pool.submit(spc, *args, **kw) for name, (args, kw) in calls.items()}
        return {name: future.result() for name, future in futures.items()}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``spc ARGS`` in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def strict_json(text: str) -> Any:
    """Parse JSON, refusing NaN and Infinity (which are not JSON)."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


def refused(
    proc: subprocess.CompletedProcess[str], source: str | Path, key: str | None, *allowed: str
) -> str:
    """Exit code 2 and one message naming ``source``, ``key`` and what is allowed; no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    message = lines[0]
    assert message.startswith(f"spc: scenario error: {source}: "), message
    if key is not None:
        assert message.startswith(f"spc: scenario error: {source}: key '{key}': "), message
    if allowed:
        assert "; allowed: " in message, message
        said = message.split("; allowed: ", 1)[1]
        for fragment in allowed:
            assert fragment in said, (fragment, message)
    return message


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file's bytes (None for directories), by relative path."""
    return {
        str(p.relative_to(directory)): None if p.is_dir() else p.read_bytes()
        for p in sorted(directory.rglob("*"))
    }


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- bad input: one message, exit code 2, no traceback --------------------------------------
# name: (files to write, command, scenario argument, extra arguments,
#        source named, key named, what is allowed)
BadCase = tuple[dict[str, str], str, str, list[str], str, "str | None", tuple[str, ...]]
BAD: dict[str, BadCase] = {
    "unknown top-level key": (
        {"s.toml": "bogus = 1\n"}, "show", "s.toml", [], "s.toml", "bogus",
        ("top-level keys: name, description, extends, run",),
    ),
    "unknown key in a section": (
        {"s.toml": "[organization]\nreliabilty = 0.5\n"}, "show", "s.toml", [], "s.toml",
        "organization.reliabilty", ("keys of [organization]: reliability, empowerment",),
    ),
    "wrong type": (
        {"s.toml": '[organization]\nreliability = "high"\n'}, "show", "s.toml", [], "s.toml",
        "organization.reliability", ("a number in [0, 1]",),
    ),
    "reliability above 1": (
        {"s.toml": "[organization]\nreliability = 1.5\n"}, "show", "s.toml", [], "s.toml",
        "organization.reliability", ("a number in [0, 1]",),
    ),
    "no providers": (
        {"s.toml": "[providers]\ncount = 0\n"}, "show", "s.toml", [], "s.toml",
        "providers.count", ("an integer in [1, 10000]",),
    ),
    "extends cycle": (
        {"a.toml": 'extends = "b.toml"\n', "b.toml": 'extends = "a.toml"\n'}, "show", "a.toml",
        [], "b.toml", "extends", ("a chain without cycles",),
    ),
    "missing extends target": (
        {"a.toml": 'extends = "gone.toml"\n'}, "show", "a.toml", [], "a.toml", "extends",
        ("an existing .toml file",),
    ),
    "missing scenario file": (
        {}, "show", "nowhere.toml", [], "nowhere.toml", None, ("an existing .toml file",),
    ),
    "invalid TOML": ({"s.toml": "[run\nyears = 1\n"}, "show", "s.toml", [], "s.toml", None, ()),
    "bad value in a parent": (
        {"lib/parent.toml": "[market]\ncompetition = 3\n",
         "child.toml": 'extends = "lib/parent.toml"\n[run]\nseed = 3\n'},
        "show", "child.toml", [], "lib/parent.toml", "market.competition", ("a number in [0, 1]",),
    ),
    "--set without '='": (
        {}, "show", str(BASELINE), ["--set", "run.years"], "--set", "run.years",
        ("e.g. --set run.years=2",),
    ),
    "--set unknown key": (
        {}, "show", str(BASELINE), ["--set", "run.yearz=1"], "--set run.yearz", "run.yearz",
        ("keys of [run]: years, seed",),
    ),
    "--set out of range": (
        {}, "show", str(BASELINE), ["--set", "organization.reliability=1.5"],
        "--set organization.reliability", "organization.reliability", ("a number in [0, 1]",),
    ),
    "--set wrong type": (
        {}, "show", str(BASELINE), ["--set", "providers.count=many"], "--set providers.count",
        "providers.count", ("an integer",),
    ),
    "run: --set out of range": (
        {}, "run", str(MMC), ["--set", "providers.count=0"], "--set providers.count",
        "providers.count", ("an integer in [1, 10000]",),
    ),
    "compare: --vary out of range": (
        {}, "compare", str(MMC), ["--vary", "providers.count=2,0"], "--vary providers.count",
        "providers.count", ("an integer in [1, 10000]",),
    ),
    "compare: --vary without values": (
        {}, "compare", str(MMC), ["--vary", "providers.count"], "--vary", "providers.count",
        ("KEY=V1,V2,...",),
    ),
    "run: bad --seed": (
        {}, "run", str(MMC), ["--seed", "-1"], "--set run.seed", "run.seed",
        ("an integer in [0, ",),
    ),
}
USAGE = {
    "run --format xml": ["run", str(MMC), "--format", "xml"],
    "validate --customers 0": ["validate", "--customers", "0"],
    "no such command": ["frobnicate"],
}


@pytest.fixture(scope="module")
def bad_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, dict[str, Any], dict[str, Any], subprocess.CompletedProcess[str]]]:
    """Every BAD case and USAGE error run at once: (its directory, files before, after, result)."""
    calls: dict[str, tuple[list[str], dict[str, Any]]] = {}
    dirs: dict[str, Path] = {}
    for i, (case, (files, command, scenario, extra, *_)) in enumerate(BAD.items()):
        d = dirs[case] = tmp_path_factory.mktemp(f"bad{i}")
        for name, text in files.items():
            write(d / name, text)
        arg = scenario if Path(scenario).is_absolute() else str(d / scenario)
        args = [command, arg, *extra]
        if command == "run":
            args += ["--out", str(d / "out"), *QUICK]
        calls[case] = (args, {})
    for case, args in USAGE.items():
        calls[case] = (args, {})
    before = {case: snapshot(d) for case, d in dirs.items()}
    results = spc_all(calls)
    return {
        case: (dirs.get(case, ROOT), before.get(case, {}),
               snapshot(dirs[case]) if case in dirs else {}, results[case])
        for case in calls
    }


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_with_one_clear_message(bad_runs: Any, case: str) -> None:
    directory, before, after, proc = bad_runs[case]
    *_, source, key, allowed = BAD[case]
    if not source.startswith(("--set", "--vary")):
        source = str((directory / source).resolve())
    refused(proc, source, key, *allowed)
    assert after == before  # nothing written: no results, no staging directory


def test_invalid_toml_message_says_where(bad_runs: Any) -> None:
    message = bad_runs["invalid TOML"][3].stderr
    assert "not valid TOML" in message and "line 1" in message


@pytest.mark.parametrize("case", list(USAGE))
def test_bad_options_are_usage_errors(bad_runs: Any, case: str) -> None:
    proc = bad_runs[case][3]
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("usage: spc")
    assert proc.stdout == ""


# -- show --------------------------------------------------------------------------------------
def _shown(stdout: str) -> dict[str, tuple[Any, str]]:
    """``{"section.key": (value, unit)}`` from ``spc show``'s text."""
    out: dict[str, tuple[Any, str]] = {}
    section = ""
    for line in stdout.splitlines():
        if m := re.fullmatch(r"\[(\w+)\]", line):
            section = m.group(1)
        elif re.fullmatch(r"\[\[(\w+)\]\]", line):
            section = ""  # lists of tables are not single key paths
        elif section and (m := re.fullmatch(r"  (\w+)\s+= (.+?)\s+# (.*)", line)):
            out[f"{section}.{m.group(1)}"] = (json.loads(m.group(2)), m.group(3))
    return out


def test_show_prints_every_resolved_parameter_with_its_unit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = cli(capsys, "show", str(BASELINE))
    assert code == 0
    scenario = load_scenario(BASELINE)
    assert re.search(rf"^hash\s+{scenario.hash}$", out, re.M)
    assert re.search(r"^name\s+baseline$", out, re.M)
    shown = _shown(out)
    flat = scenario.flat()
    checked = 0
    for section, model in SECTIONS.items():
        if isinstance(getattr(scenario.params, section), tuple):
            continue
        for key, info in model.model_fields.items():
            path = f"{section}.{key}"
            assert shown[path] == (flat[path], info.json_schema_extra["unit"]), path
            checked += 1
    assert checked == len(shown) >= 20


def test_show_applies_set_and_changes_the_hash(capsys: pytest.CaptureFixture[str]) -> None:
    overrides = ["organization.reliability=0.97", "providers.count=7"]
    code, out, _ = cli(capsys, "show", str(BASELINE), *(a for o in overrides for a in ("--set", o)))
    assert code == 0
    expected = load_scenario(BASELINE, overrides)
    assert expected.hash != load_scenario(BASELINE).hash
    assert re.search(rf"^hash\s+{expected.hash}$", out, re.M)
    assert re.search(r"^overrides\s+organization.reliability=0.97 providers.count=7$", out, re.M)
    shown = _shown(out)
    assert shown["organization.reliability"][0] == 0.97
    assert shown["providers.count"][0] == 7


def test_show_json_is_the_resolved_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rel = os.path.relpath(BASELINE, tmp_path)
    child = write(
        tmp_path / "reliable.toml",
        f'name = "reliable"\nextends = "{rel}"\n[organization]\nreliability = 0.97\n',
    )
    code, out, _ = cli(capsys, "show", str(child), "--json", "--set", "market.competition=0.8")
    assert code == 0
    shown = strict_json(out)
    assert set(shown) == {"name", "description", "hash", "parameters"}
    expected = load_scenario(child, ["market.competition=0.8"])
    assert shown["name"] == "reliable" and shown["description"] == ""
    assert shown["hash"] == expected.hash
    assert shown["parameters"] == expected.params.model_dump(mode="json")
    base = load_scenario(BASELINE).params
    assert shown["parameters"]["organization"]["reliability"] == 0.97  # the child
    assert shown["parameters"]["market"]["competition"] == 0.8  # --set
    assert shown["parameters"]["providers"]["count"] == base.providers.count  # inherited


def test_show_lists_the_extends_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rel = os.path.relpath(BASELINE, tmp_path)
    child = write(tmp_path / "child.toml", f'extends = "{rel}"\n')
    code, out, _ = cli(capsys, "show", str(child))
    assert code == 0
    assert re.search(
        rf"^files\s+{re.escape(str(child.resolve()))} <- {re.escape(str(BASELINE.resolve()))}$",
        out, re.M,
    )
    # an extension that overrides nothing is the baseline, by content
    assert re.search(rf"^hash\s+{load_scenario(BASELINE).hash}$", out, re.M)


def test_show_finds_the_default_scenario_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "show", "--json")
    assert code == 0
    assert strict_json(out)["hash"] == load_scenario(BASELINE).hash


# -- run -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """One short queue-mode run, for real: the defaults (Parquet), --json, seed 7."""
    out = tmp_path_factory.mktemp("parquet") / "out"
    proc = spc("run", str(MMC), *QUICK, "--seed", "7", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return out, strict_json(proc.stdout)


def test_run_writes_parquet_tables_and_a_manifest(parquet_run: tuple[Path, Any]) -> None:
    out, _ = parquet_run
    # one run is one replication of the store: its shard, the tables, the manifest
    assert sorted(p.name for p in out.iterdir()) == [
        "cohorts.parquet", "manifest.json", "periods.parquet", "shards", "summary.parquet"
    ]
    assert [p.name for p in out.parent.iterdir()] == ["out"]  # no staging left behind
    periods = pd.read_parquet(out / "periods.parquet")
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(periods) >= 1 and {"scenario", "replication", "period"} <= set(periods.columns)
    assert set(periods["scenario"]) == {"mmc"}
    assert len(summary) == 1
    assert summary.loc[0, "scenario"] == "mmc" and summary.loc[0, "seed"] == 7
    assert summary.loc[0, "arrived"] == periods["arrived"].sum() > 0


def test_run_json_prints_scenario_seed_and_kpis(parquet_run: tuple[Path, Any]) -> None:
    out, printed = parquet_run
    assert set(printed) == {"scenario", "seed", "kpis"}
    assert printed["scenario"] == "mmc" and printed["seed"] == 7
    summary = pd.read_parquet(out / "summary.parquet").iloc[0]
    kpis = flat_kpis(printed["kpis"])  # nested KPIs are dotted columns in the table
    assert kpis and set(kpis) <= set(summary.index)
    for key, value in kpis.items():
        if value is None:
            assert pd.isna(summary[key]), key
        else:
            assert value == pytest.approx(summary[key], rel=1e-12), key


def test_run_json_has_no_nan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # no arrivals at all: waits and shares are undefined, which JSON writes as null
    code, out, _ = cli(capsys, "run", str(MMC), *QUICK, "--set", "queue.arrival_rate=1e-6",
                       "--out", str(tmp_path / "out"), "--json")
    assert code == 0
    kpis = strict_json(out)["kpis"]
    assert kpis["arrived"] == 0
    assert kpis["mean_wait"] is None
    strict_json((tmp_path / "out" / "manifest.json").read_text())


def test_manifest_records_what_ran_where(parquet_run: tuple[Path, Any]) -> None:
    out, _ = parquet_run
    m = strict_json((out / "manifest.json").read_text())
    assert m["package_version"] == metadata.version("spc")
    git = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"],
                         capture_output=True, text=True, check=False)
    if git.returncode == 0:
        assert m["git"]["commit"] == git.stdout.strip()
        assert isinstance(m["git"]["dirty"], bool)
    else:  # not run from a checkout
        assert m["git"] == {"commit": None, "dirty": None}
    assert m["python"] == platform.python_version()
    assert m["numpy"] == np.__version__
    assert m["simpy"] == simpy.__version__
    assert m["os"] == platform.platform()
    assert isinstance(m["cpu"], str) and m["cpu"]
    assert m["scenario"]["name"] == "mmc"
    assert m["scenario"]["path"] == str(MMC.resolve())
    assert m["scenario"]["overrides"] == ["run.years=0.02", "run.seed=7"]
    params = m["scenario"]["parameters"]
    assert m["scenario"]["hash"] == parameters_hash(ScenarioParameters.model_validate(params))
    # the resolved parameters: the file's values, the overrides and the defaults
    given = tomllib.loads(MMC.read_text())
    given["run"].update(years=0.02, seed=7)
    for section, table in given.items():
        if isinstance(table, dict):
            assert table.items() <= params[section].items(), section
    assert set(params) == set(ScenarioParameters.model_fields)
    assert m["root_seed"] == 7
    assert m["streams"] == sorted(m["streams"])
    assert {"arrivals", "service_time"} <= set(m["streams"])
    assert isinstance(m["wall_seconds"], float) and 0 < m["wall_seconds"] < 60
    assert m["format"] == "parquet"
    datetime.fromisoformat(m["created"])


def test_run_writes_csv_with_the_same_content(
    tmp_path: Path, parquet_run: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    parquet_out, _ = parquet_run
    out = tmp_path / "csv"
    code, printed, _ = cli(capsys, "run", str(MMC), *QUICK, "--seed", "7", "--out", str(out),
                           "--format", "csv", "--quiet")
    assert code == 0
    assert printed == ""  # --quiet
    assert sorted(p.name for p in out.iterdir()) == ["cohorts.csv", "manifest.json",
                                                     "periods.csv", "shards", "summary.csv"]
    assert strict_json((out / "manifest.json").read_text())["format"] == "csv"
    for table in ("periods", "summary"):
        pd.testing.assert_frame_equal(
            pd.read_csv(out / f"{table}.csv"),
            pd.read_parquet(parquet_out / f"{table}.parquet"),
            check_dtype=False,
        )


def test_run_prints_a_table_and_where_the_results_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, printed, _ = cli(capsys, "run", str(MMC), *QUICK, "--out", str(out))
    assert code == 0
    assert printed.startswith("mmc: seed 1, 0.02 years, ")
    assert re.search(r"^arrived\s+[\d,]+\s+visits$", printed, re.M)
    assert printed.rstrip().endswith(f"results written to {out}")


def test_run_default_results_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, _ = cli(capsys, "run", str(MMC), *QUICK, "--quiet")
    assert code == 0
    (made,) = (tmp_path / "results").iterdir()
    # to the microsecond, with a random suffix: two runs never share a directory
    assert re.fullmatch(r"mmc-\d{8}-\d{6}-\d{6}-[0-9a-f]{4}", made.name)
    assert {p.name for p in made.iterdir()} == {"manifest.json", "periods.parquet",
                                                "summary.parquet", "cohorts.parquet", "shards"}


def test_results_directory_is_as_readable_as_any_new_directory(
    tmp_path: Path, parquet_run: tuple[Path, Any]
) -> None:
    out, _ = parquet_run
    (tmp_path / "plain").mkdir()
    assert out.stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777


def _occupied(directory: Path) -> dict[str, bytes | None]:
    write(directory / "periods.parquet", "an earlier run's table")
    write(directory / "notes" / "keep.txt", "precious")
    return snapshot(directory)


def test_an_occupied_results_directory_is_refused_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _occupied(out)
    # a run that would take far longer than the timeout: the refusal must come first
    proc = spc("run", str(MMC), "--set", "run.years=100", "--set", "queue.arrival_rate=1000",
               "--set", "providers.count=2000", "--out", str(out), timeout=30)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    (message,) = proc.stderr.splitlines()
    assert message.startswith(f"spc: error: {out}: ")
    assert "not empty" in message and "--force" in message
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging directory either


def test_an_empty_results_directory_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code, _, _ = cli(capsys, "run", str(MMC), *QUICK, "--out", str(out), "--quiet")
    assert code == 0
    assert (out / "manifest.json").is_file()


def test_force_replaces_an_occupied_results_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    _occupied(out)
    code, _, err = cli(capsys, "run", str(MMC), *QUICK, "--out", str(out), "--force", "--quiet")
    assert code == 0, err
    # what spc wrote is replaced; the user's own file stays, and the message says so
    assert sorted(p.name for p in out.iterdir()) == [
        "cohorts.parquet", "manifest.json", "notes", "periods.parquet", "shards",
        "summary.parquet"
    ]
    assert (out / "notes" / "keep.txt").read_text() == "precious"
    assert "left 1 file(s) spc did not write: notes/keep.txt" in err
    assert len(pd.read_parquet(out / "periods.parquet")) >= 1  # the new table, not the old bytes
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # old results and staging removed


def test_a_file_in_place_of_the_results_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = write(tmp_path / "out", "not a directory")
    for force in ([], ["--force"]):
        code, printed, err = cli(capsys, "run", str(MMC), *QUICK, "--out", str(out), *force)
        assert code == 2 and printed == ""
        (message,) = err.splitlines()
        assert message.startswith(f"spc: error: {out}: ") and "not a directory" in message
        assert out.read_text() == "not a directory"


# -- python -m sim and spc -----------------------------------------------------------------
SAME = {
    "version": ["--version"],
    "show": ["show", str(BASELINE), "--json", "--set", "market.competition=0.7"],
    "bad --set": ["show", str(BASELINE), "--set", "organization.reliability=2"],
    "run": ["run", str(MMC), *QUICK, "--json"],
}


@pytest.fixture(scope="module")
def both_ways(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str], Path]]:
    """Each SAME command run as ``python -m sim`` and as ``spc``, all at once."""
    if not SPC.exists():
        pytest.skip("the spc console script is not installed beside this Python")
    d = tmp_path_factory.mktemp("both")
    calls: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for name, args in SAME.items():
        for way in ("module", "script"):
            out = ["--out", str(d / f"{name}-{way}")] if args[0] == "run" else []
            calls[f"{name}/{way}"] = ([*args, *out], {"script": way == "script"})
    results = spc_all(calls)
    return {name: (results[f"{name}/module"], results[f"{name}/script"], d) for name in SAME}


@pytest.mark.parametrize("name", [n for n in SAME if n != "run"])
def test_module_and_console_script_behave_the_same(both_ways: Any, name: str) -> None:
    module, script, _ = both_ways[name]
    assert (module.returncode, module.stdout, module.stderr) == (
        script.returncode, script.stdout, script.stderr
    )
    assert "Traceback" not in module.stderr
    assert module.stdout or module.stderr
    if name == "version":
        assert module.stdout.strip() == f"spc {metadata.version('spc')}"
    if name == "bad --set":
        assert module.returncode == 2


def test_module_and_console_script_run_the_same(both_ways: Any) -> None:
    module, script, d = both_ways["run"]
    assert module.returncode == script.returncode == 0, (module.stderr, script.stderr)
    assert strict_json(module.stdout) == strict_json(script.stdout)
    for table in ("periods.parquet", "summary.parquet"):
        assert (d / "run-module" / table).read_bytes() == (d / "run-script" / table).read_bytes()


def test_the_hash_is_the_same_in_another_process(both_ways: Any) -> None:
    # two processes (with different str hash seeds) and this one agree on the hash
    module, script, _ = both_ways["show"]
    shown, again = strict_json(module.stdout), strict_json(script.stdout)
    assert shown["hash"] == again["hash"]
    assert shown["parameters"]["market"]["competition"] == 0.7
    params = ScenarioParameters.model_validate(shown["parameters"])
    assert shown["hash"] == parameters_hash(params)


def test_the_parser_is_built_without_the_heavy_libraries() -> None:
    # every ``spc`` call builds the whole parser; the report, plotting, statistics and
    # search libraries are imported by the commands that use them, not by the parser
    # (importing them took 2 of the 3 seconds of ``spc --version``; pandas, half of the
    # rest, is imported by the commands that read or write tables)
    heavy = ("matplotlib", "scipy.stats", "seaborn", "openpyxl", "optuna", "SALib",
             "distributed", "pyabc", "pandas")
    code = ("import sys, sim.cli; sim.cli.build_parser(); "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_output_stops_quietly_when_the_reader_goes_away() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `spc show | head -0`
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sim", "show", str(BASELINE)],
            stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=60,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr, proc.stderr
    assert proc.returncode == 1


# -- validate ------------------------------------------------------------------------------
def test_validate_refuses_a_missing_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code, out, err = cli(capsys, "validate", "--scenario", str(missing))
    assert (code, out) == (2, "")
    assert err.startswith(f"spc: scenario error: {missing}: scenario file not found")


def test_validate_json_is_valid_json_even_when_statistics_are_undefined(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # one arrival per check: too few batches for a confidence interval
    code, out, _ = cli(capsys, "validate", "--customers", "1", "--json")
    assert code == 1
    result = strict_json(out)
    assert result["passed"] is False
    assert any(c["ci_low"] is None for c in result["checks"])


# -- option values and faults: one message, exit code 2, nothing run ---------------------------
BAD_OPTIONS: dict[str, tuple[list[str], str]] = {
    "-r 0": (["-r", "0"], "-r/--replications"),
    "-r negative": (["-r", "-3"], "-r/--replications"),
    "-r huge": (["-r", str(10**30)], "-r/--replications"),
    "-r text": (["-r", "many"], "-r/--replications"),
    "--precision 0": (["-r", "auto", "--precision", "0"], "--precision"),
    "--precision negative": (["-r", "auto", "--precision", "-0.1"], "--precision"),
    "--precision nan": (["-r", "auto", "--precision", "nan"], "--precision"),
    "--precision above 1": (["-r", "auto", "--precision", "2"], "--precision"),
    "--budget 0": (["-r", "auto", "--budget", "0"], "--budget"),
    "--budget below the minimum": (["-r", "auto", "--budget", "2"], "--budget"),
    "--budget huge": (["-r", "auto", "--budget", str(2**70)], "--budget"),
    "--kpis empty": (["-r", "auto", "--kpis", ""], "--kpis"),
    "--kpis blank": (["-r", "auto", "--kpis", " , "], "--kpis"),
    "--kpis gap": (["-r", "auto", "--kpis", "nps,,retention_rate"], "--kpis"),
    "--workers 0": (["--workers", "0"], "--workers"),
    "--workers huge": (["--workers", str(10**9)], "--workers"),
    "--warmup negative": (["--warmup", "-1"], "--warmup"),
    "--warmup nan": (["--warmup", "nan"], "--warmup"),
    "--scheduler words": (["--scheduler", "not an address"], "--scheduler"),
    "--scheduler protocol": (["--scheduler", "http://10.0.0.5:8786"], "--scheduler"),
    "--scheduler port 0": (["--scheduler", "tcp://10.0.0.5:0"], "--scheduler"),
    "--scheduler port too big": (["--scheduler", "tcp://10.0.0.5:99999"], "--scheduler"),
    "--scheduler no host": (["--scheduler", "tcp://:8786"], "--scheduler"),
    "--scheduler no port": (["--scheduler", "tcp://10.0.0.5"], "--scheduler"),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_bad_option_values_are_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str
) -> None:
    extra, option = BAD_OPTIONS[case]
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["run", str(MMC), *QUICK, "--out", str(tmp_path / "out"), *extra])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert err.startswith("usage: spc run") and "Traceback" not in err
    message = err.splitlines()[-1]
    assert message.startswith(f"spc run: error: argument {option}: "), message
    assert "allowed: " in message, message
    assert not (tmp_path / "out").exists()


def test_the_scheduler_address_forms_that_are_accepted() -> None:
    from sim.experiment.executors import scheduler_problem

    for address in ("tcp://10.0.0.5:8786", "tls://scheduler.example.org:8786", "host:1",
                    "tcp://[::1]:8786", "ws://h-1.b:65535"):
        assert scheduler_problem(address) is None, address


def test_compare_vary_compares_named_variants_of_the_base(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = cli(capsys, "compare", str(MMC), "--vary", "providers.count=11,12", "-r", "2",
                         *QUICK, "--json", "--out", str(tmp_path / "c"))
    assert code == 0, err
    payload = strict_json(out)
    assert {r["scenario"] for r in payload["comparisons"]} == {"count-11", "count-12"}
    assert payload["differences"]["count-12"] == {"providers.count": [10, 12]}
    # the variants ran, on the base's seeds: fewer waits with more servers
    wait = {r["scenario"]: r["diff"] for r in payload["comparisons"] if r["kpi"] == "mean_wait"}
    assert wait["count-12"] < wait["count-11"] < 0
    code, _, err = cli(capsys, "compare", str(MMC), "-r", "2")
    assert code == 2 and err.startswith("spc: error: compare: no OTHER scenario")


def test_compare_and_validate_counts_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["compare", str(MMC), str(MMC), "-r", "0"],
                 ["compare", str(MMC), str(MMC), "--kpis", ","],
                 ["validate", "--customers", str(10**12)]):
        capsys.readouterr()
        with pytest.raises(SystemExit) as info:
            main(args)
        assert info.value.code == 2
        assert "allowed: " in capsys.readouterr().err.splitlines()[-1]


def test_control_characters_from_files_and_arguments_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    f = write(tmp_path / "s.toml", 'description = "\\u001b[2J\\u001b[31mred\\u0007 text"\n')
    code, out, _ = cli(capsys, "show", str(f))
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    assert "description  \\x1b[2J\\x1b[31mred\\x07 text" in out
    code, out, err = cli(capsys, "show", str(BASELINE), "--set", "run.\x1b[31mx=1")
    assert code == 2 and "\x1b" not in err and "run.\\x1b[31mx" in err
    assert len(err.splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["run", str(MMC), "--format", "x\x1b[31m"])
    err = capsys.readouterr().err
    assert "\x1b" not in err and "x\\x1b[31m" in err


def test_an_operating_system_error_is_one_line_naming_the_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = "s" * 5000 + ".toml"  # too long for the file system: the OS refuses it
    code, out, err = cli(capsys, "show", name)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("spc: ")
    assert "too long" in err and "sss" in err and len(err) < 600


@pytest.fixture
def empty_scheduler() -> Any:
    """A real Dask scheduler (in this process) with no workers."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        yield cluster.scheduler_address


def test_a_scheduler_without_workers_is_a_message_not_a_hang(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, empty_scheduler: str
) -> None:
    import dask

    with dask.config.set({"spc.no-worker-timeout": 1}):
        code, out, err = cli(capsys, "run", str(MMC), *QUICK, "-r", "2", "--scheduler",
                             empty_scheduler, "--out", str(tmp_path / "out"), "--quiet")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1
    assert f"the Dask scheduler at {empty_scheduler} has no workers (waited 1 s)" in err


def test_when_every_dask_worker_dies_the_run_stops_with_a_message(
    tmp_path: Path, empty_scheduler: str
) -> None:
    from dask.distributed import Client

    worker = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", empty_scheduler, "--no-nanny",
         "--nthreads", "1", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    run: subprocess.Popen[str] | None = None
    try:
        with Client(empty_scheduler) as client:
            client.wait_for_workers(1, timeout=120)
            run = subprocess.Popen(
                [sys.executable, "-m", "sim", "run", str(BASELINE), "--set", "run.years=2",
                 "-r", "6", "--scheduler", empty_scheduler, "--out", str(tmp_path / "out"),
                 "--quiet"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                env={**os.environ, "DASK_SPC__NO_WORKER_TIMEOUT": "2"},
            )
            while not any(client.processing().values()):  # a replication has started
                assert run.poll() is None, run.communicate()
                time.sleep(0.2)
            worker.kill()
            _, err = run.communicate(timeout=120)
    finally:
        for proc in (worker, run):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert run.returncode == 2, err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert "has no workers left: all have died" in err
    assert (tmp_path / "out" / "manifest.json").exists()  # the run's record is kept


def test_a_sweep_file_is_held_to_the_same_rules(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    factors = '[factors]\n"organization.reliability" = { levels = [0.9, 0.95] }\n'
    head = 'design = "factorial"\nkpis = ["nps"]\n'
    unsafe = write(tmp_path / "unsafe.toml",
                   f'base = "{BASELINE}"\nname = "../../x"\n{head}{factors}')
    (tmp_path / "one.toml").symlink_to(tmp_path / "two.toml")
    (tmp_path / "two.toml").symlink_to(tmp_path / "one.toml")
    looped = write(tmp_path / "looped.toml", f'base = "one.toml"\n{head}{factors}')
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 2_000_000 + "\n")
    for path, key, said in ((unsafe, "name", "letters, digits"),
                            (looped, "base", "symbolic link loop"),
                            (big, None, "too large to be a sweep file")):
        code, out, err = cli(capsys, "sweep", str(path), "--out", str(tmp_path / "out"))
        assert code == 2 and out == "" and len(err.splitlines()) == 1, err
        named = f": key '{key}': " if key else ": "
        assert err.startswith(f"spc: scenario error: {path.resolve()}{named}"), err
        assert said in err
    assert not (tmp_path / "out").exists()


TINY_SWEEP = """
base = "{base}"
design = "factorial"
kpis = ["retention_rate", "profit"]
overrides = ["run.years=0.3", "run.warmup_years=0.05", "customers.initial=150",
             "providers.count=1", "growth.paid_per_month=10"{more}]

[factors]
"organization.reliability" = {{ levels = [0.85, 0.95] }}
"""


def test_sweep_set_and_seed_apply_to_the_base_as_the_files_overrides_and_are_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plain = write(tmp_path / "plain.toml", TINY_SWEEP.format(base=BASELINE.as_posix(), more=""))
    code, out, err = cli(capsys, "sweep", str(plain), "--set", "run.years=0.25",
                         "--set", "organization.empowerment=0.8", "--seed", "7",
                         "--executor", "sequential", "--json", "--out", str(tmp_path / "cli"))
    assert code == 0, err
    assert strict_json(out)["seed"] == 7
    # the same sweep with the overrides written in its file gives the same numbers
    more = ', "run.years=0.25", "organization.empowerment=0.8", "run.seed=7"'
    inline = write(tmp_path / "plain2.toml", TINY_SWEEP.format(base=BASELINE.as_posix(),
                                                                more=more))
    assert main(["sweep", str(inline), "--executor", "sequential", "--quiet",
                 "--out", str(tmp_path / "file")]) == 0
    given = pd.read_parquet(tmp_path / "cli" / "summary.parquet")
    written = pd.read_parquet(tmp_path / "file" / "summary.parquet")
    pd.testing.assert_frame_equal(given[["point", "retention_rate", "profit"]],
                                  written[["point", "retention_rate", "profit"]])
    manifest = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert manifest["plan"]["set"] == ["run.years=0.25", "organization.empowerment=0.8",
                                       "run.seed=7"]
    assert manifest["plan"]["scenario"]["overrides"][-3:] == manifest["plan"]["set"]
    assert manifest["plan"]["scenario"]["parameters"]["run"]["years"] == 0.25
    assert manifest["root_seed"] == 7 and manifest["seeds"]["root_seeds"] == {"baseline": 7}
    assert "set" not in json.loads((tmp_path / "file" / "manifest.json").read_text())["plan"]


@pytest.mark.parametrize(("given", "key", "said"), [
    (["--set", "organization.reliability=0.9"], "organization.reliability",
     "is a factor of this sweep"),
    (["--set", "organization.reliabilty=0.9"], "organization.reliabilty", "unknown key"),
    (["--set", "run.years=-1"], "run.years", "value -1 is not accepted"),
    (["--seed", "-3"], "run.seed", "value -3 is not accepted"),
    (["--set", "run.years"], "run.years", "not of the form key.path=value"),
])
def test_a_bad_sweep_set_or_seed_stops_before_anything_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: list[str], key: str, said: str
) -> None:
    sweep = write(tmp_path / "s.toml", TINY_SWEEP.format(base=BASELINE.as_posix(), more=""))
    code, out, err = cli(capsys, "sweep", str(sweep), *given, "--out", str(tmp_path / "out"))
    assert code == 2 and out == "" and len(err.splitlines()) == 1, err
    assert err.startswith("spc: scenario error: --set") and f"key '{key}'" in err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
