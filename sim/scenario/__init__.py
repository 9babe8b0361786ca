"""Scenarios: the validated, frozen description of one simulated organization and market."""

from sim.scenario.loader import (
    Scenario,
    apply_overrides,
    load_scenario,
    parameters_hash,
    scenario_from_dict,
    variants,
)
from sim.scenario.schema import ScenarioParameters

__all__ = [
    "Scenario",
    "ScenarioParameters",
    "apply_overrides",
    "load_scenario",
    "parameters_hash",
    "scenario_from_dict",
    "variants",
]
