"""Experiments: sweeps of scenarios over designed points, their replications and their results."""
