"""Calibrating a scenario to a firm's data: approximate Bayesian computation (ABC-SMC).

1. **Statistics.**  Every observed point (a KPI in a period, :mod:`sim.experiment.observed`)
   is one summary statistic, divided by its scale: the standard error given with it, else
   the KPI's documented default scale (:func:`sim.experiment.observed.default_scale`).  The
   distance between a simulation and the data is the Euclidean distance of the
   standardised statistics (pyabc's ``PNormDistance``, p = 2).
2. **Sampler.**  pyabc's ABC-SMC (Toni et al. 2009; Beaumont et al. 2009; Klinger,
   Rickert & Hasenauer 2018) draws parameter values from the priors
   (:mod:`sim.scenario.priors`), keeps those whose simulation lies within a tolerance of
   the data, and narrows the tolerance generation by generation (the median distance of
   the previous generation, pyabc's ``MedianEpsilon``), moving the particles with an
   adaptive multivariate normal kernel.  Each candidate is one replication of the
   scenario (replication ``t * 1,000,000 + k`` of the root seed for the ``k``-th
   candidate of generation ``t``: every simulation has its own seed).  The candidates are
   simulated in parallel batches through the package's executor and then judged in the
   order they were drawn (:mod:`sim.experiment.abc_sampler`), which gives exactly the
   particles of pyabc's one-at-a-time ``SingleCoreSampler``: the same posterior on every
   executor and with any number of workers.
3. **Reproducibility and resume.**  pyabc's database (``calibration.db``, SQLite) lives
   in the results directory.  The generations are run one at a time, and before each one
   numpy's global generator (pyabc's) is seeded from the named stream
   ``calibrate.sampler`` of the root seed, replication ``t``; so a run is reproducible and
   ``--resume`` continues from the last complete generation in the database (pyabc's
   ``load``) exactly as an uninterrupted run would have.
4. **Results.**  The last generation is the posterior sample (``posterior`` table: the
   parameters and their weights).  The ``intervals`` table sets each parameter's prior 90 %
   interval beside its posterior one; the ratio of their widths says how much the data
   narrowed it (a parameter narrowed by less than :data:`IDENTIFIED_NARROWING` is one the
   data cannot identify).  ``draws`` parameter values resampled from the posterior are
   simulated (stored like any replications: design point ``j`` = draw ``j``) and give the
   posterior-predictive bands of every observed KPI (``predictive`` table).  When more than
   :data:`MISFIT_SHARE` of the observed points lie outside the predictive 99 % band, or
   the data lie farther from the predictive median than every predictive draw
   (:func:`distance_p_value` 0), the model cannot reproduce the data at any parameter
   values the priors allow, and the record says so (misspecification).
   ``calibrated.toml`` is the scenario at the posterior median.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment.executors import Executor, SequentialExecutor
from sim.experiment.jobs import Job, jobs_for, run_job
from sim.experiment.observed import Observed
from sim.experiment.optimize import write_extending
from sim.experiment.runner import (
    _finish,
    _open,
    execute,
    progress_bar,
    releasing_locks,
    scenario_record,
    seeds_record,
)
from sim.experiment.store import ResultsStore
from sim.scenario import Scenario
from sim.scenario.priors import PriorsSpec
from sim.streams import Streams

#: pyabc's database in the results directory (sim.results.layout lists it).
DATABASE = "calibration.db"
#: The scenario at the posterior median.
CALIBRATED = "calibrated.toml"
#: The replications of generation ``t`` start at ``t * GENERATION_BLOCK``.
GENERATION_BLOCK = 1_000_000
#: Central credible / prior intervals reported (90 %).
INTERVAL = 0.90
#: A parameter whose 90 % interval the data narrowed by less than this is not identified.
IDENTIFIED_NARROWING = 0.20
#: Share of observed points outside the predictive 99 % band above which the fit is flagged.
MISFIT_SHARE = 0.10
#: Fewest predictive draws for the distance check: a correct model's data lie beyond every
#: one of ``n`` draws with probability ``1 / (n + 1)``, at most 5 % from 19 draws on.
DISTANCE_DRAWS = 19
#: Stand-in for a statistic the simulation could not produce (NaN: e.g. no ratings).
UNPRODUCED = 1e9

SAMPLER = ("pyabc ABCSMC: candidates simulated in parallel batches and judged in the "
           "order drawn (the particles of SingleCoreSampler), MedianEpsilon, "
           "PNormDistance (p = 2) on standardised statistics, "
           "MultivariateNormalTransition; numpy's global generator seeded before each "
           "generation t from the named stream calibrate.sampler (replication t) of the root seed")


def generation_seed(root_seed: int, generation: int) -> int:
    """The seed of numpy's global generator (pyabc's) before generation ``generation``."""
    return int(Streams(root_seed, generation).generator("calibrate.sampler")
               .integers(2**31 - 1))


def simulated_points(periods: list[dict[str, Any]], observed: Observed) -> np.ndarray:
    """The simulated values at the observed (kpi, period) points (the organization's rows);
    NaN where the simulation has no value."""
    rows = {int(r["period"]): r for r in periods if r.get("unit", "all") == "all"}
    out = np.full(len(observed.table), np.nan)
    for i, (kpi, period) in enumerate(zip(observed.table["kpi"], observed.table["period"],
                                          strict=True)):
        row = rows.get(int(period))
        value = row.get(kpi) if row is not None else None
        out[i] = float(value) if value is not None else np.nan
    return out


def standardised(values: np.ndarray, observed: Observed) -> np.ndarray:
    """``values`` divided by the observed points' scales; NaN becomes far away."""
    x = values / observed.scales
    return np.where(np.isfinite(x), x, UNPRODUCED)


def overrides_of(params: dict[str, float]) -> tuple[str, ...]:
    """``--set`` style overrides of fitted parameter values."""
    return tuple(f"{k}={float(v)!r}" for k, v in params.items())


class SimulationModel:
    """pyabc's model: one replication of the scenario at the candidate's parameters, run
    through the executor; returns the standardised statistics ``{"x": array}``.

    With :class:`sim.experiment.abc_sampler.ReplayingSampler` it works in three steps: while
    candidates are proposed it records their parameters (and answers with placeholder
    statistics), :meth:`simulate_proposed` runs them all through the executor at once, and
    on the replay it answers each candidate, in order, with its simulation.  The ``k``-th
    candidate simulated in generation ``t`` is replication ``t * GENERATION_BLOCK + k``."""

    def __init__(self, base: Scenario, priors: PriorsSpec, observed: Observed,
                 executor: Executor) -> None:
        self.name = base.name
        self.parameters = base.params.model_dump(mode="json")
        self.paths = priors.paths
        self.observed = observed
        self.executor = executor
        self.next_replication = 0
        self.simulations = 0
        self.proposing = False
        self.proposed: list[dict[str, float]] = []
        self.ready: dict[int, tuple[dict[str, float], np.ndarray]] = {}

    def propose(self) -> None:
        """Record the candidates that follow instead of simulating them."""
        self.proposing, self.proposed = True, []

    def simulate_proposed(self) -> None:
        """Simulate the recorded candidates through the executor (in parallel)."""
        first = self.next_replication
        jobs = [Job(self.name, self.parameters, first + k, 0, overrides_of(values))
                for k, values in enumerate(self.proposed)]
        for outcome in self.executor.map_unordered(run_job, jobs):
            values = self.proposed[outcome.job.replication - first]
            if not outcome.ok:
                raise UserError(f"a calibration simulation failed at {values}:\n"
                                f"{outcome.error}")
            self.ready[outcome.job.replication] = (values, self._statistics(outcome.periods))
        self.simulations += len(jobs)

    def replay(self) -> None:
        """Answer the candidates that follow with their simulations, in order."""
        self.proposing = False

    def forget(self) -> None:
        """Drop the simulations of candidates beyond the generation's last particle."""
        self.ready.clear()

    def _statistics(self, periods: list[dict[str, Any]]) -> np.ndarray:
        return standardised(simulated_points(periods, self.observed), self.observed)

    def __call__(self, params: Any) -> dict[str, np.ndarray]:
        values = {p: float(params[p]) for p in self.paths}
        if self.proposing:
            self.proposed.append(values)
            return {"x": np.zeros(len(self.observed.table))}
        if self.next_replication not in self.ready:  # a sampler that does not propose
            self.proposed = [values]
            self.simulate_proposed()
        simulated, x = self.ready.pop(self.next_replication)
        if simulated != values:  # the replay must see the candidates that were proposed
            raise RuntimeError(f"calibration replay out of step: proposed {simulated}, "
                               f"replayed {values}")
        self.next_replication += 1
        return {"x": x}


@contextmanager
def quiet_pyabc() -> Iterator[None]:
    """pyabc's INFO logging (every generation) silenced; warnings still shown."""
    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_abc(base: Scenario, priors: PriorsSpec, observed: Observed, executor: Executor,
            database: Path, population: int, generations: int, resume: bool,
            bar: Any = None, sampler: Any = None) -> Any:
    """ABC-SMC until ``generations`` generations are in ``database`` (continuing those
    already there when ``resume``); the pyabc History.  ``sampler`` is a pyabc sampler
    to use instead of the parallel :class:`~sim.experiment.abc_sampler.ReplayingSampler`
    (the tests compare it with pyabc's ``SingleCoreSampler``)."""
    import pyabc  # lazy: pyabc is slow to import

    from sim.experiment.abc_sampler import ReplayingSampler

    model = SimulationModel(base, priors, observed, executor)
    if sampler is None:
        sampler = ReplayingSampler(model, executor.workers)
    prior = pyabc.Distribution(**{p.path: p.pyabc() for p in priors.priors})

    def smc() -> Any:
        # a fresh ABCSMC per generation: pyabc caches the population it calibrates from
        return pyabc.ABCSMC(model, prior, pyabc.PNormDistance(p=2),
                            population_size=population,
                            sampler=sampler,
                            eps=pyabc.MedianEpsilon())

    url = f"sqlite:///{database}"
    x0 = {"x": standardised(observed.values, observed)}
    seed = base.params.run.seed
    with quiet_pyabc(), numpy_global_state_kept():
        history = pyabc.History(url, _id=1) if resume and database.exists() else None
        done = history.max_t + 1 if history is not None else 0
        if done == 0:  # no complete generation to continue from: start afresh
            database.unlink(missing_ok=True)
        if bar is not None:
            bar.update(done)
        for t in range(done, generations):
            abc = smc()
            np.random.seed(generation_seed(seed, t))  # noqa: NPY002 (pyabc draws from it)
            history = abc.new(url, x0) if t == 0 else abc.load(url, 1)
            model.next_replication = t * GENERATION_BLOCK
            abc.run(max_nr_populations=1)
            if bar is not None:
                eps = history.get_all_populations()["epsilon"].iloc[-1]
                bar.set_postfix_str(f"tolerance {eps:.3g}, {model.simulations} simulations",
                                    refresh=False)
                bar.update(1)
    return history


@contextmanager
def numpy_global_state_kept() -> Iterator[None]:
    """pyabc draws from numpy's global generator, which the fit seeds per generation from a
    named stream; the caller's global state is put back afterwards, so a notebook's own
    ``np.random`` draws are not disturbed by a calibration."""
    state = np.random.get_state()  # noqa: NPY002 (saved to be restored)
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       qs: tuple[float, ...]) -> list[float]:
    """Quantiles of a weighted sample (pyabc's weighted_quantile)."""
    from pyabc.weighted_statistics import weighted_quantile

    w = weights / weights.sum()
    return [float(weighted_quantile(values, w, alpha=q)) for q in qs]


def interval_table(priors: PriorsSpec, posterior: pd.DataFrame) -> pd.DataFrame:
    """Prior and posterior 90 % intervals of each parameter, the posterior median, the
    ratio of the widths, the narrowing (1 - ratio) and whether the data identify it."""
    lo, hi = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2
    weights = posterior["weight"].to_numpy(float)
    rows = []
    for prior in priors.priors:
        p_lo, p_hi = (float(v) for v in prior.scipy().ppf([lo, hi]))
        q_lo, median, q_hi = weighted_quantiles(posterior[prior.path].to_numpy(float),
                                                weights, (lo, 0.5, hi))
        ratio = (q_hi - q_lo) / (p_hi - p_lo)
        rows.append({"parameter": prior.path, "prior": prior.describe(),
                     "prior_low": p_lo, "prior_high": p_hi, "posterior_low": q_lo,
                     "posterior_median": median, "posterior_high": q_hi,
                     "width_ratio": ratio, "narrowing": 1.0 - ratio,
                     "identified": bool(1.0 - ratio >= IDENTIFIED_NARROWING)})
    return pd.DataFrame(rows)


def predictive_draws(posterior: pd.DataFrame, paths: list[str], draws: int,
                     root_seed: int) -> list[dict[str, float]]:
    """``draws`` parameter vectors resampled from the weighted posterior (named stream
    ``calibrate.predictive`` of the root seed)."""
    rng = Streams(root_seed).generator("calibrate.predictive")
    w = posterior["weight"].to_numpy(float)
    picks = rng.choice(len(posterior), size=draws, p=w / w.sum())
    return [{p: float(posterior[p].iloc[i]) for p in paths} for i in picks]


def predictive_table(observed: Observed, periods: pd.DataFrame) -> pd.DataFrame:
    """Per observed point: the observation and the posterior-predictive quantiles
    (0.5, 5, 50, 95, 99.5 %) of the simulated draws, and whether it lies outside the
    90 % and 99 % bands."""
    rows = periods[periods["unit"] == "all"] if "unit" in periods else periods
    out = []
    for rec in observed.table.to_dict("records"):
        sims = rows.loc[rows["period"] == rec["period"], rec["kpi"]].to_numpy(float)
        sims = sims[np.isfinite(sims)]
        q = (np.quantile(sims, [0.005, 0.05, 0.5, 0.95, 0.995]) if len(sims)
             else np.full(5, np.nan))
        value = rec["value"]
        out.append({"kpi": rec["kpi"], "period": rec["period"], "observed": value,
                    "se": rec["se"], "q005": q[0], "q05": q[1], "median": q[2],
                    "q95": q[3], "q995": q[4], "draws": len(sims),
                    "outside_90": bool(not q[1] <= value <= q[3]),
                    "outside_99": bool(not q[0] <= value <= q[4])})
    return pd.DataFrame(out)


def distance_p_value(observed: Observed, periods: pd.DataFrame) -> float:
    """A posterior-predictive p-value of the whole fit (Gelman, Meng & Stern 1996): the
    share of the predictive draws whose standardised distance from the draws' pointwise
    median is at least the data's.  Near 0: the data lie farther from what the model
    predicts than the model's own simulations do."""
    rows = periods[periods["unit"] == "all"] if "unit" in periods else periods
    draws = []
    for _, run in rows.groupby(["point", "replication"]):
        draws.append(simulated_points(run.to_dict("records"), observed))
    if not draws:
        return math.nan
    sims = np.vstack(draws) / observed.scales
    centre = np.nanmedian(sims, axis=0)
    mine = float(np.linalg.norm(observed.values / observed.scales - centre))
    theirs = np.linalg.norm(np.nan_to_num(sims - centre, nan=UNPRODUCED), axis=1)
    return float(np.mean(theirs >= mine))


def fewest_draws(predictive: pd.DataFrame) -> int:
    """The fewest predictive draws behind any observed point's bands (0 without points)."""
    return int(predictive["draws"].min()) if len(predictive) else 0


def expected_outside(draws: int, level: float = 0.99) -> float:
    """The share of observed points that a correct model leaves outside a predictive band
    of ``level`` drawn from ``draws`` simulations: ``1 - level``, or ``2 / (draws + 1)``
    when so few draws make the band their range (a value exchangeable with ``n`` draws
    lies outside their range with probability ``2 / (n + 1)``)."""
    return max(1.0 - level, 2.0 / (draws + 1)) if draws > 0 else 1.0


def misfit_statement(predictive: pd.DataFrame, p_value: float = math.nan) -> str | None:
    """A warning when too many observed points lie outside the predictive 99 % band (more
    than :data:`MISFIT_SHARE` beyond the share a correct model leaves outside a band of so
    many draws, :func:`expected_outside`), or when the data lie farther from the
    predictive median than every one of at least :data:`DISTANCE_DRAWS` predictive draws
    (with fewer, a correct model would do so too often)."""
    share = float(predictive["outside_99"].mean()) if len(predictive) else 0.0
    draws = fewest_draws(predictive)
    allowed = MISFIT_SHARE + expected_outside(draws)
    outside = share > allowed
    distant = p_value == 0.0 and draws >= DISTANCE_DRAWS
    if not (outside or distant):
        return None
    said = []
    if outside:
        worst = (predictive[predictive["outside_99"]].groupby("kpi").size()
                 .sort_values(ascending=False))
        kpis = ", ".join(f"{k} ({n})" for k, n in worst.items())
        said.append(f"{share:.0%} of the observed points lie outside the posterior-predictive "
                    f"99 % band (more than {allowed:.0%}: {MISFIT_SHARE:.0%} beyond the "
                    f"{expected_outside(draws):.0%} a correct model leaves outside a band of "
                    f"{draws} draws; points outside, by KPI: {kpis})")
    if distant:
        said.append(f"the data lie farther from the posterior-predictive median than every "
                    f"one of the {draws} simulations drawn from the posterior (predictive "
                    "p-value 0)")
    return (" and ".join(said) + ": the model cannot reproduce these data at any parameter "
            "values the priors allow (misspecification). Widen the priors, fit other "
            "parameters, or check the data")


def _data_hash(observed: Observed) -> str:
    text = observed.table[["kpi", "period", "value", "se"]].to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()


@releasing_locks
def run_calibrate(
    base: Scenario,
    priors: PriorsSpec,
    observed: Observed,
    out: str | Path,
    executor: Executor | None = None,
    *,
    population: int = 100,
    generations: int = 6,
    draws: int = 50,
    resume: bool = False,
    force: bool = False,
    fmt: str = "parquet",
    quiet: bool = True,
) -> Any:
    """ABC-SMC calibration of ``priors``' parameters of ``base`` to ``observed``; the
    :class:`~sim.experiment.runner.Experiment` with tables ``posterior``, ``intervals``,
    ``predictive`` (and the predictive draws' ``summary`` and ``periods``), its manifest's
    ``calibrate`` record, and ``out/calibrated.toml``."""
    for name, value, low in (("population", population, 2), ("generations", generations, 1),
                             ("draws", draws, 2)):
        if value < low:
            raise UserError(f"--{name} {value}: must be at least {low}")
    executor = executor or SequentialExecutor()
    store = ResultsStore(out)
    started = time.perf_counter()
    seed = base.params.run.seed
    plan = {"kind": "calibrate", "scenario": scenario_record(base), "priors": priors.record(),
            "data": {"path": str(observed.path), "points": len(observed.table),
                     "sha256": _data_hash(observed)},
            "population": population, "generations": generations, "draws": draws}
    _open(store, plan, resume, force)
    database = Path(out) / DATABASE
    with executor:
        with progress_bar(generations, 0, quiet, "calibrate", unit="generation") as bar:
            history = run_abc(base, priors, observed, executor, database, population,
                              generations, resume, bar)
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        posterior = frame.reset_index(drop=True)[priors.paths].assign(weight=np.asarray(weights))
        picks = predictive_draws(posterior, priors.paths, draws, seed)
        jobs = [job for j, p in enumerate(picks)
                for job in jobs_for(base, range(j, j + 1), point=j,
                                    point_overrides=overrides_of(p))]
        execute(jobs, store, executor, quiet, label="predictive")
    periods = store.load([base.name])["periods"]
    predictive = predictive_table(observed, periods)
    intervals = interval_table(priors, posterior)
    medians = dict(zip(intervals["parameter"], intervals["posterior_median"], strict=True))
    populations = history.get_all_populations()
    p_value = distance_p_value(observed, periods)
    misfit = misfit_statement(predictive, p_value)
    unidentified = intervals.loc[~intervals["identified"], "parameter"].tolist()
    record: dict[str, Any] = {
        "priors_file": str(priors.path), "data_file": str(observed.path),
        "kpis": observed.kpis, "points": len(observed.table),
        "population": population, "generations": int(history.max_t + 1), "draws": draws,
        "simulations": int(history.total_nr_simulations),
        "epsilons": [float(e) for e in populations["epsilon"].iloc[1:]],
        "posterior_median": medians, "unidentified": unidentified,
        "identified_narrowing": IDENTIFIED_NARROWING, "interval": INTERVAL,
        "outside_99_share": float(predictive["outside_99"].mean()),
        "outside_90_share": float(predictive["outside_90"].mean()),
        "misfit_share": MISFIT_SHARE,
        "expected_outside_99": expected_outside(fewest_draws(predictive)),
        "predictive_p_value": p_value, "misfit": misfit,
        "sampler": SAMPLER,
        "sampler_seeds": [generation_seed(seed, t) for t in range(generations)],
        "database": DATABASE, "scales": _scales(observed)}
    write_extending(Path(out) / CALIBRATED, base, medians, f"{base.name}-calibrated",
                    f"{base.name} calibrated by spc calibrate (ABC-SMC) to {observed.path.name}"
                    f": the posterior median of {', '.join(priors.paths)}.")
    calibrated = base.with_overrides(list(overrides_of(medians)))
    extra = {"seeds": seeds_record([base], draws), "calibrate": record,
             "calibrated_scenario": scenario_record(calibrated)}
    tables = {"posterior": posterior, "intervals": intervals, "predictive": predictive}
    return _finish(store, plan, executor, started, fmt, [base.name], extra, tables)


def _scales(observed: Observed) -> dict[str, str]:
    """How each KPI's points were standardised (for the manifest)."""
    out = {}
    for kpi, group in observed.table.groupby("kpi", sort=False):
        given = int(group["se"].notna().sum())
        default = float(group.loc[group["se"].isna(), "scale"].iloc[0]) if given < len(group) \
            else math.nan
        out[str(kpi)] = (f"standard errors given ({given} of {len(group)} points)" if given
                         else "") + ("" if given == len(group) else
                                     f"{'; ' if given else ''}default scale {default:.4g}")
    return out


__all__ = ["CALIBRATED", "DATABASE", "DISTANCE_DRAWS", "IDENTIFIED_NARROWING", "MISFIT_SHARE",
           "SAMPLER", "distance_p_value", "expected_outside", "fewest_draws", "generation_seed",
           "interval_table", "misfit_statement", "predictive_table", "run_calibrate",
           "simulated_points"]
