"""Unit tests of the customer population's columns (sim.model.population): idle customers
are compact typed rows with zero-copy numpy views (MODEL.md section 2, Customers)."""

import math

import numpy as np
import pytest

from sim.model.population import ACTIVE, COLUMNS, DEFECTED, GROWTH_DIVISOR, CustomerPopulation


def test_population_add_sets_defaults_and_values() -> None:
    pop = CustomerPopulation(capacity=4)
    assert pop.size == 0 and pop.capacity == 16  # at least 16 rows
    rows = pop.add(3, 12.5, satisfaction=np.array([0.1, 0.2, 0.3]), segment=1)
    assert rows == range(0, 3)
    with pop.np() as col:
        assert all(len(v) == 3 for v in col.values())
        assert np.all(col["status"] == ACTIVE) and np.all(col["joined"] == 12.5)
        assert col["satisfaction"] == pytest.approx([0.1, 0.2, 0.3])
        assert np.all(col["segment"] == 1)
        assert np.all(np.isnan(col["left"])) and np.all(np.isnan(col["promoter_at"]))
        for name in ("recommend", "provider", "defect_reason", "failure_outcome"):
            assert np.all(col[name] == -1), name
        assert np.all(col["visits"] == 0) and np.all(col["bond"] == 0.0)
    assert pop.add(0, 1.0) == range(3, 3) and pop.size == 3
    with pytest.raises(KeyError):
        pop.add(1, 0.0, no_such_column=1)


def test_population_add_grows_capacity_and_keeps_earlier_rows() -> None:
    pop = CustomerPopulation(capacity=16)
    pop.add(10, 0.0, satisfaction=np.linspace(0.0, 0.9, 10), visits=7)
    pop.bond[4] = 0.5
    pop.add(20, 5.0, satisfaction=0.8)
    assert pop.size == 30 and pop.capacity >= 30
    pop.add(1, 6.0)
    full = pop.capacity
    pop.add(full - pop.size + 1, 7.0)  # one more than fits
    # grown in a block of an eighth (little idle slack for memory), not row by row
    assert pop.capacity == full + full // GROWTH_DIVISOR > pop.size
    with pop.np() as col:
        assert col["satisfaction"][:10] == pytest.approx(np.linspace(0.0, 0.9, 10))
        assert np.all(col["visits"][:10] == 7) and np.all(col["visits"][10:] == 0)
        assert col["satisfaction"][10:30] == pytest.approx(0.8)
        assert col["bond"][4] == 0.5
        assert np.all(col["joined"][10:30] == 5.0)
        assert np.all(np.isnan(col["left"]))  # fill values in the grown rows too
        assert np.all(col["recommend"] == -1)
    # the scalar views follow the growth: each views its column's current array
    for name, column in pop.columns.items():
        view = getattr(pop, name)
        assert isinstance(view, memoryview) and view.obj is column, name
        assert view.format == column.typecode and len(view) == pop.capacity


def test_scalar_stores_round_and_refuse_as_the_columns_do() -> None:
    """A store through a column's view keeps what the typed array would keep: float32
    rounding, and no value outside the integer type."""
    pop = CustomerPopulation()
    pop.add(3, 0.0)
    pop.satisfaction[1] = 0.1
    assert pop.satisfaction[1] == float(np.float32(0.1)) == pop.columns["satisfaction"][1]
    pop.next_visit[1] = 0.1  # a float64 column keeps it exactly
    assert pop.next_visit[1] == 0.1
    with pytest.raises((OverflowError, ValueError)):
        pop.status[0] = 300  # int8
    with pytest.raises(TypeError):
        pop.visits[0] = 1.5  # type: ignore[call-overload]


def test_numpy_views_and_scalar_access_share_the_data() -> None:
    pop = CustomerPopulation()
    pop.add(5, 0.0)
    pop.satisfaction[2] = 0.25
    pop.provider[3] = 42
    with pop.np() as col:
        assert col["satisfaction"][2] == 0.25 and col["provider"][3] == 42
        col["expectation"][1] = 0.875
        col["status"][0] = DEFECTED
        assert col["satisfaction"].dtype == np.float32 and col["provider"].dtype == np.int32
    assert pop.expectation[1] == 0.875
    assert pop.status[0] == DEFECTED
    assert pop.active_count == 4


def test_population_memory_footprint() -> None:
    per = CustomerPopulation.bytes_per_customer()
    assert per < 100
    pop = CustomerPopulation(capacity=1000)
    pop.add(3, 0.0)
    with pop.np() as col:
        assert set(col) == set(COLUMNS)
        # each zero-copy view has the item size of its column's typecode
        for name, view in col.items():
            assert view.dtype.itemsize == pop.columns[name].itemsize, name
        assert per == sum(view.dtype.itemsize for view in col.values())
    assert pop.nbytes == 1000 * per
    assert math.isclose(pop.nbytes / pop.capacity, per)
