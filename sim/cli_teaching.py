"""The `spc teaching` command (being written)."""

from __future__ import annotations

from typing import Any


def add_teaching_parsers(sub: Any) -> None:
    """Register the command's subparser on ``sub`` (argparse subparsers)."""
