"""Tuning the tracker's thresholds for a dataset: cached detections, a search space, an objective.

- :mod:`.detections`: per-frame detections of a sequence, from its ``det/det.txt`` or from a
  network (run once, cached on disk), so that a trial runs only the tracker;
- :mod:`.space`: the options of each tracker worth searching, with their ranges and constraints;
- :mod:`.objective`: a configuration's tracks on cached detections, scored (HOTA, MOTA or IDF1);
- :mod:`.search`: the Optuna study (an optional extra: ``pip install 'fairmot[tune]'``).
"""
