"""Named random streams: stable per name, independent of creation order, no global state."""

import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim.streams import Streams, name_key, stream_seed


def test_same_name_same_numbers() -> None:
    a = Streams(42, 3).generator("arrivals").random(5)
    b = Streams(42, 3).generator("arrivals").random(5)
    assert np.array_equal(a, b)


def test_adding_a_stream_leaves_existing_streams_unchanged() -> None:
    alone = Streams(7).generator("service_time").random(100)
    crowded = Streams(7)
    crowded.generator("a_new_mechanism").random(1000)  # created first, used heavily
    crowded.generator("another_one")
    assert np.array_equal(crowded.generator("service_time").random(100), alone)


def test_streams_differ_by_name_seed_and_replication() -> None:
    base = Streams(1, 0).generator("x").random(10)
    assert not np.array_equal(base, Streams(1, 0).generator("y").random(10))
    assert not np.array_equal(base, Streams(2, 0).generator("x").random(10))
    assert not np.array_equal(base, Streams(1, 1).generator("x").random(10))


def test_buffered_draws_equal_direct_draws_in_order() -> None:
    buffered = Streams(5).draws("patience", "exponential")
    direct = Streams(5).generator("patience").standard_exponential(10_000)
    assert [buffered() for _ in range(10_000)] == direct.tolist()


def test_name_key_is_a_stable_hash_not_python_hash() -> None:
    # pinned: must not change across Python processes or versions
    assert name_key("arrivals") == name_key("arrivals")
    assert stream_seed(1, 0, "arrivals").spawn_key == (0, *name_key("arrivals"))
    assert name_key("arrivals") == (1762372629, 3700494430)


def test_no_global_random_state_is_touched() -> None:
    # the legacy global state is the point here, hence the noqa: NPY002
    random.seed(123)
    np.random.seed(123)  # noqa: NPY002
    before_py = random.getstate()
    before_np = np.random.get_state()[1].copy()  # noqa: NPY002
    from sim.model.system import simulate
    from sim.scenario import load_scenario

    overrides = ["run.years=0.05", "run.warmup_years=0", "customers.initial=100"]
    simulate(load_scenario("scenarios/baseline.toml", overrides))
    assert random.getstate() == before_py
    assert np.array_equal(np.random.get_state()[1], before_np)  # noqa: NPY002


@given(st.integers(0, 2**32), st.integers(0, 1000), st.text(min_size=1, max_size=20))
def test_seed_derivation_is_deterministic(seed: int, rep: int, name: str) -> None:
    assert Streams(seed, rep).generator(name).integers(0, 2**62) == Streams(
        seed, rep
    ).generator(name).integers(0, 2**62)


def test_a_batch_of_counter_streams_draws_exactly_what_each_stream_draws() -> None:
    from sim.streams import CounterBatch, Streams

    streams = Streams(root_seed=11, replication=3)
    kinds = [("a", "normal"), ("b", "uniform"), ("c", "exponential"), ("d", "normal"),
             ("e", "uniform")]
    batch = CounterBatch([(streams.counter(name), kind) for name, kind in kinds])
    who = np.array([0, 5, 5, 123_456, 2**40])
    k = np.array([0, 0, 1, 7, 3])
    drawn = batch.draw(who, k)
    assert drawn.shape == (5, 5)
    for j, (name, kind) in enumerate(kinds):
        expected = getattr(streams.counter(name), kind)(who, k)
        assert np.array_equal(drawn[:, j], expected), name


# --- Distribution of the counter-based streams --------------------------------------------
# The streams are deterministic, so these tests cannot be flaky: each compares one fixed
# sample of 200,000 draws with its distribution at a significance level of 0.1 % (p-values)
# or 4 standard errors (correlations; the standard error of a correlation of n independent
# pairs is about 1/sqrt(n)).  A generator with a defect in its key mixing (draws depending on
# neighbouring entities or counters, on the stream's name or on the lane) fails them.

N_DRAWS = 200_000
P_MIN = 1e-3
Z_MAX = 4.0
SEED = 20261127


def _layouts() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(entity, counter) pairs as the model uses them: many entities at one counter, one
    entity over many counters, and entity or counter numbers spaced by powers of two (a
    weak mixer shows structure there)."""
    i = np.arange(N_DRAWS, dtype=np.int64)
    zero = np.zeros(N_DRAWS, dtype=np.int64)
    return {"entities": (i, zero), "counters": (zero + 7, i), "spaced entities": (i << 20, zero),
            "spaced counters": (zero + 5, i << 16), "diagonal": (i, i)}


LAYOUTS = _layouts()


def _z(x: np.ndarray, y: np.ndarray) -> float:
    """The correlation of ``x`` and ``y`` in standard errors under independence."""
    return float(np.corrcoef(x, y)[0, 1] * np.sqrt(len(x)))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_counter_uniforms_are_uniform(layout: str) -> None:
    u = Streams(SEED).counter("visit_rate").uniform(*LAYOUTS[layout])
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > P_MIN
    counts = np.bincount((u * 100).astype(int), minlength=100)
    assert stats.chisquare(counts).pvalue > P_MIN


@pytest.mark.parametrize("layout", LAYOUTS)
def test_counter_normals_and_exponentials_follow_their_distributions(layout: str) -> None:
    stream = Streams(SEED).counter("service_time")
    normal = stream.normal(*LAYOUTS[layout])
    assert stats.kstest(normal, "norm").pvalue > P_MIN
    assert abs(normal.mean()) * np.sqrt(N_DRAWS) < Z_MAX
    exponential = stream.exponential(*LAYOUTS[layout])
    assert stats.kstest(exponential, "expon").pvalue > P_MIN
    assert exponential.min() >= 0.0


@pytest.mark.parametrize("layout", LAYOUTS)
def test_counter_streams_are_uncorrelated_between_names_lanes_and_replications(
    layout: str,
) -> None:
    who, k = LAYOUTS[layout]
    u = Streams(SEED).counter("visit_rate").uniform(who, k)
    others = {
        "another name": Streams(SEED).counter("visit_rate_cv").uniform(who, k),
        "another lane": Streams(SEED).counter("visit_rate").uniform(who, k, lane=1),
        "another replication": Streams(SEED, 1).counter("visit_rate").uniform(who, k),
        "another seed": Streams(SEED + 1).counter("visit_rate").uniform(who, k),
    }
    for what, v in others.items():
        assert abs(_z(u, v)) < Z_MAX, f"{layout}: correlated with {what}"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_consecutive_entities_and_counters_are_uncorrelated(layout: str) -> None:
    u = Streams(SEED).counter("patience").uniform(*LAYOUTS[layout])
    for lag in (1, 2, 64):
        assert abs(_z(u[:-lag], u[lag:])) < Z_MAX, f"{layout}: lag {lag}"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_serial_pairs_fill_the_unit_square_evenly(layout: str) -> None:
    """The serial test: non-overlapping pairs of consecutive draws counted on a 10 x 10 grid
    (chi-square with 99 degrees of freedom), and pairs of two streams' draws likewise."""
    stream = Streams(SEED).counter("complaint")
    u = stream.uniform(*LAYOUTS[layout])
    cells = (u.reshape(-1, 2) * 10).astype(int)
    counts = np.bincount(cells[:, 0] * 10 + cells[:, 1], minlength=100)
    assert stats.chisquare(counts).pvalue > P_MIN
    v = Streams(SEED).counter("recovery").uniform(*LAYOUTS[layout])
    both = np.bincount((u * 10).astype(int) * 10 + (v * 10).astype(int), minlength=100)
    assert stats.chisquare(both).pvalue > P_MIN


def test_the_distribution_tests_can_fail() -> None:
    """The bounds above reject a visibly defective generator: draws of neighbouring entities
    that share a component, and uniforms squeezed towards the middle."""
    u = Streams(SEED).counter("visit_rate").uniform(*LAYOUTS["entities"])
    shared = 0.8 * u + 0.2 * np.roll(u, 1)
    assert abs(_z(shared[:-1], shared[1:])) > Z_MAX
    assert stats.kstest(0.02 + 0.96 * u, "uniform").pvalue < P_MIN
