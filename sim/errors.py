"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations

import re
import unicodedata

#: Longest key or source shown in a message; longer ones are cut (a key may be huge).
MAX_SHOWN = 200

_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str, newlines: bool = True) -> str:
    """``text`` with control characters escaped (``\\x1b``, ``\\x00``), so that escape
    sequences from a file or an argument never reach the terminal raw.  Tabs are kept, and
    newlines unless ``newlines`` is false (a one-line message); other non-printable
    characters (format, separators) are escaped too."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if not newlines:
        text = text.replace("\n", "\\n")
    if text.isprintable():
        return text
    return "".join(
        c if c in "\n\t" or c.isprintable() or unicodedata.category(c) == "Zs"
        else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
        for c in text
    )


def clipped(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class UserError(Exception):
    """An error in what the user gave us (a file, a key, a value, a directory)."""

    exit_code = 2


class ScenarioError(UserError):
    """A scenario file or override that cannot be accepted.

    The message names the file (or ``--set``), the key path and what is allowed.
    """

    def __init__(self, source: str, key: str | None, problem: str, allowed: str | None = None):
        self.source = source
        self.key = key
        self.problem = problem
        self.allowed = allowed
        parts = [clipped(source)]
        if key:
            parts.append(f"key '{clipped(key)}'")
        text = ": ".join(parts) + f": {problem}"
        if allowed:
            text += f"; allowed: {allowed}"
        super().__init__(printable(text, newlines=False))  # one line, no raw control characters


class ResultsError(UserError):
    """A results directory that cannot be written or read as asked."""
