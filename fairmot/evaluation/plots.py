"""Charts people paste in a report: the scores of an evaluation, the curves of a training run.

matplotlib is an optional extra (``pip install 'fairmot[plots]'``); it is imported when a chart is
drawn, with the file-only Agg backend (no screen needed). Charts are written as PNG, whole: a
failure leaves an earlier file as it was.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Optional, Sequence

from fairmot.errors import UserError
from fairmot.utils.atomic import atomic_save

from .report import OVERALL

# the scores a chart of an evaluation shows, in this order, where the table has them
SCORE_COLUMNS = ("HOTA", "MOTA", "IDF1", "AP50")
_COLORS = {"HOTA": "#1f77b4", "MOTA": "#ff7f0e", "IDF1": "#2ca02c", "AP50": "#7f7f7f"}


def import_pyplot():
    """matplotlib.pyplot on the Agg backend, or a UserError saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise UserError("matplotlib is not installed: pip install 'fairmot[plots]' (needed for charts)") from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _save_png(figure, path: str) -> None:
    plt = import_pyplot()
    try:
        atomic_save(path, lambda tmp: figure.savefig(tmp, format="png", dpi=120))
    except OSError as err:
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    finally:
        plt.close(figure)


def plot_scores(table, path: str, title: Optional[str] = None) -> None:
    """Write a bar chart of ``table`` (the DataFrame of :func:`fairmot.evaluation.scoring.evaluate_folder`,
    rates as fractions): per sequence, one bar per score of :data:`SCORE_COLUMNS` it has, the
    combined row (OVERALL) last and set apart, each bar labelled with its value."""
    columns = [c for c in SCORE_COLUMNS if c in table.columns]
    if not columns:
        raise UserError(f"nothing to plot: the table has none of {', '.join(SCORE_COLUMNS)}")
    plt = import_pyplot()
    rows = [name for name in table.index if name != OVERALL] + ([OVERALL] if OVERALL in table.index else [])
    values = {c: [float(table.loc[r, c]) * 100 for r in rows] for c in columns}
    width = 0.8 / len(columns)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.32 * len(rows) * len(columns) + 2), 4.8))
    for k, column in enumerate(columns):
        xs = [i + (k - (len(columns) - 1) / 2) * width for i in range(len(rows))]
        heights = [v if math.isfinite(v) else 0.0 for v in values[column]]
        bars = axes.bar(xs, heights, width * 0.95, label=column, color=_COLORS[column])
        labels = [f"{v:.1f}" if math.isfinite(v) else "-" for v in values[column]]
        axes.bar_label(bars, labels=labels, fontsize=7, padding=2, rotation=90 if len(rows) > 6 else 0)
    if OVERALL in rows and len(rows) > 1:
        axes.axvline(len(rows) - 1.5, color="#999999", linewidth=0.8, linestyle="--")
    finite = [v for c in columns for v in values[c] if math.isfinite(v)]
    axes.set_ylim(min(0.0, min(finite, default=0.0) - 5), 100 + (12 if len(rows) > 6 else 6))
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_xticks(range(len(rows)))
    axes.set_xticklabels(rows, rotation=30 if len(rows) > 4 else 0, ha="right" if len(rows) > 4 else "center")
    axes.set_ylabel("%")
    axes.legend(ncol=len(columns), loc="upper left", fontsize=8, frameon=False)
    if OVERALL in table.index:
        combined = ", ".join(f"{c} {float(table.loc[OVERALL, c]) * 100:.1f}%" for c in columns
                             if math.isfinite(float(table.loc[OVERALL, c])))
        title = f"{title}\n{combined}" if title else combined
    if title:
        axes.set_title(title, fontsize=10)
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    _save_png(figure, path)


# training log keys drawn as loss curves, in this order (a run without re-ID has no id_loss)
LOSS_KEYS = ("loss", "hm_loss", "wh_loss", "off_loss", "id_loss",
             "kd_hm_loss", "kd_wh_loss", "kd_off_loss", "kd_id_loss")


def plot_training(records: Sequence[Mapping], path: str, title: Optional[str] = None,
                  validation: Optional[Iterable[Mapping]] = None) -> None:
    """Write the curves of a training run from its per-epoch ``records`` (the lines of log.jsonl):
    every loss term, the learning rate on a log scale, and ``validation`` scores (records with
    ``epoch`` and rates as fractions) where the run has them."""
    records = [r for r in records if "epoch" in r]
    if not records:
        raise UserError("nothing to plot: the training log has no epoch yet")
    plt = import_pyplot()
    validation = [v for v in (validation or []) if "epoch" in v]
    panels = 3 if validation else 2
    figure, axes = plt.subplots(1, panels, figsize=(4.6 * panels, 3.8))
    epochs = [r["epoch"] for r in records]
    losses = axes[0]
    for key in LOSS_KEYS:
        if any(key in r for r in records):
            losses.plot(epochs, [r.get(key, float("nan")) for r in records], marker="o", markersize=2.5,
                        label=key.replace("_loss", "") if key != "loss" else "total", linewidth=1.2)
    losses.set_xlabel("epoch")
    losses.set_title("losses (mean over the epoch)", fontsize=10)
    losses.legend(fontsize=8, frameon=False)
    losses.grid(alpha=0.3)
    rate = axes[1]
    rate.plot(epochs, [r.get("lr", float("nan")) for r in records], color="#555555", drawstyle="steps-post")
    if all(r.get("lr", 0) > 0 for r in records):
        rate.set_yscale("log")
    rate.set_xlabel("epoch")
    rate.set_title("learning rate", fontsize=10)
    rate.grid(alpha=0.3)
    if validation:
        scores = axes[2]
        keys = [k for k in SCORE_COLUMNS if any(k in v for v in validation)]
        for key in keys:
            scores.plot([v["epoch"] for v in validation], [v.get(key, float("nan")) * 100 for v in validation],
                        marker="o", markersize=3, label=key, color=_COLORS[key])
        scores.set_xlabel("epoch")
        scores.set_ylabel("%")
        scores.set_title("validation", fontsize=10)
        scores.legend(fontsize=8, frameon=False)
        scores.grid(alpha=0.3)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    _save_png(figure, path)
