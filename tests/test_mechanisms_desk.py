"""Unit tests of the service desk (sim.model.service): FIFO queue, longest-idle providers,
abandonment, own-provider queues of relationship service, dismissals and time-weighted
levels.  MODEL.md sections 2 and 3 (service model)."""

import pytest
import simpy
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from sim.model.providers import Provider
from sim.model.service import ServiceDesk, Ticket


def _desk(n: int) -> tuple[simpy.Environment, ServiceDesk, list[Provider]]:
    env = simpy.Environment()
    desk = ServiceDesk(env)
    providers = [Provider(i, 0, 0.0) for i in range(n)]
    for p in providers:
        desk.hire(p)
    return env, desk, providers


def _served_by(ticket: Ticket) -> Provider | str | None:
    return ticket.event.value if ticket.event.triggered else "waiting"


# ------------------------------------------------------------------------- the basics


def test_hired_providers_are_idle_and_counted() -> None:
    _, desk, ps = _desk(3)
    assert desk.state() == {"waiting": 0, "busy": 0, "staff": 3}
    assert list(desk.idle) == ps
    assert not any(p.busy for p in ps)


def test_queue_is_first_come_first_served() -> None:
    env, desk, (p,) = _desk(1)
    assert desk.seize() is p and p.busy
    assert desk.seize() is None  # nobody idle
    tickets = [desk.join(c, env.now) for c in range(4)]
    assert desk.state() == {"waiting": 4, "busy": 1, "staff": 1}
    for i, t in enumerate(tickets):
        desk.release(p)
        assert _served_by(t) is p
        assert all(_served_by(u) == "waiting" for u in tickets[i + 1:])
    desk.release(p)
    assert desk.state() == {"waiting": 0, "busy": 0, "staff": 1}
    assert list(desk.idle) == [p] and not p.busy


def test_longest_idle_provider_is_taken_first() -> None:
    _, desk, (a, b, c) = _desk(3)
    assert desk.seize() is a
    assert desk.seize() is b
    desk.release(a)  # idle order now c, a
    desk.release(b)  # c, a, b
    assert [desk.seize() for _ in range(3)] == [c, a, b]
    assert desk.seize() is None


def test_newcomers_do_not_overtake_the_queue() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize()
    desk.seize()
    first = desk.join(1, env.now)
    desk.release(a)  # a goes straight to the waiting customer, never idle
    assert _served_by(first) is a and not desk.idle
    desk.release(b)
    assert list(desk.idle) == [b]


def test_give_up_removes_the_ticket_and_release_skips_it() -> None:
    env, desk, (p,) = _desk(1)
    desk.seize()
    t1, t2, t3 = (desk.join(c, env.now) for c in range(3))
    desk.give_up(t1)
    assert t1.event.triggered and t1.event.value is None and not t1.waiting
    assert desk.waiting == 2 and desk.shared_waiting == 2
    desk.give_up(t1)  # twice: no effect (and no second trigger)
    assert desk.waiting == 2
    desk.release(p)
    assert _served_by(t2) is p and _served_by(t3) == "waiting"
    desk.give_up(t2)  # already served: no effect
    assert _served_by(t2) is p and desk.waiting == 1
    desk.give_up(t3)
    desk.release(p)
    assert desk.state() == {"waiting": 0, "busy": 0, "staff": 1}
    assert list(desk.idle) == [p]


def test_abandonment_timer_gives_up_after_the_patience() -> None:
    env, desk, (p,) = _desk(1)
    desk.seize()
    impatient = desk.join(1, 0.0)
    patient = desk.join(2, 0.0)
    desk.abandonment_timer(impatient, 2.0)
    desk.abandonment_timer(patient, 5.0)
    env.run(until=1.9)
    assert impatient.waiting and desk.waiting == 2
    env.run(until=2.1)
    assert not impatient.waiting and impatient.event.value is None and desk.waiting == 1
    desk.release(p)  # served at 2.1, before the patience of 5 runs out
    env.run(until=10.0)
    assert patient.event.value is p and desk.waiting == 0 and desk.busy == 1


# ---------------------------------------------------------------- relationship service


def test_seize_own_provider_only() -> None:
    _, desk, (a, b) = _desk(2)
    assert desk.seize(own=b) is b  # a was idle longer, but the customer wants b
    assert list(desk.idle) == [a]
    assert desk.seize(own=b) is None  # busy: wait for them, do not take a
    b.leaving = True
    desk.release(b)
    assert desk.seize(own=b) is a  # b is gone: the customer takes whoever is idle


def test_own_queue_is_served_before_the_shared_queue() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    desk.seize(own=b)
    shared = desk.join(1, env.now)  # anyone will do; came first
    mine = desk.join(2, env.now, own=a)  # waits for a
    assert desk.waiting == 2 and desk.shared_waiting == 1
    desk.release(b)  # b never serves a's own customer
    assert _served_by(shared) is b and _served_by(mine) == "waiting"
    desk.seize()  # nobody left in the shared queue: a newcomer takes no one's place
    desk.release(b)
    assert list(desk.idle) == [b]
    shared2 = desk.join(3, env.now)
    assert shared2.shared and not mine.shared
    desk.release(a)  # own line first, though shared2 waits too
    assert _served_by(mine) is a and _served_by(shared2) == "waiting"


def test_join_own_provider_who_is_leaving_goes_to_the_shared_queue() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    desk.seize(own=b)
    desk.dismiss(a)
    t = desk.join(1, env.now, own=a)
    assert t.shared and desk.shared_waiting == 1
    desk.release(b)
    assert _served_by(t) is b


def test_dismiss_idle_provider_leaves_at_once() -> None:
    _, desk, (a, b) = _desk(2)
    desk.dismiss(a)
    assert a.leaving and a not in desk.providers and list(desk.idle) == [b]
    assert desk.state()["staff"] == 1
    assert desk.seize() is b


def test_dismiss_busy_provider_takes_effect_at_release() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize()
    desk.seize()
    waiting = desk.join(1, env.now)
    desk.dismiss(a)
    assert a in desk.providers and a.busy and desk.busy == 2  # finishes the encounter
    desk.release(a)  # leaves instead of taking the next customer
    assert a not in desk.providers and not a.busy and a not in desk.idle
    assert _served_by(waiting) == "waiting" and desk.busy == 1
    desk.release(b)
    assert _served_by(waiting) is b


def test_dismiss_moves_own_customers_to_the_shared_queue() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    desk.seize(own=b)
    gone = desk.join(1, env.now, own=a)
    mine = desk.join(2, env.now, own=a)
    desk.give_up(gone)
    desk.dismiss(a)
    assert mine.shared and desk.shared_waiting == 1 and desk.waiting == 1
    desk.release(b)  # any provider now serves a's former customer
    assert _served_by(mine) is b
    desk.release(a)
    assert desk.state() == {"waiting": 0, "busy": 1, "staff": 1}


def test_dismissed_providers_customers_are_served_by_an_idle_provider() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)  # a busy; b idle
    mine = desk.join(1, env.now, own=a)  # waits for a
    desk.dismiss(a)  # a quits mid-encounter; mine joins the shared queue
    desk.release(a)
    assert _served_by(mine) is b or not (desk.idle and desk.shared_waiting)


def test_customer_of_a_departed_provider_takes_an_idle_colleague() -> None:
    env, desk, (a, b) = _desk(2)
    desk.dismiss(a)
    got = desk.seize(own=a)
    if got is None:
        desk.join(1, env.now, own=a)
    assert got is b or not (desk.idle and desk.shared_waiting)


def test_levels_before_a_dismissal_are_booked_at_the_old_levels() -> None:
    """A busy provider quits; a colleague at once takes the customer who waited for them.

    The busy level rises from 1 to 2 at that instant, so the area before it counts 1
    (found by the randomised machine below: the level was raised before being booked).
    """
    env, desk, (a, _b) = _desk(2)
    desk.flush()
    desk.seize(own=a)  # t=0: a busy, b idle
    desk.join(1, env.now, own=a)  # waits for a
    env.run(until=0.25)
    desk.dismiss(a)  # b takes the customer: busy 2 from t=0.25
    env.run(until=1.0)
    # waiting 1 on [0, 0.25); busy 1 then 2; staff 2 throughout (a leaves at release)
    assert desk.flush() == pytest.approx((0.25, 0.25 + 2 * 0.75, 2.0))


def test_cover_hands_a_waiting_customer_to_an_idle_colleague() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)  # a busy, b idle
    mine = desk.join(1, env.now, own=a)  # waits for a although b is free
    assert desk.waiting == 1 and desk.shared_waiting == 0 and not mine.event.triggered
    desk.cover(mine)  # b covers
    assert _served_by(mine) is b and mine.covered and desk.waiting == 0 == desk.shared_waiting
    desk.cover(mine)  # no second effect
    desk.release(a)  # a finds the stale entry in their queue and skips it
    assert not a.busy and list(desk.idle) == [a] and desk.busy == 1


def test_own_provider_free_first_takes_a_covered_customer() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    desk.seize(own=b)  # both busy
    mine = desk.join(1, env.now, own=a)
    desk.cover(mine)  # into the shared queue too: whoever is free first
    assert desk.shared_waiting == 1
    desk.release(a)
    assert _served_by(mine) is a and desk.shared_waiting == 0 and desk.waiting == 0
    desk.release(b)  # the stale shared entry is skipped: b goes idle
    assert list(desk.idle) == [b]


def test_dismissing_the_own_provider_does_not_count_a_covered_customer_twice() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    desk.seize(own=b)
    mine = desk.join(1, env.now, own=a)
    desk.cover(mine)
    desk.dismiss(a)
    assert desk.shared_waiting == 1 and desk.waiting == 1
    desk.release(b)
    assert _served_by(mine) is b and desk.shared_waiting == 0 == desk.waiting


def test_cover_timer_covers_after_the_delay_only_if_still_waiting() -> None:
    env, desk, (a, b) = _desk(2)
    desk.seize(own=a)
    mine = desk.join(1, env.now, own=a)
    desk.cover_timer(mine, 0.5)
    env.run(until=0.49)
    assert not mine.event.triggered
    env.run(until=0.51)
    assert _served_by(mine) is b
    # queued after a, given up before the timer: nothing happens when it fires
    desk.release(b)
    gone = desk.join(2, env.now, own=a)
    desk.cover_timer(gone, 0.5)
    desk.give_up(gone)
    env.run(until=2.0)
    assert desk.waiting == 0 and list(desk.idle) == [b]


def test_hire_serves_the_head_of_the_queue() -> None:
    env, desk, _ = _desk(1)
    desk.seize()
    t = desk.join(1, env.now)
    b = Provider(9, 0, 5.0)
    desk.hire(b)
    assert _served_by(t) is b and b.busy and desk.busy == 2 and not desk.idle


# ------------------------------------------------------------------ time-weighted areas


def test_flush_areas_against_a_hand_computed_example() -> None:
    env = simpy.Environment()
    desk = ServiceDesk(env)
    a = Provider(1, 0, 0.0)
    desk.hire(a)  # t=0: 1 provider
    log: list[tuple[float, float, float]] = []

    def script(env: simpy.Environment):  # type: ignore[no-untyped-def]
        desk.seize()  # t=0: busy 1
        yield env.timeout(1.0)
        t = desk.join(1, env.now)  # t=1: waiting 1
        yield env.timeout(1.0)
        desk.join(2, env.now)  # t=2: waiting 2
        yield env.timeout(1.0)
        desk.release(a)  # t=3: serves ticket 1, waiting 1
        assert t.event.value is a
        yield env.timeout(1.0)
        desk.hire(Provider(2, 0, env.now))  # t=4: staff 2, serves ticket 2: busy 2
        yield env.timeout(2.0)
        log.append(desk.flush())  # t=6
        desk.release(a)  # t=6: busy 1
        desk.dismiss(a)  # idle a leaves: staff 1
        yield env.timeout(4.0)
        log.append(desk.flush())  # t=10

    env.process(script(env))
    env.run()
    # waiting: 0 on [0,1), 1 on [1,2), 2 on [2,3), 1 on [3,4), 0 after -> 1 + 2 + 1 = 4
    # busy: 1 on [0,4), 2 on [4,6) -> 8; staff: 1 on [0,4), 2 on [4,6) -> 8
    assert log[0] == pytest.approx((4.0, 8.0, 8.0))
    # since the flush: busy 1 and staff 1 on [6,10)
    assert log[1] == pytest.approx((0.0, 4.0, 4.0))
    assert desk.flush() == (0.0, 0.0, 0.0)


# -------------------------------------------- randomised sequences against a reference


class DeskMachine(RuleBasedStateMachine):
    """Random seize/join/release/give_up/hire/dismiss against a plain-list reference."""

    @initialize(n=st.integers(1, 3))
    def start(self, n: int) -> None:
        self.env = simpy.Environment()
        self.desk = ServiceDesk(self.env)
        self.providers: dict[int, Provider] = {}
        self.tickets: dict[int, Ticket] = {}
        self.outcome: dict[int, int | None] = {}  # ticket -> provider id, None = gave up
        self.staff: list[int] = []
        self.idle: list[int] = []
        self.busy: set[int] = set()
        self.leaving: set[int] = set()
        self.shared: list[int] = []
        self.own: dict[int, list[int]] = {}
        self.areas = [0.0, 0.0, 0.0]
        for _ in range(n):
            self.hire()

    # reference helpers
    def _serve(self, pid: int, tid: int) -> None:
        self.outcome[tid] = pid
        for queue in (self.shared, *self.own.values()):  # a covered ticket is in two queues
            if tid in queue:
                queue.remove(tid)

    def _waiting(self) -> list[int]:
        return list(dict.fromkeys(self.shared + [t for q in self.own.values() for t in q]))

    @rule()
    def hire(self) -> None:
        pid = len(self.providers)
        p = Provider(pid, 0, self.env.now)
        self.providers[pid] = p
        self.desk.hire(p)
        self.staff.append(pid)
        if self.shared:
            self.busy.add(pid)
            self._serve(pid, self.shared.pop(0))
        else:
            self.idle.append(pid)

    @rule(data=st.data(), relationship=st.booleans())
    def arrive(self, data: st.DataObject, relationship: bool) -> None:
        tid = len(self.tickets) + len(self.outcome) + 1000
        own = None
        if relationship:
            own = self.providers[data.draw(st.sampled_from(sorted(self.providers)))]
            if own.id in self.leaving:
                own = None  # their provider is going: the desk treats them as anyone's
        got = self.desk.seize(own)
        if own is None:
            expected = self.idle.pop(0) if self.idle and not self.shared else None
        elif own.id not in self.busy and own.id not in self.leaving:
            expected = own.id
            self.idle.remove(own.id)
        else:
            expected = None
        assert (got.id if got else None) == expected
        if expected is not None:
            self.busy.add(expected)
            self.outcome[tid] = expected
            return
        ticket = self.desk.join(tid, self.env.now, own)
        self.tickets[tid] = ticket
        if own is None or own.id in self.leaving:
            self.shared.append(tid)
        else:
            self.own.setdefault(own.id, []).append(tid)

    @precondition(lambda self: self.busy)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from(sorted(self.busy)))
        self.desk.release(self.providers[pid])
        if pid in self.leaving:
            self.busy.discard(pid)
            self.staff.remove(pid)
            return
        for queue in (self.own.get(pid, []), self.shared):
            if queue:
                self._serve(pid, queue[0])
                return
        self.busy.discard(pid)
        self.idle.append(pid)

    @precondition(lambda self: self._waiting())
    @rule(data=st.data())
    def give_up(self, data: st.DataObject) -> None:
        tid = data.draw(st.sampled_from(sorted(self._waiting())))
        self.desk.give_up(self.tickets[tid])
        for queue in (self.shared, *self.own.values()):
            if tid in queue:
                queue.remove(tid)
        self.outcome[tid] = None

    @precondition(lambda self: any(p not in self.leaving for p in self.staff))
    @rule(data=st.data())
    def dismiss(self, data: st.DataObject) -> None:
        pid = data.draw(st.sampled_from([p for p in self.staff if p not in self.leaving]))
        self.desk.dismiss(self.providers[pid])
        self.leaving.add(pid)
        self.shared.extend(t for t in self.own.pop(pid, []) if t not in self.shared)
        if pid not in self.busy:
            self.idle.remove(pid)
            self.staff.remove(pid)
        self._idle_take_shared()

    def _idle_take_shared(self) -> None:
        while self.idle and self.shared:  # idle colleagues take the moved customers
            q = self.idle.pop(0)
            self.busy.add(q)
            self._serve(q, self.shared[0])

    @precondition(lambda self: any(self.own.values()))
    @rule(data=st.data())
    def cover(self, data: st.DataObject) -> None:
        """A colleague may cover for a customer's own provider (the ticket also stays in the
        own queue, for whoever is free first)."""
        tid = data.draw(st.sampled_from(sorted(t for q in self.own.values() for t in q)))
        self.desk.cover(self.tickets[tid])
        if tid not in self.shared:
            self.shared.append(tid)
        self._idle_take_shared()

    @rule(dt=st.sampled_from([0.25, 0.5, 1.0, 3.0]))
    def advance(self, dt: float) -> None:
        self.areas[0] += len(self._waiting()) * dt
        self.areas[1] += len(self.busy) * dt
        self.areas[2] += len(self.staff) * dt
        self.env.run(until=self.env.now + dt)

    @rule()
    def flush(self) -> None:
        assert self.desk.flush() == pytest.approx(tuple(self.areas))
        self.areas = [0.0, 0.0, 0.0]

    @invariant()
    def consistent(self) -> None:
        desk = self.desk
        waiting = self._waiting()
        assert desk.waiting == len(waiting)
        assert desk.shared_waiting == len(self.shared)
        assert desk.busy == len(self.busy)
        assert [p.id for p in desk.idle] == self.idle
        assert [p.id for p in desk.providers] == self.staff
        assert len(self.busy) + len(self.idle) == len(self.staff)
        assert not (self.idle and self.shared)  # nobody waits while a provider is free
        for pid, p in self.providers.items():
            assert p.busy == (pid in self.busy)
        for tid, ticket in self.tickets.items():
            if tid in waiting:
                assert ticket.waiting and not ticket.event.triggered
            else:
                assert not ticket.waiting and ticket.event.triggered
                got = ticket.event.value
                assert (got.id if got is not None else None) == self.outcome[tid]


DeskMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=40, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_desk_against_reference = DeskMachine.TestCase
