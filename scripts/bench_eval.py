#!/usr/bin/env python
"""How long scoring takes: every MOT17 train sequence (ground truth from the shared data) against
tracker-like results made from it, with each metric group and with all of them.

    python scripts/bench_eval.py [--data ../shared/data] [--repeat 3]

The results are the ground truth's pedestrians with what trackers get wrong, seeded: 10% of
the boxes missed, boxes jittered by 5% of their size, false positives (5% of the rows), and an
identity switch every 50 frames in one track of four. Prints seconds per metric group, the best
of --repeat runs, and the combined scores (a check that the inputs are tracker-like).
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np


def noisy_results(gt, rng):
    rows = gt[(gt[:, 6] == 1) & (gt[:, 7] == 1)].copy()
    rows = rows[rng.random(len(rows)) > 0.10]
    rows[:, 2:6] += rng.normal(0, 0.05, (len(rows), 4)) * rows[:, [4, 5, 4, 5]]
    switch = (rows[:, 1] % 4 == 0) & ((rows[:, 0] // 50) % 2 == 1)
    rows[switch, 1] += 100000
    fp = rows[rng.choice(len(rows), len(rows) // 20)].copy()
    fp[:, 2] += fp[:, 4] * rng.uniform(2, 4, len(fp))
    fp[:, 1] = 200000 + np.arange(len(fp))
    out = np.concatenate([rows, fp])
    out[:, 6] = 1
    out[:, 7:] = -1
    return out[np.argsort(out[:, 0], kind="stable")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    from fairmot.datasets.mot_format import load_mot_rows
    from fairmot.datasets.shared_data import shared_data_dir
    from fairmot.evaluation.report import OVERALL
    from fairmot.evaluation.scoring import evaluate_folder
    root = os.path.join(args.data or shared_data_dir(), "MOT17", "train")
    names = sorted(n for n in os.listdir(root) if os.path.isfile(os.path.join(root, n, "gt", "gt.txt")))
    if not names:
        sys.exit(f"bench_eval: no MOT17 ground truth under {root}")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as results:
        rows = 0
        for name in names:
            out = noisy_results(load_mot_rows(os.path.join(root, name, "gt", "gt.txt")), rng)
            rows += len(out)
            np.savetxt(os.path.join(results, name + ".txt"), out, fmt="%.2f", delimiter=",")
        print(f"{len(names)} MOT17 train sequences, {rows} result rows")
        for metrics in (("hota",), ("clear",), ("identity",), ("hota", "clear", "identity")):
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                table = evaluate_folder(root, results, metrics=metrics)
                best = min(best, time.perf_counter() - start)
            scores = ", ".join(f"{c} {100 * table.loc[OVERALL, c]:.1f}" for c in ("HOTA", "MOTA", "IDF1")
                               if c in table.columns)
            print(f"  {'+'.join(metrics):<22} {best:6.2f} s   ({scores})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
