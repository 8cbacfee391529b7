#!/usr/bin/env python
"""Many sources on one machine: one process doing them in turn vs ``--workers N``.

    python scripts/bench_workers.py                   # 8 copies of a 300-frame clip, --workers 2
    python scripts/bench_workers.py --copies 4 --frames 100 --input-size 384x224

The clip is PETS09-S2L1's first --frames frames as a Motion-JPEG AVI (their size, 7 fps); its copies
sit in one folder, which is the source (``fairmot track folder/``). Each run is a fresh
``fairmot track`` process, timed from start to exit (model loading included), with nothing else
running. The result files of the two runs are compared: identical, or how many rows differ and by
how much (one process uses every core, each worker its share: a different number of threads sums
floating point in a different order).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from support.data import PETS  # noqa: E402

DEMO = os.path.join(HERE, "..", "fairmot", "models", "weights", "demo_resdcn18w32_synth.pth")


def write_clip(path, frames):
    """PETS09-S2L1's first ``frames`` frames as an MJPG AVI at their own size; returns the size."""
    images = sorted(glob.glob(os.path.join(PETS, "img1", "*.jpg")))[:frames]
    first = cv2.imread(images[0])
    size = (first.shape[1], first.shape[0])
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 7.0, size)
    for image in images:
        writer.write(cv2.imread(image))
    writer.release()
    return size


def timed_track(folder, out, args, extra):
    command = [sys.executable, "-m", "fairmot", "track", folder, "--weights", args.weights, "--input-size",
               args.input_size, "--output", out, "--no-video", *extra]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.strip()[-500:]}")
    return wall, proc.stdout.strip().splitlines()[-1]


def compare(a, b):
    names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(a, "*.txt")))
    same, rows, worst = 0, 0, 0.0
    for name in names:
        x, y = open(os.path.join(a, name)).read(), open(os.path.join(b, name)).read()
        if x == y:
            same += 1
            continue
        xa = np.loadtxt(os.path.join(a, name), delimiter=",", ndmin=2)
        ya = np.loadtxt(os.path.join(b, name), delimiter=",", ndmin=2)
        if xa.shape != ya.shape or not np.array_equal(xa[:, :2], ya[:, :2]):
            rows = -1
            break
        differs = np.any(xa != ya, axis=1)
        rows += int(differs.sum())
        worst = max(worst, float(np.abs(xa[:, 2:7] - ya[:, 2:7]).max()))
    return len(names), same, rows, worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=DEMO)
    parser.add_argument("--input-size", default="576x320")
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "clips")
        os.makedirs(folder)
        size = write_clip(os.path.join(folder, "clip01.avi"), args.frames)
        for i in range(2, args.copies + 1):
            os.link(os.path.join(folder, "clip01.avi"), os.path.join(folder, f"clip{i:02d}.avi"))
        total = args.copies * args.frames
        print(f"{args.copies} copies of a {args.frames}-frame clip ({size[0]}x{size[1]} MJPG), model "
              f"{os.path.basename(args.weights)} at {args.input_size}, {os.cpu_count()} cores")
        one_wall, one_total = timed_track(folder, os.path.join(tmp, "one"), args, [])
        print(f"one process, in turn:   {one_wall:7.1f} s  {total / one_wall:6.2f} frames/s   ({one_total})")
        many_wall, many_total = timed_track(folder, os.path.join(tmp, "many"), args,
                                            ["--workers", str(args.workers)])
        print(f"--workers {args.workers}:            {many_wall:7.1f} s  {total / many_wall:6.2f} frames/s   "
              f"({many_total})")
        print(f"workers / one process: {many_wall / one_wall:.3f} of the wall time")
        files, same, rows, worst = compare(os.path.join(tmp, "one"), os.path.join(tmp, "many"))
        if rows < 0:
            print(f"result files: {files}; the tracks differ (ids or frames)")
        else:
            print(f"result files: {files}, {same} identical; {rows} rows differ, by at most {worst:.2f} "
                  "(pixels or score)")


if __name__ == "__main__":
    main()
