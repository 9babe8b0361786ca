"""Analysis of simulation output: statistics, queueing theory, and (later) figures and reports.

Analysis works on stored or returned results, never on live model objects.
"""
