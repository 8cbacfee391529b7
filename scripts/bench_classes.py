#!/usr/bin/env python
"""What a second class costs: the same network with a heatmap of 1 and of 2 channels, per frame.

    python scripts/bench_classes.py [--configs dla_34@1088x608 resdcn_18_w32@576x320] [--runs 7]
        [--backends torch openvino]

For each configuration, random weights (the time does not depend on the values) with C = 1 and
C = 2 heatmap channels, the rest identical; each backend runs the whole detector call (letterbox,
network, decoding, threshold) on the same PETS09-S2L1 frames, the two models taking turns frame
by frame so that drift in the machine's speed hits both alike. Prints the median seconds of
each stage and the difference C = 2 minus C = 1.
"""
import argparse
import glob
import os
import statistics
import sys
import tempfile
import warnings

import cv2
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

DEFAULT_CONFIGS = ["dla_34@1088x608", "resdcn_18_w32@576x320"]
HEAD_CONV = {"resdcn_18_w32": 64}   # as the bundled model and the README recipes


def make_model(arch, num_classes, seed=0):
    from fairmot.datasets.classes import ClassTable
    from fairmot.models import create_model
    from fairmot.models.random_init import randomize_
    heads = {"hm": num_classes, "wh": 4, "reg": 2, "id": 128}
    model = create_model(arch, heads, HEAD_CONV.get(arch, 256)).eval()
    randomize_(model, torch.Generator().manual_seed(seed), offset_scale=1.0)
    if num_classes > 1:
        model.class_table = ClassTable(tuple(f"class{i + 1}" for i in range(num_classes)),
                                       tuple(range(1, num_classes + 1)))
    return model


def make_detector(backend, model, size, folder, tag):
    if backend == "torch":
        from fairmot.inference.torch_detector import Detector
        return Detector(model, size, "cpu", conf_thres=0.4)
    from fairmot.export import openvino as ovx
    from fairmot.inference.openvino_detector import OpenVinoDetector
    path = os.path.join(folder, f"{tag}.xml")
    ovx.save_openvino(ovx.convert_to_openvino(model, size), path)
    return OpenVinoDetector(path, conf_thres=0.4)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, metavar="ARCH@WxH")
    parser.add_argument("--backends", nargs="+", default=["torch", "openvino"], choices=["torch", "openvino"])
    parser.add_argument("--runs", type=int, default=7, help="frames timed per model (after 2 warm-up)")
    args = parser.parse_args(argv)
    from fairmot.datasets.shared_data import shared_data_dir
    images = sorted(glob.glob(os.path.join(shared_data_dir(), "PETS09-S2L1", "img1", "*.jpg")))
    if not images:
        sys.exit("bench_classes: PETS09-S2L1 frames not found under the shared data folder")
    frames = [cv2.imread(p) for p in images[::40][: args.runs + 2]]
    warnings.simplefilter("ignore")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median of {args.runs} frames after 2")
    print(f"{'config':<24}{'backend':<10}{'C':>3}{'total s':>10}{'network':>10}{'decode':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for config in args.configs:
            arch, size = config.split("@")
            size = tuple(int(v) for v in size.lower().split("x"))
            models = {c: make_model(arch, c) for c in (1, 2)}
            for backend in args.backends:
                detectors = {c: make_detector(backend, models[c], size, folder, f"{arch}_{c}") for c in (1, 2)}
                timings = {1: [], 2: []}
                for i, frame in enumerate(frames):
                    for c in (1, 2):
                        detectors[c](frame)
                        if i >= 2:
                            timings[c].append(dict(detectors[c].timings))
                medians = {}
                for c in (1, 2):
                    medians[c] = {k: statistics.median(t[k] for t in timings[c]) for k in timings[c][0]}
                    medians[c]["total"] = statistics.median(sum(t.values()) for t in timings[c])
                    m = medians[c]
                    print(f"{config:<24}{backend:<10}{c:>3}{m['total']:>10.4f}{m['network']:>10.4f}"
                          f"{m['decode']:>10.4f}", flush=True)
                extra = medians[2]["total"] - medians[1]["total"]
                print(f"{'':<24}{backend:<10}  C=2 - C=1: {extra * 1000:+.1f} ms/frame "
                      f"({extra / medians[1]['total']:+.1%})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
