"""Property tests: every kind of bad scenario input gets one clear message and exit code 2.

Hypothesis generates bad scenario files (wrong types, text for numbers, numbers for
switches, out-of-range, tiny and huge values, unsafe names, deep nesting, garbage bytes)
and bad ``--set`` assignments; ``sim.cli.main`` runs in this process with stdout and
stderr captured, and must answer with exactly one line naming the file and the key,
saying what is allowed, with no traceback and no raw control character.  A few cases
also run as real ``spc`` processes.
"""

from __future__ import annotations

import contextlib
import io
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario.schema import MAX_NAME_LENGTH, SECTIONS

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

# derandomize: the same examples on every run, so that CI is reproducible; a failure it
# finds is found again on every machine
FAST = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def run_cli(*args: str) -> tuple[int, str, str]:
    """``spc ARGS`` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (control characters escaped as TOML requires)."""
    body = "".join(
        "\\\\" if c == "\\" else '\\"' if c == '"'
        else f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c
        for c in text
    )
    return f'"{body}"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    return str(value)


def assert_one_clean_message(code: int, out: str, err: str, source: str, key: str | None) -> str:
    """Exit code 2, nothing on stdout, one line naming ``source`` (and ``key``)."""
    assert code == 2, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    assert "\x1b" not in err and "\x00" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"spc: scenario error: {source}: "), lines[0]
    if key is not None:
        assert f"key '{key}'" in lines[0], (key, lines[0])
    return lines[0]


# -- the schema's fields, by type ---------------------------------------------------------------
def _fields(kind: type) -> list[tuple[str, str, Any]]:
    out = []
    for section, model in SECTIONS.items():
        if section == "units":
            continue
        for name, info in model.model_fields.items():
            if info.annotation is kind:
                out.append((section, name, info))
    return out


NUMBERS = _fields(float)
INTEGERS = _fields(int)
SWITCHES = _fields(bool)


def _bound(info: Any, name: str) -> Any:
    return next((getattr(m, name) for m in info.metadata if getattr(m, name, None) is not None),
                None)


@st.composite
def wrong_typed(draw: st.DrawFn) -> tuple[str, str, str]:
    """(section, key, TOML value) of a value of the wrong type for its key."""
    kind = draw(st.sampled_from(["number", "integer", "switch"]))
    if kind == "number":
        section, name, _ = draw(st.sampled_from(NUMBERS))
        value = draw(st.one_of(
            st.booleans(),
            st.floats(allow_nan=False).map(repr),  # a number written as text: "0.95"
            st.text(max_size=20),
            st.lists(st.integers(0, 1), min_size=1, max_size=3),
        ))
    elif kind == "integer":
        section, name, _ = draw(st.sampled_from(INTEGERS))
        value = draw(st.one_of(
            st.booleans(),
            st.integers(1, 10).map(float),  # 8.0 for 8
            st.integers(1, 10).map(lambda n: f"{n}_0"),  # "1_0"
            st.integers().map(str),
        ))
    else:
        section, name, _ = draw(st.sampled_from(SWITCHES))
        value = draw(st.one_of(
            st.integers(), st.floats(allow_nan=False),
            st.sampled_from(["yes", "no", "true", "false", "on", "1", "0", ""]),
        ))
    if isinstance(value, list):
        return section, name, "[" + ", ".join(map(str, value)) + "]"
    return section, name, toml_value(value)


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[str, str, str]:
    """(section, key, TOML value) of a number outside its key's range, or one too small to
    divide by, or a huge integer."""
    section, name, info = draw(st.sampled_from(NUMBERS + INTEGERS))
    low = _bound(info, "ge") if _bound(info, "ge") is not None else _bound(info, "gt")
    high = _bound(info, "le") if _bound(info, "le") is not None else _bound(info, "lt")
    is_int = info.annotation is int
    choices = [st.just(10**30), st.just(-(10**30))]
    if high is not None:
        choices.append(st.just(int(high) + 1 if is_int else high * 2 + 1))
        if not is_int:
            choices += [st.just(1e308), st.just(math.inf)]
    if low is not None:
        choices.append(st.just(int(low) - 1 if is_int else low - 1.0))
    if not is_int:
        choices.append(st.just(math.nan))
        if _bound(info, "gt") == 0:
            choices.append(st.sampled_from([5e-324, 1e-300, 1e-12]))
    return section, name, toml_value(draw(st.one_of(*choices)))


UNSAFE_NAME = st.one_of(
    st.text(min_size=1, max_size=20).filter(
        lambda s: not all(c.isascii() and (c.isalnum() or c in "_.+-") for c in s)
        or not s[0].isalnum()
    ),
    st.just(""),
    st.just("x" * (MAX_NAME_LENGTH + 1)),
    st.sampled_from(["../../x", "a/b", "..", "\x1b[31mred", "nul\x00", "a b"]),
)


def write(directory: str, text: str) -> Path:
    path = Path(directory) / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path.resolve()


# -- properties ---------------------------------------------------------------------------------
@FAST
@given(case=wrong_typed())
def test_a_value_of_the_wrong_type_is_refused(case: tuple[str, str, str]) -> None:
    section, name, literal = case
    with tempfile.TemporaryDirectory() as d:
        path = write(d, f"[{section}]\n{name} = {literal}\n")
        message = assert_one_clean_message(*run_cli("show", str(path)), str(path),
                                           f"{section}.{name}")
    assert "; allowed: " in message


@FAST
@given(case=out_of_range())
def test_a_value_out_of_range_or_too_small_to_divide_by_is_refused(
    case: tuple[str, str, str],
) -> None:
    section, name, literal = case
    with tempfile.TemporaryDirectory() as d:
        path = write(d, f"[{section}]\n{name} = {literal}\n")
        message = assert_one_clean_message(*run_cli("show", str(path)), str(path),
                                           f"{section}.{name}")
    assert "; allowed: " in message and len(message) < 1000


@FAST
@given(case=wrong_typed())
def test_a_bad_set_is_refused_like_a_bad_file(case: tuple[str, str, str]) -> None:
    section, name, literal = case
    code, out, err = run_cli("show", str(BASELINE), "--set", f"{section}.{name}={literal}")
    assert_one_clean_message(code, out, err, f"--set {section}.{name}", f"{section}.{name}")


@FAST
@given(name=UNSAFE_NAME, where=st.sampled_from(["scenario", "unit"]))
def test_an_unsafe_name_is_refused(name: str, where: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        if where == "scenario":
            text, key = f"name = {toml_string(name)}\n", "name"
        else:
            text, key = f"[[units]]\nname = {toml_string(name)}\n", "units.0.name"
        path = write(d, text)
        message = assert_one_clean_message(*run_cli("show", str(path)), str(path), key)
    assert "letters, digits" in message


@FAST
@given(names=st.lists(st.sampled_from(["a", "b", "c"]), min_size=2, max_size=5)
       .filter(lambda ns: len(set(ns)) < len(ns)))
def test_units_sharing_a_name_are_refused(names: list[str]) -> None:
    text = "".join(f"[[units]]\nname = {toml_string(n)}\n" for n in names)
    with tempfile.TemporaryDirectory() as d:
        path = write(d, text)
        message = assert_one_clean_message(*run_cli("show", str(path)), str(path), None)
    assert "more than one unit" in message


@FAST
@given(depth=st.integers(9, 3000), shape=st.sampled_from(["array", "inline", "dotted"]))
def test_deep_nesting_is_refused(depth: int, shape: str) -> None:
    if shape == "array":
        text = "x = " + "[" * depth + "]" * depth + "\n"
    elif shape == "inline":
        text = "[run]\nyears = " + "{a = " * depth + "1" + " }" * depth + "\n"
    else:
        text = "a." * depth + "b = 1\n"
    with tempfile.TemporaryDirectory() as d:
        path = write(d, text)
        message = assert_one_clean_message(*run_cli("show", str(path)), str(path), None)
    assert "nested too deeply" in message or "not valid TOML" in message


@FAST
@given(data=st.binary(min_size=1, max_size=200))
def test_garbage_bytes_are_refused_or_read(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bad.toml"
        path.write_bytes(data)
        code, out, err = run_cli("show", str(path))
    assert "Traceback" not in err and "\x1b" not in err + out
    assert code in (0, 2)
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("spc: scenario error: ")


@FAST
@given(assignment=st.text(max_size=40))
def test_any_set_assignment_is_accepted_or_refused_cleanly(assignment: str) -> None:
    # --set=TEXT: a text that starts with '-' is then the assignment, not another option
    code, _, err = run_cli("show", str(BASELINE), f"--set={assignment}")
    assert code in (0, 2), err
    assert "Traceback" not in err and "\x1b" not in err and "\x00" not in err
    if code == 2:
        assert len(err.splitlines()) == 1 and err.startswith("spc: ")


@FAST
@given(value=st.one_of(st.integers(max_value=0), st.integers(min_value=100_001),
                       st.text(max_size=10).filter(lambda s: not s.strip().isdigit())))
def test_a_bad_replication_count_is_a_usage_error(value: Any) -> None:
    text = str(value)
    code, out, err = run_cli("run", str(BASELINE), "-r", text, "--out", "/nonexistent/x")
    if text.strip() == "auto":
        return  # the one word that is allowed (and would run)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("usage: spc") and "\x1b" not in err


def test_real_processes_give_the_same_single_line() -> None:
    """``spc`` as a real process: a bad file, a bad --set and a malformed scheduler."""
    with tempfile.TemporaryDirectory() as d:
        path = write(d, '[organization]\nreliability = "0.95"\n[[units]]\nname = "all"\n')
        procs = [
            subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                           text=True, timeout=120, cwd=ROOT)
            for args in (["show", str(path)],
                         ["show", str(BASELINE), "--set", "customers.wait_tolerance=5e-324"],
                         ["run", str(BASELINE), "--scheduler", "tcp://10.0.0.5"])
        ]
    file_error, set_error, scheduler_error = procs
    assert_one_clean_message(file_error.returncode, file_error.stdout, file_error.stderr,
                             str(path), "organization.reliability")
    assert_one_clean_message(set_error.returncode, set_error.stdout, set_error.stderr,
                             "--set customers.wait_tolerance", "customers.wait_tolerance")
    assert scheduler_error.returncode == 2 and "Traceback" not in scheduler_error.stderr
    assert "argument --scheduler: 'tcp://10.0.0.5' is not a scheduler address" in \
        scheduler_error.stderr
