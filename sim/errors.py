"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations


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
        parts = [source]
        if key:
            parts.append(f"key '{key}'")
        text = ": ".join(parts) + f": {problem}"
        if allowed:
            text += f"; allowed: {allowed}"
        super().__init__(text)


class ResultsError(UserError):
    """A results directory that cannot be written or read as asked."""
