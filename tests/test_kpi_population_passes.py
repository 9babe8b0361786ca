"""The whole-population passes of the KPIs (sim/model/kpis.py), which work in place to keep
their temporaries small at a million customers, against plain formulas."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.kpis import exposure, recommend_groups


def test_recommend_groups_are_the_net_promoter_groups_in_one_byte() -> None:
    scores = np.array([-1, 0, 3, 6, 7, 8, 9, 10, -1], dtype=np.int8)
    groups = recommend_groups(scores)
    assert groups.dtype == np.int8
    assert groups.tolist() == [-1, 0, 0, 0, 1, 1, 2, 2, -1]


def test_exposure_counts_defections_and_years_at_risk_in_the_window() -> None:
    rng = np.random.default_rng(5)
    n = 500
    joined = rng.uniform(0.0, 20_000.0, n).astype(np.float32)
    left = np.where(rng.random(n) < 0.4, joined + rng.uniform(0.0, 15_000.0, n),
                    np.nan).astype(np.float32)
    col = {"joined": joined, "left": left}
    mask = rng.random(n) < 0.7
    before = (joined.copy(), left.copy())
    start, end = 8_760.0, 26_280.0
    defections, years = exposure(col, mask, start, end)
    j, lf = joined[mask].astype(float), left[mask].astype(float)
    gone = ~np.isnan(lf)
    assert defections == int(np.sum(gone & (lf > start) & (lf <= end)))
    until = np.where(gone, np.minimum(lf, end), end)
    expected = np.clip(until - np.maximum(j, start), 0.0, None).sum() / 8_760.0
    assert years == pytest.approx(expected, rel=1e-12)
    # the columns are read, never changed
    np.testing.assert_array_equal(joined, before[0])
    np.testing.assert_array_equal(left, before[1])
