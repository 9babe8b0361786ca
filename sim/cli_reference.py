"""The command-line reference, generated from the ``spc`` parser so that it cannot drift.

``python -m sim.cli_reference > docs/reference/cli.md`` regenerates it; a test
fails when the committed file differs from what :func:`sim.cli.build_parser`
says. Every command and nested subcommand gets its usage line and a table of
its arguments. The text is built from the parser's actions, not from
argparse's own help formatter, so that it does not depend on the terminal's
width or on the Python version's help layout.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence

HEADER = """# Command-line reference

Generated from the parser of `spc` (`sim.cli.build_parser()`) by
`python -m sim.cli_reference > docs/reference/cli.md`; do not edit by hand.
`python -m sim` is the same as `spc`. `spc COMMAND --help` prints the same
information in the terminal.

Every error in what you give (a file, a key, a value, a results directory)
ends with one message on stderr and exit code 2; a replication that fails
gives exit code 1 after the others have completed.
"""

WIDTH = 88


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _description(parser: argparse.ArgumentParser) -> str:
    """The parser's description as argparse prints it (``%(prog)s`` expanded)."""
    text = parser.description or ""
    if "%(prog)" in text:
        text = text % {"prog": parser.prog}
    return " ".join(text.split())


def walk(parser: argparse.ArgumentParser, name: str | None = None, summary: str = "",
         ) -> Iterator[tuple[str, str, str, argparse.ArgumentParser]]:
    """Every (command line, one-line help, description, parser): the parser first, then
    its subcommands depth first in the order they were added."""
    name = name or parser.prog
    description = _description(parser)
    yield name, summary or description, description or summary, parser
    sub = _subcommands(parser)
    if sub is None:
        return
    helps = {choice.dest: _help(choice, parser.prog) for choice in sub._choices_actions}
    seen: set[int] = set()
    for command, child in sub.choices.items():
        if id(child) in seen:  # an alias of a command already listed
            continue
        seen.add(id(child))
        yield from walk(child, f"{name} {command}", helps.get(command, ""))


def _metavar(action: argparse.Action) -> str:
    if isinstance(action, argparse._SubParsersAction):
        return "COMMAND" if action.metavar is None else str(action.metavar)
    if action.metavar is not None:
        return action.metavar if isinstance(action.metavar, str) else " ".join(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(str(c) for c in action.choices) + "}"
    return action.dest if not action.option_strings else action.dest.upper()


def _with_values(action: argparse.Action, flag: str) -> str:
    """``flag`` followed by the values it takes, as in a usage line."""
    if action.nargs == 0:
        return flag
    metavar = _metavar(action)
    nargs = action.nargs
    if nargs is None:
        values = metavar
    elif nargs == "?":
        values = f"[{metavar}]"
    elif nargs == "*":
        values = f"[{metavar} ...]"
    elif nargs == "+":
        values = f"{metavar} [{metavar} ...]"
    elif nargs == argparse.REMAINDER:
        values = "..."
    elif nargs == argparse.PARSER:
        values = f"{metavar} ..."
    elif isinstance(nargs, int):
        values = " ".join([metavar] * nargs)
    else:
        values = metavar
    return f"{flag} {values}".strip()


def _usage_token(action: argparse.Action) -> str:
    if not action.option_strings:
        return _with_values(action, "")
    token = _with_values(action, action.option_strings[0])
    return token if action.required else f"[{token}]"


def _wrap(words: Sequence[str], indent: int) -> str:
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line = " " * indent + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)


def usage(name: str, parser: argparse.ArgumentParser) -> str:
    """``usage: spc run [-h] [--seed SEED] ... [scenario]``, wrapped at 88 columns."""
    visible = [a for a in parser._actions if a.help != argparse.SUPPRESS]
    optionals = [_usage_token(a) for a in visible if a.option_strings]
    positionals = [_usage_token(a) for a in visible if not a.option_strings]
    return _wrap([f"usage: {name}", *optionals, *positionals], indent=len("usage: ") + 4)


def _help(action: argparse.Action, prog: str) -> str:
    """The action's help with argparse's ``%(default)s``-style fields expanded."""
    text = action.help or ""
    params = {k: v for k, v in vars(action).items() if v is not argparse.SUPPRESS}
    params["prog"] = prog
    if params.get("choices") is not None:
        params["choices"] = ", ".join(str(c) for c in params["choices"])
    try:
        text = text % params
    except (KeyError, TypeError, ValueError):
        pass
    return " ".join(text.split())


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    """Markdown table rows, one per argument: how to write it and what it means."""
    rows = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if isinstance(action, argparse._SubParsersAction):
            form = _metavar(action)
            meaning = "one of: " + ", ".join(f"`{c}`" for c in action.choices)
        elif action.option_strings:
            form = ", ".join(_with_values(action, flag) for flag in action.option_strings)
            meaning = _help(action, parser.prog)
        else:
            form = _with_values(action, "")
            meaning = _help(action, parser.prog)
        rows.append(f"| `{_cell(form)}` | {_cell(meaning)} |")
    return rows


def render_cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """Markdown: for the parser and every (nested) subcommand, its usage and arguments."""
    if parser is None:
        from sim.cli import build_parser

        parser = build_parser()
    commands = list(walk(parser))
    lines = [HEADER, "| command | what it does |", "|---|---|"]
    for name, summary, _, _ in commands[1:]:
        anchor = name.replace(" ", "-")
        lines.append(f"| [`{name}`](#{anchor}) | {_cell(summary)} |")
    lines.append("")
    for name, _, description, sub in commands:
        lines.append(f"## {name}\n")
        if description:
            lines.append(f"{description}\n")
        lines.append(f"```text\n{usage(name, sub)}\n```\n")
        lines.extend(["| argument | meaning |", "|---|---|", *argument_rows(sub), ""])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the command-line reference (docs/reference/cli.md)."""
    argparse.ArgumentParser(
        prog="python -m sim.cli_reference",
        description="Print docs/reference/cli.md, generated from the parser of spc.",
    ).parse_args(argv)
    print(render_cli_reference(), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
