"""The customer population: idle customers are rows of numpy arrays, not Python objects.

A customer becomes a live SimPy process only while visiting.  Between visits
their whole state (segment, expectation, satisfaction, bond, tenure, ...) sits
in one row of a set of compact columns, so that a million idle customers cost
tens of megabytes, and per-period updates over the population are vectorised.
"""

from __future__ import annotations

import numpy as np

# status codes
NEVER = 0  # row allocated, not yet a customer
ACTIVE = 1
DEFECTED = 2

# column name -> dtype: the full per-customer state
COLUMNS: dict[str, type] = {
    "status": np.int8,
    "segment": np.int8,
    "in_visit": np.bool_,
    "ever_promoter": np.bool_,
    "recommend": np.int8,  # last likelihood-to-recommend score, -1 before the first rating
    "unit": np.int16,
    "cohort": np.int16,  # review period in which the customer was acquired
    "channel": np.int8,  # 0 initial, 1 paid, 2 referral
    "defect_reason": np.int8,  # -1 while active
    "provider": np.int32,  # own provider (relationship service), -1 if none
    "visits": np.int32,
    "failures": np.int16,
    "complaints": np.int16,
    "joined": np.float32,  # hours
    "left": np.float32,  # hours, NaN while active
    "promoter_at": np.float32,  # hours of the first promoter rating, NaN before
    "last_visit": np.float32,  # hours
    "visit_rate": np.float32,  # visits per hour
    "patience": np.float32,  # mean patience, hours (0 = infinitely patient)
    "expectation": np.float32,  # expected quality, [0, 1]
    "satisfaction": np.float32,  # cumulative satisfaction, [0, 1]
    "bond": np.float32,  # bond with own provider, [0, 1]
    "revenue": np.float32,  # revenue brought so far
}

_NAN_COLUMNS = ("left", "promoter_at", "last_visit")
_MINUS_ONE = ("recommend", "provider", "defect_reason")


class CustomerPopulation:
    """Columns of customer state, grown by doubling as customers are acquired."""

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self._capacity = 0
        self.columns: dict[str, np.ndarray] = {}
        self._grow(max(int(capacity), 16))

    def _grow(self, capacity: int) -> None:
        for name, dtype in COLUMNS.items():
            fresh = np.zeros(capacity, dtype=dtype)
            if name in _NAN_COLUMNS:
                fresh[:] = np.nan
            elif name in _MINUS_ONE:
                fresh[:] = -1
            old = self.columns.get(name)
            if old is not None:
                fresh[: self.size] = old[: self.size]
            self.columns[name] = fresh
            setattr(self, name, fresh)
        self._capacity = capacity

    def add(self, count: int, now: float, **values: np.ndarray | float | int) -> np.ndarray:
        """Append ``count`` active customers joined at ``now``; returns their indices."""
        if count <= 0:
            return np.empty(0, dtype=np.int64)
        needed = self.size + count
        if needed > self._capacity:
            self._grow(max(needed, 2 * self._capacity))
        idx = np.arange(self.size, needed)
        self.size = needed
        self.columns["status"][idx] = ACTIVE
        self.columns["joined"][idx] = now
        for name, value in values.items():
            if name not in COLUMNS:
                raise KeyError(f"unknown customer column {name!r}")
            self.columns[name][idx] = value
        return idx

    def view(self, name: str) -> np.ndarray:
        """Column ``name`` over the customers that exist (a view, not a copy)."""
        return self.columns[name][: self.size]

    def active_mask(self) -> np.ndarray:
        """Boolean mask of active customers."""
        return self.view("status") == ACTIVE

    @property
    def active_count(self) -> int:
        return int(np.count_nonzero(self.active_mask()))

    @property
    def nbytes(self) -> int:
        """Bytes held by the state columns (allocated capacity)."""
        return sum(col.nbytes for col in self.columns.values())

    @staticmethod
    def bytes_per_customer() -> int:
        """Bytes of state per customer row."""
        return sum(np.dtype(d).itemsize for d in COLUMNS.values())
