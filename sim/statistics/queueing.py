"""Exact results of queueing theory that the simulated queue is checked against."""

from __future__ import annotations

import math


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability of an M/M/c/c system with offered load ``a = lambda/mu``.

    Computed by the stable recursion ``B(k) = a B(k-1) / (k + a B(k-1))``.
    """
    if servers < 1:
        raise ValueError("servers must be at least 1")
    if offered_load < 0:
        raise ValueError("offered load must be non-negative")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: probability that an arrival to an M/M/c queue has to wait.

    ``C = B / (1 - rho (1 - B))`` with ``B`` the Erlang B value and ``rho = a / c < 1``.
    """
    rho = offered_load / servers
    if rho >= 1.0:
        raise ValueError(f"unstable queue: utilisation {rho:.3f} >= 1")
    b = erlang_b(servers, offered_load)
    return b / (1.0 - rho * (1.0 - b))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of an M/M/c queue: ``C / (c mu - lambda)``."""
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def mmc_wait_probability(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Probability of waiting in an M/M/c queue (Erlang C)."""
    return erlang_c(servers, arrival_rate / service_rate)


def mmc_mean_in_system(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean number in an M/M/c system, by Little's law: ``lambda (Wq + 1/mu)``."""
    return arrival_rate * (mmc_mean_wait(servers, arrival_rate, service_rate) + 1.0 / service_rate)


def mmc_wait_within(servers: int, arrival_rate: float, service_rate: float, t: float) -> float:
    """P(wait <= t) in an M/M/c queue: ``1 - C exp(-(c mu - lambda) t)``."""
    c = erlang_c(servers, arrival_rate / service_rate)
    return 1.0 - c * math.exp(-(servers * service_rate - arrival_rate) * t)


def mg1_mean_wait(arrival_rate: float, service_mean: float, service_cv: float) -> float:
    """Mean wait in queue of an M/G/1 queue (Pollaczek-Khinchine), exact for any service
    distribution: ``Wq = lambda E[S^2] / (2 (1 - rho))`` with ``E[S^2] = E[S]^2 (1 + cv^2)``."""
    rho = arrival_rate * service_mean
    if rho >= 1.0:
        raise ValueError(f"unstable queue: utilisation {rho:.3f} >= 1")
    second_moment = service_mean**2 * (1.0 + service_cv**2)
    return arrival_rate * second_moment / (2.0 * (1.0 - rho))


def mgc_mean_wait_approx(servers: int, arrival_rate: float, service_mean: float,
                         service_cv: float) -> float:
    """Mean wait in queue of an M/G/c queue, approximately: the Erlang C wait scaled by
    ``(1 + cv^2) / 2`` (Lee & Longton 1959); exact for c = 1 and for exponential service."""
    return mmc_mean_wait(servers, arrival_rate, 1.0 / service_mean) * (1.0 + service_cv**2) / 2.0
