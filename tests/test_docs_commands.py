"""Every command in the documentation runs, and exits as the documentation says.

What is run: in README.md and docs/**/*.md, every line that starts with ``$ ``
inside a fenced code block marked ```` ```console ```` (a line ending in ``\\``
continues on the next). A document's commands run in order, in one fresh
temporary directory that holds a symlink ``scenarios`` to the repository's
scenario files, so that ``spc run ... --out r`` followed by ``spc report r``
works as the reader would type it. A leading ``spc`` becomes
``sys.executable -m sim`` and a leading ``python`` becomes ``sys.executable``.
A fenced block just after a line ``<!-- file: NAME -->`` is written to NAME in
that directory when the reader reaches it (the scenario and sweep files the
commands then use). A command must exit with code 0, or with the code that a
trailing comment ``# exits with N`` gives (a documented error).

Every fenced block marked ```` ```python ```` runs too, in its place among the
document's steps, as a script in the same directory (with the non-interactive
matplotlib backend); it must not raise. Expressions left at the end of a line,
as a notebook would show them, are evaluated and dropped.

What is not run: fenced blocks marked anything but ``console`` or ``python``. The README's
set-up lines (``pip install -e . && spc run``, ``pip install -e ".[test]" &&
pytest``) are in plain blocks; the tutorial's install lines, the commands
that regenerate the generated pages, and the commands that need a Dask
cluster (``dask scheduler``, ``dask worker``, ``--scheduler tcp://...``) are
in ```` ```shell ```` blocks; ``--executor dask`` (a local cluster) is run.
Inline commands in prose and tables are not collected either.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)\s*(?P<info>[^`\s]*)")
_FILE = re.compile(r"^\s*<!--\s*file:\s*(?P<name>\S+)\s*-->\s*$")
_EXITS = re.compile(r"\s+#\s*exits with (?P<code>\d+)\s*$")
_SHELL = re.compile(r"(?<![\\\w])(\||&&|;|>|<|\$\(|`)")


@dataclass(frozen=True)
class Step:
    """One thing a reader does: write a file, or run a command expecting an exit code."""

    line: int
    command: str = ""
    expected: int = 0
    file: str = ""
    content: str = ""
    python: str = ""


def parse_steps(text: str) -> list[Step]:
    """The files to write and commands to run of a markdown document, in order."""
    steps: list[Step] = []
    lines = text.splitlines()
    i = 0
    pending_file = ""
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            file_marker = _FILE.match(lines[i])
            if file_marker:
                pending_file = file_marker["name"]
            elif lines[i].strip():
                pending_file = ""
            i += 1
            continue
        fence, info, start = match["fence"], match["info"], i
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        if pending_file:
            steps.append(Step(line=start + 1, file=pending_file,
                              content="\n".join(body) + "\n"))
            pending_file = ""
        if info == "console":
            steps.extend(_commands(body, start + 2))
        elif info == "python":
            steps.append(Step(line=start + 1, python="\n".join(body) + "\n"))
    return steps


def _commands(body: list[str], first_line: int) -> list[Step]:
    out = []
    j = 0
    while j < len(body):
        if not body[j].startswith("$ "):
            j += 1
            continue
        line = first_line + j
        command = body[j][2:]
        while command.endswith("\\") and j + 1 < len(body):
            j += 1
            command = command[:-1].rstrip() + " " + body[j].strip()
        j += 1
        expected = 0
        exits = _EXITS.search(command)
        if exits:
            expected = int(exits["code"])
            command = command[: exits.start()]
        out.append(Step(line=line, command=command.strip(), expected=expected))
    return out


def argv_of(command: str) -> list[str]:
    """The argument vector of a documented command (no shell: no pipes or redirections)."""
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", command)
    if _SHELL.search(unquoted):
        raise ValueError(f"documented console commands must not need a shell: {command!r}")
    argv = shlex.split(command)
    if argv[0] == "spc":
        return [sys.executable, "-m", "sim", *argv[1:]]
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return argv


def _documents_with_steps() -> list[Path]:
    return [p for p in DOCUMENTS
            if any(s.command or s.python for s in parse_steps(p.read_text()))]


def _run_document(path: Path, workdir: Path) -> None:
    """Run ``path``'s steps in ``workdir``."""
    (workdir / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "100", "PYTHONHASHSEED": "0"}
    for step in parse_steps(path.read_text()):
        where = f"{path.relative_to(ROOT)}:{step.line}"
        if step.file:
            target = workdir / step.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.content)
            continue
        if step.python:
            script = workdir / f"_docs_line_{step.line}.py"
            script.write_text(step.python)
            argv = [sys.executable, str(script)]
            shown = f"the python block at line {step.line}"
        else:
            argv = argv_of(step.command)
            shown = f"`{step.command}`"
        done = subprocess.run(argv, cwd=workdir, env=env, capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)
        assert done.returncode == step.expected, (
            f"{where}: {shown} exited with {done.returncode}, the docs say "
            f"{step.expected}\n--- stdout (end) ---\n{done.stdout[-3000:]}"
            f"\n--- stderr (end) ---\n{done.stderr[-3000:]}"
        )


@pytest.mark.parametrize("path", _documents_with_steps(),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_documented_commands_run(path: Path, tmp_path: Path) -> None:
    _run_document(path, tmp_path)


# -- the collector itself -------------------------------------------------------------------
SAMPLE = """\
Intro.

```console
$ spc run scenarios/baseline.toml \\
    --set run.years=1 --out r
output that is not a command
$ spc report r
```

```shell
$ dask scheduler
```

<!-- file: mine.toml -->
```toml
extends = "scenarios/baseline.toml"
```

```console
$ spc show mine.toml --set run.years=-1  # exits with 2
```
"""


def test_parse_steps_joins_continuations_reads_exit_codes_and_files() -> None:
    steps = parse_steps(SAMPLE)
    assert [(s.command, s.expected, s.file) for s in steps] == [
        ("spc run scenarios/baseline.toml --set run.years=1 --out r", 0, ""),
        ("spc report r", 0, ""),
        ("", 0, "mine.toml"),
        ("spc show mine.toml --set run.years=-1", 2, ""),
    ]
    assert steps[2].content == 'extends = "scenarios/baseline.toml"\n'
    assert steps[0].line == 4


def test_argv_replaces_spc_and_refuses_shell_syntax() -> None:
    assert argv_of("spc run 'a b.toml' --set x=1") == [
        sys.executable, "-m", "sim", "run", "a b.toml", "--set", "x=1"]
    with pytest.raises(ValueError, match="shell"):
        argv_of("spc show | head")
    with pytest.raises(ValueError, match="shell"):
        argv_of("spc show > out.txt")


def test_the_tutorial_and_every_how_to_have_commands_that_the_test_runs() -> None:
    with_steps = set(_documents_with_steps())
    for page in [ROOT / "docs" / "tutorial" / "first-study.md",
                 *(ROOT / "docs" / "how-to").glob("*.md")]:
        assert page in with_steps, f"{page.relative_to(ROOT)} has no ```console command"
    tutorial = " ".join(s.command for s in parse_steps(
        (ROOT / "docs" / "tutorial" / "first-study.md").read_text()))
    for command in ("spc show", "spc run", "--replications", "spc compare", "spc plot",
                    "spc report", "spc experiment list"):
        assert command in tutorial, f"the tutorial does not use {command}"


def test_cluster_commands_are_documented_but_not_run() -> None:
    page = (ROOT / "docs" / "how-to" / "run-a-sweep-on-a-cluster.md").read_text()
    run = " ".join(s.command for s in parse_steps(page))
    assert "--executor dask" in run and "--resume" in run
    assert "dask scheduler" in page and "dask worker" in page and "--scheduler" in page
    assert "dask scheduler" not in run and "--scheduler" not in run


def test_python_blocks_are_steps_in_their_place() -> None:
    text = "```console\n$ spc run --out r\n```\n\n```python\nimport analysis\n" \
           "analysis.load('r')\n```\n\n```text\nnot run\n```\n"
    steps = parse_steps(text)
    assert [(s.command, s.python) for s in steps] == [
        ("spc run --out r", ""), ("", "import analysis\nanalysis.load('r')\n")]


def test_every_python_block_of_the_docs_is_run() -> None:
    runnable = {p for p in _documents_with_steps()}
    for path in DOCUMENTS:
        if "```python" in path.read_text():
            assert path in runnable
            assert any(s.python for s in parse_steps(path.read_text()))
