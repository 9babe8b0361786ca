"""The customer population: customers are rows of compact columns, not Python objects.

A customer is never a SimPy process, and between visits not an object at all:
their whole state (segment, expectation, satisfaction, bond, tenure, ...) sits in
one row of a set of typed columns (``array.array``), which the visit's hot path
reads and writes one value at a time through a ``memoryview`` of each column (a
memoryview stores an item faster than the array itself, which parses its argument
on every store), and :meth:`CustomerPopulation.np` gives zero-copy numpy views of
them for the vectorised per-period updates over the whole population.
"""

from __future__ import annotations

import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, SupportsIndex

import numpy as np

# status codes
ACTIVE = 1
DEFECTED = 2

# outcome of a customer's last failure (for the repurchase ladder), -1 = none pending
SILENT, UNRESOLVED, RESOLVED, RESOLVED_QUICKLY = 0, 1, 2, 3
OUTCOMES = ("did_not_complain", "complained_unresolved", "resolved", "resolved_quickly")
# severity of a problem (TARP 1986)
MINOR, MAJOR = 0, 1
SEVERITIES = ("minor", "major")
# the repurchase ladder's cells, one per severity and complaint outcome
LADDER_CELLS = len(SEVERITIES) * len(OUTCOMES)


def ladder_cell(severity: int, outcome: int) -> int:
    """The repurchase-ladder cell of a problem of ``severity`` with complaint ``outcome``:
    how a pending problem is stored and how the ladder's counts are indexed."""
    return severity * len(OUTCOMES) + outcome


# channel of acquisition
INITIAL, PAID, REFERRAL = 0, 1, 2
CHANNELS = ("initial", "paid", "referral")

# column name -> array typecode: the full per-customer state
COLUMNS: dict[str, str] = {
    "status": "b",
    "segment": "b",  # 0 standard, 1 premium
    "in_visit": "b",
    "ever_promoter": "b",
    "forewarned": "b",  # proactive attention lowers the next visit's failure risk
    "recommend": "b",  # last likelihood-to-recommend score, -1 before the first rating
    "rating_12m": "b",  # recommend score at the first review 12 months after joining,
    # -1 if not rated or no longer active then, -2 before that review
    "failures": "h",
    "failure_outcome": "b",  # ladder_cell of the pending problem (repurchase
    # ladder): a failure that left the customer dissatisfied, -1 if none is pending
    "channel": "b",
    "defect_reason": "b",  # -1 while active
    "unit": "h",
    "cohort": "i",  # review period in which the customer was acquired
    "provider": "i",  # own provider (relationship), last provider (pseudo), -1 if none
    "visits": "i",
    "visit_k": "i",  # visits scheduled so far (the counter of the customer's visit draws)
    "next_visit": "d",  # hours; infinite when not active
    "joined": "f",  # hours
    "left": "f",  # hours, NaN while active
    "promoter_at": "f",  # hours of the first promoter rating, NaN before
    "failure_at": "f",  # hours of the pending problem
    "visit_rate": "f",  # visits per hour
    "patience": "f",  # mean patience, hours (0 = infinitely patient)
    "expectation": "f",  # expected quality, [0, 1]
    "satisfaction": "f",  # cumulative satisfaction, [0, 1]
    "bond": "f",  # bond with own provider, [0, 1]
    "revenue": "f",  # revenue brought so far
    "tolerance": "f",  # own tolerance for waiting, multiple of the scenario's
    "request_rate": "f",  # own probability of a special request per visit
    "recommend_offset": "f",  # own lasting offset of the likelihood to recommend, points
    "standard": "f",  # own lasting offset of the expected quality from the quality received
    "grievance": "f",  # defection hazard per year added by unrecovered problems (fading)
}
_FILL: dict[str, float] = {
    "left": float("nan"),
    "promoter_at": float("nan"),
    "failure_at": float("nan"),
    "recommend": -1,
    "rating_12m": -2,
    "provider": -1,
    "defect_reason": -1,
    "failure_outcome": -1,
    "next_visit": float("inf"),
    "tolerance": 1.0,
}
# capacity grows by 1 / GROWTH_DIVISOR when full: little idle slack, rare copies
GROWTH_DIVISOR = 8
_NUMPY = {"b": np.int8, "h": np.int16, "i": np.int32, "f": np.float32, "d": np.float64}


class IntColumn(Protocol):
    """A column of integers, read and written one customer at a time."""

    def __getitem__(self, index: SupportsIndex, /) -> int: ...

    def __setitem__(self, index: SupportsIndex, value: int, /) -> None: ...


class FloatColumn(Protocol):
    """A column of floats, read and written one customer at a time."""

    def __getitem__(self, index: SupportsIndex, /) -> float: ...

    def __setitem__(self, index: SupportsIndex, value: float, /) -> None: ...


class CustomerPopulation:
    """Typed columns of customer state, grown in blocks as customers are acquired."""

    # one attribute per column of COLUMNS, a memoryview of its array (set in _reserve)
    status: IntColumn
    segment: IntColumn
    in_visit: IntColumn
    ever_promoter: IntColumn
    forewarned: IntColumn
    recommend: IntColumn
    rating_12m: IntColumn
    failures: IntColumn
    failure_outcome: IntColumn
    channel: IntColumn
    defect_reason: IntColumn
    unit: IntColumn
    cohort: IntColumn
    provider: IntColumn
    visits: IntColumn
    visit_k: IntColumn
    next_visit: FloatColumn
    joined: FloatColumn
    left: FloatColumn
    promoter_at: FloatColumn
    failure_at: FloatColumn
    visit_rate: FloatColumn
    patience: FloatColumn
    expectation: FloatColumn
    satisfaction: FloatColumn
    bond: FloatColumn
    revenue: FloatColumn
    tolerance: FloatColumn
    request_rate: FloatColumn
    recommend_offset: FloatColumn
    standard: FloatColumn
    grievance: FloatColumn

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self.capacity = 0
        self.columns: dict[str, array.array] = {
            name: array.array(code) for name, code in COLUMNS.items()
        }
        for name, column in self.columns.items():
            setattr(self, name, column)
        self._reserve(max(int(capacity), 16))

    def _reserve(self, capacity: int) -> None:
        """Grow every column to ``capacity`` rows.

        Columns are copied into new arrays rather than resized in place, so numpy views
        handed out earlier stay valid (they keep seeing the old buffer); code on the hot
        path therefore reaches columns through the population, never through a saved
        reference.
        """
        extra = capacity - self.capacity
        for name, column in list(self.columns.items()):
            grown = column[:]
            grown.extend(array.array(COLUMNS[name], [_FILL.get(name, 0)]) * extra)
            self.columns[name] = grown
            setattr(self, name, memoryview(grown))
        self.capacity = capacity

    def add(self, count: int, now: float, **values: np.ndarray | float | int) -> range:
        """Append ``count`` active customers joined at ``now``; returns their indices."""
        if count <= 0:
            return range(self.size, self.size)
        needed = self.size + count
        if needed > self.capacity:
            self._reserve(max(needed, self.capacity + self.capacity // GROWTH_DIVISOR))
        rows = range(self.size, needed)
        self.size = needed
        with self.np() as col:
            col["status"][rows.start : rows.stop] = ACTIVE
            col["joined"][rows.start : rows.stop] = now
            for name, value in values.items():
                if name not in COLUMNS:
                    raise KeyError(f"unknown customer column {name!r}")
                col[name][rows.start : rows.stop] = value
        return rows

    @contextmanager
    def np(self, *names: str) -> Iterator[dict[str, np.ndarray]]:
        """Zero-copy numpy views over the existing customers of the columns ``names``
        (every column if none is named)."""
        columns = self.columns
        yield {
            name: np.frombuffer(columns[name], dtype=_NUMPY[COLUMNS[name]])[: self.size]
            for name in (names or columns)
        }

    @property
    def active_count(self) -> int:
        with self.np("status") as col:
            return int(np.count_nonzero(col["status"] == ACTIVE))

    @property
    def nbytes(self) -> int:
        """Bytes held by the state columns (allocated capacity)."""
        return sum(col.itemsize * len(col) for col in self.columns.values())

    @staticmethod
    def bytes_per_customer() -> int:
        """Bytes of state per customer row."""
        return sum(array.array(code).itemsize for code in COLUMNS.values())
