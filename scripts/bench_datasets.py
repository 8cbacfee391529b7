"""Measure the data pipeline: synthetic rendering speed and JointDataset items per second.

    python scripts/bench_datasets.py [--frames 100] [--items 40] [--size 1088x608]

Uses PETS09-S2L1 from ../shared/data (or FAIRMOT_SHARED_DATA) for the real-image timing.
"""
import argparse
import os
import tempfile
import time

import numpy as np

from fairmot.datasets.convert_mot import convert_mot, plan_parts
from fairmot.datasets.joint_dataset import JointDataset
from fairmot.datasets.shared_data import shared_data_dir
from fairmot.datasets.synthetic import SynthConfig, SyntheticScene, write_sequence

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = shared_data_dir()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--size", default="1088x608")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    config = SynthConfig(frames=args.frames)

    scene = SyntheticScene(config, np.random.default_rng(0))
    start = time.perf_counter()
    for i in range(config.frames):
        if i:
            scene.step()
        scene.render()
    render_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        write_sequence(os.path.join(tmp, "synth-00"), config, (0, 0))
        write_s = time.perf_counter() - start
        print(f"synth {config.width}x{config.height}, {config.frames} frames: render "
              f"{render_s:.2f} s, render + write jpg/gt {write_s:.2f} s")

        convert_mot(plan_parts([os.path.join(SHARED, "PETS09-S2L1")], (1, 400)), tmp, "pets",
                    progress=False)
        for augment in (False, True):
            ds = JointDataset({"pets": os.path.join(tmp, "pets.train")}, tmp, (width, height),
                              augment=augment, progress=False)
            start = time.perf_counter()
            for i in range(args.items):
                ds[i * 7 % len(ds)]
            per_item = (time.perf_counter() - start) / args.items
            print(f"JointDataset PETS09 at {width}x{height}, augment={augment}: "
                  f"{1000 * per_item:.1f} ms/item ({1 / per_item:.0f} items/s, one process)")


if __name__ == "__main__":
    main()
