"""Statistics below the experiment layer: what experiment control and analysis both need.

- :mod:`sim.statistics.intervals`: t intervals, batch means, autocorrelation;
- :mod:`sim.statistics.output_analysis`: replication summaries, paired comparisons,
  MSER-5 warm-up detection, the Hoad sequential replication planner;
- :mod:`sim.statistics.queueing`: Erlang C (M/M/c) results;
- :mod:`sim.statistics.sensitivity`: sensitivity estimators for sweeps.

Nothing here imports the scenario, the model or the experiment layer.
"""
