"""The day's visits as a calendar merged into SimPy's schedule.

Behaviour mode knows each day's visits in advance: at the start of a day the
population's visits due that day are collected, in time order, with their random
numbers (:func:`~sim.model.customers.population_visits`).  Scheduling each of them
as a SimPy timeout would cost an event, a place in the heap and a process
resumption per visit, for a list that is already sorted.  :class:`VisitCalendar`
is SimPy's environment with that list beside its heap: each step takes whichever
comes first, the next visit or the next scheduled event, so visits and events
interleave in time order exactly as if every visit were a timeout of its own.  A
visit at the very instant of a scheduled event comes after it.

Only time moves differently: a visit sets the clock to its own time and starts (a
plain call), then the environment goes on.  The clock, ``now``, is a plain attribute
here, kept equal to SimPy's own at every step, because the chain reads it several
times per encounter and SimPy's ``now`` is a property.

The end of a visit's service is the other event every visit has.  It goes into SimPy's
heap like any event (:meth:`VisitCalendar.end_after`: same time, priority and event
number as a timeout scheduled at that moment would get, so ties are broken as SimPy breaks
them), but its entry is the visit itself, not a SimPy event: when it comes to the top,
the calendar calls the one handler of visit ends (:meth:`VisitCalendar.on_end`) with the
visit, instead of running an event's list of callbacks.  Everything else a visit does
(seizing a provider, queueing, its timers) is ordinary SimPy.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL

Starter = Callable[[int, list[float]], None]
# what the calendar keeps of a started visit's random numbers: the visit holds them, so
# they are freed when its encounter ends, while still in the cache, not with the whole
# day's calendar a simulated day later
_STARTED: list[float] = []
Finisher = Callable[[Any], None]


def _no_visit(customer: int, draws: list[float]) -> None:
    """The starter of an empty calendar (never called)."""
    raise RuntimeError(f"no starter for customer {customer}'s visit")


class _NoEnd:
    """The kind of visit end of a calendar that has no handler yet (none is scheduled)."""


def _no_end(visit: Any) -> None:
    """The handler of visit ends before :meth:`VisitCalendar.on_end` (never called)."""
    raise RuntimeError(f"no handler for the end of {visit!r}")


class VisitCalendar(simpy.Environment):
    """A SimPy environment that also starts the visits of a calendar, in time order."""

    # the current time as a plain attribute, kept equal to SimPy's ``_now`` by :meth:`step`:
    # the chain reads the clock several times per encounter, and SimPy's ``now`` is a
    # property (a function call per read)
    now: float = 0.0

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        self.now = self._now
        # SimPy binds ``timeout``, ``process``, ... to the instance for speed, but only those
        # defined on the instance's own class, not on a base class: bind them here too
        for name, attribute in vars(simpy.Environment).items():
            if isinstance(attribute, simpy.core.BoundClass):
                setattr(self, name, getattr(self, name))
        self._times: list[float] = []  # visit times, ascending
        self._who: list[int] = []  # the visiting customers
        self._draws: list[list[float]] = []  # each visit's random numbers
        self._next = 0  # index of the next visit to start
        self._count = 0  # visits in the calendar
        self._start: Starter = _no_visit
        self._end_kind: type = _NoEnd  # the class of the visits whose ends are scheduled
        self._end: Finisher = _no_end
        self._stepping = False  # starting or ending visits (the calendar's lists are in use)

    def on_end(self, kind: type, end: Finisher) -> None:
        """Visits of class ``kind`` scheduled with :meth:`end_after` end with ``end(visit)``."""
        self._end_kind, self._end = kind, end

    def end_after(self, visit: Any, delay: float) -> None:
        """Schedule the end of ``visit`` (of the class given to :meth:`on_end`) ``delay``
        hours from now, in SimPy's heap, as a timeout of that delay would be."""
        if visit.__class__ is not self._end_kind:
            raise TypeError(f"{visit!r} is not a {self._end_kind.__name__}: see on_end")
        heap: list[Any] = self._queue  # SimPy's heap, which holds visit ends here too
        heappush(heap, (self._now + delay, NORMAL, next(self._eid), visit))

    def plan(self, times: list[float], who: list[int], draws: list[list[float]],
             start: Starter) -> None:
        """The calendar from now on: customer ``who[i]`` visits at ``times[i]`` (ascending)
        with random numbers ``draws[i]``; ``start(customer, draws)`` starts a visit.  The
        visits already due start at once, in order; the earlier calendar must be done.
        The calendar owns ``draws`` from now on: as each visit starts, its entry is handed
        to the visit and replaced by an empty list."""
        if self._next < self._count:
            raise RuntimeError("the previous calendar still has visits to start")
        if self._stepping:
            raise RuntimeError("a visit's start or end cannot plan the calendar")
        self._times, self._who, self._draws = times, who, draws
        self._start = start
        now = self._now
        i = 0
        self._count = n = len(times)
        while i < n and times[i] <= now:
            self._next = i + 1
            u = draws[i]
            draws[i] = _STARTED
            start(who[i], u)
            i += 1
        self._next = i

    def peek(self) -> float:
        """The time of the next visit or scheduled event, whichever is first."""
        later = super().peek()
        i = self._next
        return self._times[i] if i < self._count and self._times[i] < later else later

    def step(self) -> None:
        """Start the visits and end the visits that come next, in time order, until the next
        thing to happen is a scheduled SimPy event; then process that event
        (:meth:`simpy.Environment.step`).  A visit at the very instant of a scheduled event
        or of a visit's end comes after it."""
        queue = self._queue
        times, who, draws, start = self._times, self._who, self._draws, self._start
        count, end_kind, end = self._count, self._end_kind, self._end
        self._stepping = True
        try:
            while True:
                i = self._next
                if i < count:
                    at = times[i]
                    if not queue or at < queue[0][0]:
                        self._next = i + 1
                        self.now = self._now = at
                        u = draws[i]
                        draws[i] = _STARTED  # the visit holds its numbers from here on
                        start(who[i], u)
                        continue
                if not queue:
                    break
                at, _, _, entry = queue[0]
                self.now = at  # SimPy's step moves the clock to the top of the heap: so does now
                if entry.__class__ is not end_kind:
                    break
                heappop(queue)  # a visit's end of service
                self._now = at
                end(entry)
        finally:
            self._stepping = False
        simpy.Environment.step(self)
