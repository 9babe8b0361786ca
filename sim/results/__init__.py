"""The results layer: how a results directory is laid out, written, locked and described.

* :mod:`sim.results.files`: atomic writes that follow the user's umask, and write faults
  (a full disk, a read-only directory) turned into one clear message;
* :mod:`sim.results.layout`: the names ``spc`` writes, safe shard folder names, unique
  default directories, and ``--force`` removing only what ``spc`` wrote;
* :mod:`sim.results.lock`: the lock a command holds while it writes a directory;
* :mod:`sim.results.manifest`: the one typed manifest every command writes and every
  reader understands.
"""
