"""Score tables: MOTChallenge column names, the printed table, JSON and CSV files.

Works on the DataFrame :func:`fairmot.evaluation.mot_metrics.summarize` returns (rates as
fractions); extra rate columns such as detection ``AP50`` are formatted like the others.
"""
from __future__ import annotations

import json

import numpy as np

from fairmot.errors import UserError
from fairmot.utils.atomic import atomic_write_text

OVERALL = "OVERALL"

# motmetrics metric name -> MOTChallenge column, in the order the devkit prints them
METRIC_NAMES = {
    "idf1": "IDF1", "idp": "IDP", "idr": "IDR", "recall": "Rcll", "precision": "Prcn",
    "num_unique_objects": "GT", "mostly_tracked": "MT", "partially_tracked": "PT",
    "mostly_lost": "ML", "num_false_positives": "FP", "num_misses": "FN",
    "num_switches": "IDs", "num_fragmentations": "FM", "mota": "MOTA", "motp": "MOTP",
}
COLUMNS = tuple(METRIC_NAMES.values())
# HOTA's (fairmot.evaluation.hota.HOTA_FIELDS) are rates too
HOTA_COLUMNS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA")
RATE_COLUMNS = HOTA_COLUMNS + ("IDF1", "IDP", "IDR", "Rcll", "Prcn", "MOTA", "MOTP", "AP50")
COUNT_COLUMNS = tuple(c for c in COLUMNS if c not in RATE_COLUMNS)
IDENTITY_COLUMNS = ("IDF1", "IDP", "IDR")
# --metrics groups -> their columns
METRIC_GROUPS = {"hota": HOTA_COLUMNS, "clear": tuple(c for c in COLUMNS if c not in IDENTITY_COLUMNS),
                 "identity": IDENTITY_COLUMNS}
ALL_METRICS = tuple(METRIC_GROUPS)


def parse_metrics(text: str) -> tuple:
    """``"hota,clear"`` -> ("hota", "clear"); UserError naming the choices for anything else."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in str(text).split(",") if p.strip()))
    if not names or any(n not in METRIC_GROUPS for n in names):
        raise UserError(f"--metrics {text!r}: choose from {', '.join(ALL_METRICS)} (comma-separated)")
    return names


def _format_rate(value):
    return f"{value:.1%}" if np.isfinite(value) else "-"


def format_table(df) -> str:
    """The summary as text: rates as percentages with one decimal, counts as integers."""
    formatters = {c: _format_rate for c in RATE_COLUMNS if c in df.columns}
    return df.to_string(formatters=formatters, na_rep="-")


def summary_to_dict(df) -> dict:
    """``{sequence or "OVERALL": {column: value}}`` with plain Python numbers.

    Undefined rates (NaN, or infinite as MOTA without ground truth) become None: strict JSON.
    """
    out = {}
    for name, row in df.iterrows():
        out[str(name)] = {c: (int(row[c]) if c in COUNT_COLUMNS else
                              float(row[c]) if np.isfinite(row[c]) else None)
                          for c in df.columns}
    return out


def write_json(df, path: str) -> None:
    """Write the summary as JSON (see :func:`summary_to_dict`), atomically."""
    atomic_write_text(path, json.dumps(summary_to_dict(df), indent=2) + "\n")


def write_csv(df, path: str) -> None:
    """Write the summary as CSV (first column "sequence"), atomically."""
    atomic_write_text(path, df.to_csv(index_label="sequence"))
