"""The statistics of benchmarks/chain_throughput.py: when does it call the 0.7 target
demonstrably met."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _chain_throughput() -> ModuleType:
    """The benchmark script as a module (it is not in a package)."""
    name = "chain_throughput"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "benchmarks" / "chain_throughput.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # registered first: its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_the_interval_of_the_paired_ratios_is_the_sign_test_order_statistics() -> None:
    ct = _chain_throughput()
    # 15 ratios 0.61, 0.62, ..., 0.75: the 95 % interval of the median is the 4th and 12th
    # order statistics (binomial(15, 1/2): P(X <= 3) = 0.018 <= 0.025 < P(X <= 4) = 0.059)
    ratios = [round(0.60 + 0.01 * k, 2) for k in range(15, 0, -1)]
    low, high, p_value = ct.paired_interval(ratios)
    assert (low, high) == (0.64, 0.72)
    # 5 of the 15 are above 0.7: P(X >= 5) for binomial(15, 1/2)
    assert p_value == pytest.approx(sum(math.comb(15, k) for k in range(5, 16)) / 2**15)


def test_demonstrably_met_needs_the_whole_interval_above_the_target() -> None:
    ct = _chain_throughput()
    above = [0.72, 0.75, 0.78, 0.74, 0.80, 0.73, 0.76, 0.79, 0.77, 0.71, 0.74]
    low, _high, p_value = ct.paired_interval(above)
    assert low > ct.TARGET_RATIO and p_value < 0.001
    straddling = [0.66, 0.69, 0.72, 0.70, 0.74, 0.67, 0.71, 0.73, 0.68, 0.75, 0.65]
    low, high, p_value = ct.paired_interval(straddling)
    assert low < ct.TARGET_RATIO < high and p_value > 0.2
