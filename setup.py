"""Packaging that pyproject.toml cannot state: the scenario library ships in the wheel.

The folder ``scenarios/`` of the checkout becomes ``sim/library/`` of the installed
package (every ``*.toml`` in it, package data), where
:mod:`sim.scenario.library` finds it with :mod:`importlib.resources`.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["sim", "sim.*", "analysis", "analysis.*"]), "sim.library"],
    package_dir={"sim.library": "scenarios"},
    package_data={"sim.library": ["**/*.toml"]},
)
