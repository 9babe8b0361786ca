"""spc: event-driven simulation of service-profit chain dynamics on SimPy.

Importing the package does no work, creates no global state and seeds nothing.
"""

from sim.model.system import RunResult, simulate
from sim.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = ["RunResult", "Scenario", "load_scenario", "scenario_from_dict", "simulate"]
