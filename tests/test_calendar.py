"""The visit calendar: SimPy's environment with the day's sorted visits beside its schedule.

A calendar must start every visit at its own time, interleaved with the scheduled events
exactly as if each visit were a timeout of its own.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import pytest
import simpy

from sim.model.calendar import VisitCalendar


def _ticker(env: simpy.Environment, log: list[tuple[float, str]], gaps: list[float],
            name: str) -> Generator[simpy.Event, Any, None]:
    for gap in gaps:
        yield env.timeout(gap)
        log.append((env.now, name))


def _visits_as_timeouts(times: list[float], who: list[int], ticks: list[list[float]]
                        ) -> list[tuple[float, str]]:
    """The reference: a plain SimPy environment with a timeout per visit."""
    env = simpy.Environment()
    log: list[tuple[float, str]] = []
    for k, gaps in enumerate(ticks):
        env.process(_ticker(env, log, gaps, f"tick{k}"))

    def visits() -> Generator[simpy.Event, Any, None]:
        for at, c in zip(times, who, strict=True):
            yield env.timeout(at - env.now)
            log.append((env.now, f"visit{c}"))

    env.process(visits())
    env.run()
    return log


def _visits_on_calendar(times: list[float], who: list[int], ticks: list[list[float]]
                        ) -> list[tuple[float, str]]:
    env = VisitCalendar()
    log: list[tuple[float, str]] = []
    for k, gaps in enumerate(ticks):
        env.process(_ticker(env, log, gaps, f"tick{k}"))
    env.plan(times, who, [[] for _ in who],
             lambda c, _u: log.append((env.now, f"visit{c}")))
    env.run()
    return log


@pytest.mark.parametrize("seed", range(20))
def test_visits_interleave_with_events_as_timeouts_would(seed: int) -> None:
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0.0, 24.0, size=int(rng.integers(0, 60)))).tolist()
    who = list(range(len(times)))
    ticks = [rng.exponential(2.0, size=int(rng.integers(1, 15))).tolist() for _ in range(3)]
    assert _visits_on_calendar(times, who, ticks) == _visits_as_timeouts(times, who, ticks)


def test_a_visit_starts_at_its_time_and_the_clock_moves_to_it() -> None:
    env = VisitCalendar()
    seen: list[tuple[int, float, list[float]]] = []
    env.plan([0.5, 2.25], [7, 3], [[0.1], [0.2]],
             lambda c, u: seen.append((c, env.now, u)))
    assert env.peek() == 0.5
    env.run(until=3.0)
    assert seen == [(7, 0.5, [0.1]), (3, 2.25, [0.2])]
    assert env.now == 3.0


def test_visits_already_due_start_at_once_in_order() -> None:
    env = VisitCalendar()
    env.run(until=5.0)
    seen: list[int] = []
    env.plan([4.0, 5.0, 6.0], [1, 2, 3], [[], [], []], lambda c, _u: seen.append(c))
    assert seen == [1, 2]  # due at or before now
    env.run(until=7.0)
    assert seen == [1, 2, 3]


def test_a_visit_at_the_instant_of_an_event_comes_after_it() -> None:
    env = VisitCalendar()
    log: list[str] = []
    env.timeout(1.0).callbacks.append(lambda _e: log.append("event"))
    env.plan([1.0], [0], [[]], lambda _c, _u: log.append("visit"))
    env.run()
    assert log == ["event", "visit"]


def test_a_new_calendar_needs_the_old_one_done() -> None:
    env = VisitCalendar()
    env.plan([1.0, 2.0], [0, 1], [[], []], lambda _c, _u: None)
    with pytest.raises(RuntimeError, match="previous calendar"):
        env.plan([3.0], [2], [[]], lambda _c, _u: None)
    env.run(until=2.5)
    env.plan([3.0], [2], [[]], lambda _c, _u: None)  # done now: accepted


def test_timeout_and_process_are_bound_to_the_calendar() -> None:
    """SimPy binds its event classes only on its own class; the calendar binds them too
    (an unbound ``env.timeout`` would cost a method object per call)."""
    env = VisitCalendar()
    assert "timeout" in vars(env) and "process" in vars(env) and "event" in vars(env)
    assert env.timeout(1.0).env is env


def test_the_clock_attribute_is_current_inside_every_callback_and_visit() -> None:
    """``now`` is a plain attribute on the calendar (not SimPy's property): inside an event's
    callbacks and a visit's start it must already be the time being processed."""
    env = VisitCalendar()
    seen: list[tuple[float, float]] = []
    for at in (0.75, 1.0, 3.5, 3.5):
        env.timeout(at).callbacks.append(lambda _e, at=at: seen.append((at, env.now)))
    times = [0.5, 1.0, 2.0, 3.5]
    env.plan(times, [0, 1, 2, 3], [[], [], [], []],
             lambda c, _u: seen.append((times[c], env.now)))
    env.run()
    assert len(seen) == 8
    assert all(expected == now for expected, now in seen)
    assert env.now == env._now == 3.5


class _Job:
    """A stand-in for a visit whose end the calendar schedules."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


@pytest.mark.parametrize("seed", range(10))
def test_visit_ends_come_in_the_order_timeouts_would(seed: int) -> None:
    """Ends scheduled with ``end_after`` take their place in SimPy's heap exactly as timeouts
    of the same delays would, ties included (the delays are drawn on a coarse grid)."""
    rng = np.random.default_rng(seed)
    delays = (rng.integers(0, 8, size=40) * 0.5).tolist()
    ticks = (rng.integers(1, 8, size=20) * 0.5).tolist()

    reference = simpy.Environment()
    expected: list[tuple[float, str]] = []
    reference.process(_ticker(reference, expected, ticks, "tick"))
    for k, delay in enumerate(delays):
        reference.timeout(delay).callbacks.append(
            lambda _e, k=k: expected.append((reference.now, f"end{k}")))
    reference.run()

    env = VisitCalendar()
    seen: list[tuple[float, str]] = []
    env.on_end(_Job, lambda job: seen.append((env.now, job.name)))
    env.process(_ticker(env, seen, ticks, "tick"))
    for k, delay in enumerate(delays):
        env.end_after(_Job(f"end{k}"), delay)
    env.run()
    assert seen == expected


def test_an_end_of_another_kind_is_refused() -> None:
    env = VisitCalendar()
    env.on_end(_Job, lambda _job: None)
    with pytest.raises(TypeError, match="not a _Job"):
        env.end_after("a string", 1.0)
    with pytest.raises(TypeError, match="not a _NoEnd"):
        VisitCalendar().end_after(_Job("x"), 1.0)


def test_a_visit_cannot_replan_the_calendar_it_is_started_from() -> None:
    env = VisitCalendar()

    def start(_c: int, _u: list[float]) -> None:
        env.plan([5.0], [9], [[]], start)

    env.plan([1.0], [1], [[]], start)
    with pytest.raises(RuntimeError, match="cannot plan the calendar"):
        env.run()


def test_a_started_visit_holds_its_numbers_and_the_calendar_lets_them_go() -> None:
    """The calendar hands each visit its random numbers and keeps none of them, so they are
    freed with the visit, not with the whole day's calendar."""
    env = VisitCalendar()
    draws = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    originals = list(draws)
    handed: list[list[float]] = []
    env.plan([0.0, 1.0, 2.0], [0, 1, 2], draws, lambda _c, u: handed.append(u))
    assert handed == [[0.1, 0.2]] and handed[0] is originals[0] and draws[0] == []
    env.run(until=1.5)
    assert handed[1] is originals[1] and draws == [[], [], [0.5, 0.6]]
    env.run()
    assert handed == originals and all(entry == [] for entry in draws)
