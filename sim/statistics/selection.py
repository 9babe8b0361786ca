"""Ranking and selection: the KN procedure of Kim & Nelson (2001).

KN chooses, among ``k`` simulated alternatives, one whose mean is within ``delta`` (the
*indifference zone*) of the best mean with probability at least ``1 - alpha``.  It is
fully sequential: every surviving alternative gets one more replication per stage, and an
alternative is eliminated as soon as its running mean falls far enough below another's.
The test uses the sample variance of the *differences* between alternatives, so it is
valid with common random numbers (replication ``r`` of every alternative on the same
random numbers), which make those variances small and the procedure short.

Procedure (Kim, S.-H. & Nelson, B. L. 2001, "A fully sequential procedure for
indifference-zone selection in simulation", ACM TOMACS 11(3), 251-273), for a larger-is-
better mean and ``c = 1``:

1. Take ``n0 >= 2`` first-stage observations ``X_ij`` of every alternative ``i``.
2. ``eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2`` and ``h2 = 2 eta (n0 - 1)``.
3. ``S2_il = sum_j (X_ij - X_lj - (mean_i - mean_l)) ** 2 / (n0 - 1)``, the first-stage
   variance of the difference between ``i`` and ``l``.
4. With ``r`` observations of every survivor, eliminate ``i`` if for some survivor ``l``
   ``mean_i(r) < mean_l(r) - W_il(r)``, where
   ``W_il(r) = max(0, delta / (2 r) * (h2 S2_il / delta ** 2 - r))``.
5. Stop when one alternative is left; otherwise take one more observation of each
   survivor and go back to 4.  ``W_il`` reaches 0 once ``r > h2 S2_il / delta ** 2``, so the
   procedure ends after at most ``max N_il + 1`` stages, ``N_il = floor(h2 S2_il / delta**2)``
   (then the survivor with the largest mean is chosen).

KN++ (Kim & Nelson 2006, "On the asymptotic validity of fully sequential selection
procedures for steady-state simulation", Operations Research 54(3)) updates ``S2_il`` as
observations accrue; this module implements KN with first-stage variances only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: How the chosen alternative is certified (recorded in the results' manifest).
METHOD = ("KN fully sequential indifference-zone selection (Kim & Nelson 2001, ACM TOMACS "
          "11(3)), c = 1, first-stage variances of the paired differences (valid with common "
          "random numbers)")


def kn_eta(alpha: float, k: int, n0: int) -> float:
    """KN's constant ``eta`` for ``k`` alternatives, ``n0`` first-stage observations."""
    if k < 2:
        return 0.0
    return 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)


@dataclass
class Selection:
    """What KN did: the chosen alternative, each one's observations and elimination."""

    chosen: int
    delta: float
    alpha: float
    n0: int
    eta: float
    #: observations of each alternative (an alternative eliminated early has fewer)
    observations: list[list[float]]
    #: the number of observations when each alternative was eliminated (None: chosen)
    eliminated_at: list[int | None] = field(default_factory=list)
    #: False if ``budget`` stopped KN with several survivors (the guarantee does not hold)
    complete: bool = True

    @property
    def means(self) -> list[float]:
        return [float(np.mean(x)) for x in self.observations]

    @property
    def counts(self) -> list[int]:
        return [len(x) for x in self.observations]

    @property
    def evaluations(self) -> int:
        return sum(self.counts)


def _check(alpha: float, delta: float, n0: int) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha {alpha}: must be in (0, 1)")
    if not (math.isfinite(delta) and delta > 0.0):
        raise ValueError(f"delta {delta}: must be a positive number")
    if n0 < 2:
        raise ValueError(f"n0 {n0}: KN needs at least 2 first-stage observations")


def kn_select(
    first_stage: np.ndarray | Sequence[Sequence[float]],
    more: Callable[[Sequence[int], int], Sequence[float]],
    delta: float,
    alpha: float = 0.05,
    maximize: bool = True,
    budget: int | None = None,
) -> Selection:
    """Run KN from a first stage (``k`` rows, ``n0`` columns: replication ``j`` of every
    alternative on the same random numbers).

    ``more(alternatives, r)`` returns observation ``r`` (0-based, so the ``r + 1``-th) of
    each listed alternative, in that order; it is called once per stage with every
    survivor, so the caller can run a stage's replications in parallel.  ``budget`` caps
    the observations taken after the first stage: if a stage would pass it, KN stops and
    the survivor with the largest mean is chosen, with ``complete`` False.
    """
    x = np.asarray(first_stage, dtype=float)
    k, n0 = x.shape
    _check(alpha, delta, n0)
    sign = 1.0 if maximize else -1.0
    obs = [list(row) for row in x]
    eta = kn_eta(alpha, k, n0)
    h2 = 2.0 * eta * (n0 - 1)
    diffs = x[:, None, :] - x[None, :, :]  # k x k x n0
    s2 = diffs.var(axis=2, ddof=1)
    eliminated: list[int | None] = [None] * k
    alive = list(range(k))
    r = n0
    spent = 0
    last_stage = int(np.floor(h2 * s2.max() / delta**2)) + 1 if k > 1 else n0
    while len(alive) > 1:
        means = {i: sign * float(np.mean(obs[i][:r])) for i in alive}
        survivors = []
        for i in alive:
            out = False
            for j in alive:
                if j == i:
                    continue
                w = max(0.0, delta / (2.0 * r) * (h2 * s2[i, j] / delta**2 - r))
                if means[i] < means[j] - w:
                    out = True
                    break
            if out:
                eliminated[i] = r
            else:
                survivors.append(i)
        alive = survivors
        if len(alive) <= 1:
            break
        if r > last_stage:  # every W is 0: the largest mean wins (ties: the first listed)
            best = max(alive, key=lambda i: (means[i], -i))
            for i in alive:
                if i != best:
                    eliminated[i] = r
            alive = [best]
            break
        if budget is not None and spent + len(alive) > budget:
            best = max(alive, key=lambda i: (means[i], -i))
            return Selection(best, delta, alpha, n0, eta, obs, eliminated, complete=False)
        values = list(more(alive, r))
        spent += len(alive)
        for i, v in zip(alive, values, strict=True):
            obs[i].append(float(v))
        r += 1
    chosen = alive[0]
    return Selection(chosen, delta, alpha, n0, eta, obs, eliminated)


__all__ = ["METHOD", "Selection", "kn_eta", "kn_select"]
