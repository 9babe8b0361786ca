"""Argument types of the ``spc`` command line: each value checked with one clear message.

A bad option value ends like every other bad input: one line on stderr naming the
option and what is allowed, exit code 2, no traceback, before any simulation starts.
Control characters in the message (from the value given) are escaped.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.errors import clipped, printable
from sim.experiment.executors import scheduler_problem

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

#: Upper bounds of counts given on the command line: far beyond any sensible study, low
#: enough that a typing slip (an extra zero or ten) is refused instead of running for days.
MAX_REPLICATIONS = 100_000
MAX_WORKERS = 1024
MAX_CUSTOMERS = 100_000_000
MAX_WARMUP_DAYS = 36_500


class SafeParser(argparse.ArgumentParser):
    """An argument parser whose messages (usage errors, help) never carry raw control
    characters: an escape sequence in an argument is printed escaped."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(printable(message) if message else message, file)


def _shown(text: str) -> str:
    return repr(clipped(text, 60))


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[low, high]``."""

    def parse(text: str) -> int:
        try:
            value: int | None = int(text.strip(), 10)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{_shown(text)} is not accepted; allowed: an integer in [{low:,}, {high:,}]"
            )
        return value

    parse.__name__ = "integer"  # argparse names the type in its messages
    return parse


def replications(text: str) -> int | str:
    """``-r``: ``auto`` or a whole number of replications."""
    if text.strip() == "auto":
        return "auto"
    try:
        return bounded_int(1, MAX_REPLICATIONS)(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or auto)") from None


def precision(text: str) -> float:
    """``--precision``: a relative half-width in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not accepted; allowed: a relative half-width in (0, 1], "
            "e.g. 0.05"
        )
    return value


def warmup(text: str) -> float | str:
    """``--warmup``: days in [0, MAX_WARMUP_DAYS], or ``auto``."""
    if text.strip() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0.0 <= value <= MAX_WARMUP_DAYS):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} is not accepted; allowed: days in [0, {MAX_WARMUP_DAYS:,}] or auto"
        )
    return value


def kpi_list(text: str) -> str:
    """``--kpis``: a comma-separated list with at least one name (names are checked
    against the KPIs of the run by the command)."""
    names = [name.strip() for name in text.split(",")]
    if not any(names):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} names no KPI; allowed: comma-separated KPI names, e.g. "
            "retention_rate,nps"
        )
    if not all(names):
        raise argparse.ArgumentTypeError(
            f"{_shown(text)} has an empty name between commas; allowed: comma-separated KPI "
            "names, e.g. retention_rate,nps"
        )
    return text


def scheduler(text: str) -> str:
    """``--scheduler``: a Dask scheduler address such as ``tcp://10.0.0.5:8786``."""
    problem = scheduler_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text
