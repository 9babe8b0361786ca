"""The service desk: providers, the queue in front of them, and who serves whom.

A visit takes an idle provider at once if there is one; otherwise it joins a
first-come, first-served queue and waits for a provider to hand themselves
over, or gives up when its patience runs out.  Idle providers are taken in the
order they became idle (longest idle first), so the assignment is
deterministic.  The desk also keeps the time-weighted levels (customers
waiting, providers busy) that utilisation and Little's law need.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Any

import simpy

from sim.model.providers import Provider


class Ticket:
    """A place in the queue: who waits since when, and the event that ends the wait."""

    __slots__ = ("arrived", "covered", "customer", "event", "on_give_up", "shared", "waiting")

    def __init__(self, env: simpy.Environment, customer: int, arrived: float) -> None:
        self.customer = customer
        self.arrived = arrived
        self.event = env.event()
        self.waiting = True
        self.shared = True  # in the shared queue (not waiting for one provider)
        self.covered = False  # moved from an own provider's queue to the shared queue
        self.on_give_up: Callable[[], None] | None = None


class ServiceDesk:
    """Providers of one unit and the FIFO queue of customers waiting for them."""

    def __init__(self, env: simpy.Environment, unit: int = 0) -> None:
        self.env = env
        self.unit = unit
        self.providers: list[Provider] = []
        self.idle: deque[Provider] = deque()
        self.queue: deque[Ticket] = deque()
        self.own_queues: dict[int, deque[Ticket]] = {}  # relationship service: per provider
        self.waiting = 0  # live tickets in all queues
        self.shared_waiting = 0  # live tickets in the shared queue
        self.busy = 0  # providers serving
        self._last = 0.0
        self.queue_area = 0.0  # integral of waiting customers over time
        self.busy_area = 0.0  # integral of busy providers over time
        self.staff_area = 0.0  # integral of employed providers over time

    # -- levels --------------------------------------------------------------------------
    def _advance(self) -> None:
        now = self.env.now
        dt = now - self._last
        if dt:
            self.queue_area += self.waiting * dt
            self.busy_area += self.busy * dt
            self.staff_area += len(self.providers) * dt
            self._last = now

    def flush(self) -> tuple[float, float, float]:
        """Bring the areas up to now and return (queue, busy, staff) areas since the last flush."""
        self._advance()
        areas = (self.queue_area, self.busy_area, self.staff_area)
        self.queue_area = self.busy_area = self.staff_area = 0.0
        return areas

    # -- staffing ------------------------------------------------------------------------
    def hire(self, provider: Provider) -> None:
        """A provider joins the desk and becomes available (or takes the next in line)."""
        self._advance()
        self.providers.append(provider)
        provider.busy = True  # release() expects a busy provider
        self.busy += 1
        self.release(provider)

    def dismiss(self, provider: Provider) -> None:
        """A provider leaves: at once if idle, otherwise when the current encounter ends.

        Customers waiting for this provider in particular join the shared queue.
        """
        self._advance()  # the levels change below (a colleague may take a moved customer)
        provider.leaving = True
        own = self.own_queues.pop(provider.id, None)
        if own:
            for ticket in own:
                if ticket.waiting and not ticket.shared:  # (a covered one is there already)
                    ticket.shared = True
                    self.shared_waiting += 1
                    self.queue.append(ticket)
        if not provider.busy:
            self.idle.remove(provider)
            self.providers.remove(provider)
        self._serve_shared_queue()

    def _serve_shared_queue(self) -> None:
        """Idle providers take customers left in the shared queue (after a dismissal)."""
        while self.idle and self.shared_waiting:
            provider = self.idle.popleft()
            provider.busy = True
            self.busy += 1
            self.release(provider)

    # -- service -------------------------------------------------------------------------
    def seize(self, own: Provider | None = None) -> Provider | None:
        """An idle provider, taken at once, or None if the customer must queue.

        Without ``own``, any idle provider (longest idle first) if nobody waits; with
        ``own`` (relationship service), only that provider, if idle.
        """
        if own is not None and own.leaving:  # their provider is going: anyone will do
            own = None
        if own is None:
            if self.idle and not self.shared_waiting:
                provider = self.idle.popleft()
            else:
                return None
        elif not own.busy and not own.leaving:
            self.idle.remove(own)
            provider = own
        else:
            return None
        self._advance()
        provider.busy = True
        self.busy += 1
        return provider

    def join(self, customer: int, arrived: float, own: Provider | None = None) -> Ticket:
        """Join the queue (``own``'s queue in relationship service); the ticket's event
        yields the provider, or None when the customer gives up."""
        self._advance()
        ticket = Ticket(self.env, customer, arrived)
        if own is None or own.leaving:
            self.queue.append(ticket)
            self.shared_waiting += 1
        else:
            ticket.shared = False
            self.own_queues.setdefault(own.id, deque()).append(ticket)
        self.waiting += 1
        return ticket

    def cover(self, ticket: Ticket) -> None:
        """A customer waiting for their own provider accepts any colleague: the ticket joins
        the shared queue (an idle colleague takes it at once).  It stays in the own queue
        too, so the own provider takes it if they are free first."""
        if ticket.waiting and not ticket.shared:
            self._advance()
            ticket.shared = ticket.covered = True
            self.shared_waiting += 1
            self.queue.append(ticket)
            self._serve_shared_queue()

    def cover_timer(self, ticket: Ticket, after: float) -> None:
        """Schedule :meth:`cover` of an own-provider ticket ``after`` hours from now."""
        self.env.timeout(after).callbacks.append(partial(self._timer, self.cover, ticket))

    @staticmethod
    def _timer(action: Callable[[Ticket], None], ticket: Ticket, _event: simpy.Event) -> None:
        """A timer of ``ticket`` went off: ``action(ticket)`` (a timeout's callback, not a
        process)."""
        action(ticket)

    def give_up(self, ticket: Ticket) -> None:
        """The customer's patience ran out: leave the queue if still in it.

        The abandonment is booked (``ticket.on_give_up``) at this instant, so the counts
        add up even when a review falls between this and the visit's own resumption.
        """
        if ticket.waiting:
            self._advance()
            ticket.waiting = False
            self.waiting -= 1
            if ticket.shared:
                self.shared_waiting -= 1
            if ticket.on_give_up is not None:
                ticket.on_give_up()
            ticket.event.succeed(None)

    def abandonment_timer(
        self, ticket: Ticket, patience: float, on_give_up: Callable[[], None] | None = None
    ) -> None:
        """Schedule the end of ``ticket``'s patience; ``on_give_up`` books the abandonment."""
        ticket.on_give_up = on_give_up
        self.env.timeout(patience).callbacks.append(partial(self._timer, self.give_up, ticket))

    def release(self, provider: Provider) -> None:
        """The provider finished an encounter: hand them to the next in their own line,
        then the shared line, or make them idle."""
        self._advance()
        if provider.leaving:
            provider.busy = False
            self.busy -= 1
            self.providers.remove(provider)
            return
        for queue in (self.own_queues.get(provider.id), self.queue):
            while queue:
                ticket = queue.popleft()
                if ticket.waiting:
                    ticket.waiting = False
                    self.waiting -= 1
                    if ticket.shared:
                        self.shared_waiting -= 1
                    ticket.event.succeed(provider)
                    return
        provider.busy = False
        self.busy -= 1
        self.idle.append(provider)

    def state(self) -> dict[str, Any]:
        """Current levels."""
        return {"waiting": self.waiting, "busy": self.busy, "staff": len(self.providers)}
