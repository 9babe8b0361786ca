"""pyabc sampler that simulates a generation's candidates in parallel batches and still
gives exactly the particles of pyabc's one-at-a-time ``SingleCoreSampler``.

pyabc's ``simulate_one`` draws a candidate from numpy's global generator, simulates it and
accepts it when its distance is within the tolerance.  The draws never depend on what the
simulations return (the proposal, the prior check and the uniform acceptance use no
simulated value to decide how many numbers to draw), so a batch of candidates can be
found first and simulated afterwards:

1. **Propose.**  Save the generator's state and call ``simulate_one`` ``b`` times with the
   model only recording each candidate's parameters (it answers with placeholder
   statistics, whose particles are thrown away).
2. **Simulate.**  Run the ``b`` candidates through the executor at once: the ``k``-th of
   the generation is replication ``t * GENERATION_BLOCK + k``, as it would be one at a time.
3. **Replay.**  Restore the generator's state and call ``simulate_one`` again ``b`` times;
   the same candidates come out in the same order, now with their simulations, and the
   particles are appended as ``SingleCoreSampler`` appends them, stopping at the
   ``n``-th accepted.  Simulations beyond it are discarded (their cost is the price of
   the parallelism; the batch size follows the acceptance rate to keep it small).

The sample, the number of evaluations pyabc records and the generator's state at the end
are the ones the one-at-a-time sampler leaves, so a calibration gives the same posterior
on every executor and with any number of workers.  One worker simulates one candidate at a
time, as ``SingleCoreSampler``; nothing is wasted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from pyabc.sampler import Sampler

#: The acceptance rate assumed before any candidate of the calibration has been judged.
FIRST_ACCEPTANCE = 0.5
#: The lowest acceptance rate a batch is sized for (caps a batch at 50 per particle needed).
LOWEST_ACCEPTANCE = 0.02


class BatchModel(Protocol):
    """What the sampler needs from the model (``sim.experiment.calibrate.SimulationModel``)."""

    def propose(self) -> None: ...

    def simulate_proposed(self) -> None: ...

    def replay(self) -> None: ...

    def forget(self) -> None: ...


class ReplayingSampler(Sampler):
    """Propose, simulate in parallel, replay (module docstring); ``workers`` candidates at
    least per batch."""

    def __init__(self, model: BatchModel, workers: int) -> None:
        super().__init__()
        self.model = model
        self.workers = max(int(workers), 1)
        self.judged = 0  # candidates judged so far in this calibration
        self.accepted = 0

    def batch_size(self, needed: int) -> int:
        """Candidates to simulate for ``needed`` more acceptances: the expected number at the
        acceptance rate seen so far, at least one per worker; one at a time with one
        worker."""
        if self.workers == 1:
            return 1
        rate = self.accepted / self.judged if self.judged else FIRST_ACCEPTANCE
        expected = math.ceil(needed / max(rate, LOWEST_ACCEPTANCE))
        return max(self.workers, expected)

    def sample_until_n_accepted(
        self, n: int, simulate_one: Callable[[], Any], t: int, *, max_eval: float = np.inf,
        all_accepted: bool = False, ana_vars: Any = None,
    ) -> Any:
        sample = self._create_empty_sample()
        evaluations = 0
        while sample.n_accepted < n:
            batch = self.batch_size(n - sample.n_accepted)
            state = np.random.get_state()  # noqa: NPY002 (pyabc draws from it)
            self.model.propose()
            for _ in range(batch):
                simulate_one()
            self.model.simulate_proposed()
            np.random.set_state(state)  # noqa: NPY002
            self.model.replay()
            for _ in range(batch):
                particle = simulate_one()
                sample.append(particle)
                evaluations += 1
                if not all_accepted:  # the tolerance's calibration sample accepts all
                    self.judged += 1
                    self.accepted += bool(particle.accepted)
                if sample.n_accepted >= n:
                    break
        self.model.forget()
        self.nr_evaluations_ = evaluations
        return sample


__all__ = ["ReplayingSampler"]
