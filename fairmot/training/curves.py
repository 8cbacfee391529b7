"""``curves.png`` in a training run's folder, redrawn from its ``log.jsonl`` after every epoch.

A chart is a convenience: without matplotlib, or if drawing fails, one line says so and training
goes on without charts.
"""
from __future__ import annotations

import json
import os
from typing import Callable, List

from fairmot.errors import UserError

CURVES_FILE = "curves.png"


def read_log(path: str) -> List[dict]:
    """The records of a ``log.jsonl``; a line cut short by a crash is left out."""
    records = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    records.append(record)
    except FileNotFoundError:
        pass
    return records


class CurvesWriter:
    """``writer()`` redraws ``<output>/curves.png`` from ``<output>/log.jsonl``; ``log`` takes the
    one line written when charts cannot be drawn (after which it stops trying)."""

    def __init__(self, output: str, title: str, log: Callable[[str], None]):
        self.output, self.title, self.log = output, title, log
        self.enabled = True

    def __call__(self) -> None:
        if not self.enabled:
            return
        from fairmot.evaluation.plots import plot_training
        try:
            plot_training(read_log(os.path.join(self.output, "log.jsonl")), os.path.join(self.output, CURVES_FILE),
                          title=self.title)
        except UserError as err:
            self.enabled = False
            self.log(f"no {CURVES_FILE}: {err}")
        except Exception as err:  # a chart must never stop a training run
            self.enabled = False
            self.log(f"no {CURVES_FILE}: drawing failed ({type(err).__name__}: {err})")
