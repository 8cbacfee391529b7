#!/usr/bin/env python
"""Accuracy of every backend and precision of one trained model on PETS09-S2L1 frames it never saw.

    python scripts/bench_backend_accuracy.py --weights runs/pets/model_last.pth \
        [--input-size 640x480] [--calibration DIR] [--calibration-frames 100] [--frames 401-550]

Exports the checkpoint to ONNX and OpenVINO (float32, and int8 calibrated on --calibration: by
default PETS frames 1-400, the training frames, never the scored ones), then runs
``fairmot eval PETS09-S2L1 --weights MODEL --frames 401-550 --tracker fairmot --conf-thres 0.3``
with each (the README recipe's evaluation) and prints AP50, MOTA, IDF1 and HOTA side by side, and
how each backend's tracks compare with PyTorch's: rows with the same frame and id, and the
largest box difference in pixels.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

BACKENDS = ("torch", "onnxruntime", "onnxruntime-int8", "openvino", "openvino-int8")


def fairmot(*args):
    done = subprocess.run([sys.executable, "-m", "fairmot", *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench_backend_accuracy: fairmot {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input-size", default="640x480")
    parser.add_argument("--frames", default="401-550")
    parser.add_argument("--calibration", default=None, help="frames to calibrate int8 on (default: PETS 1-400)")
    parser.add_argument("--calibration-frames", type=int, default=100)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--keep", metavar="DIR", help="keep the exported models and tracks in DIR")
    args = parser.parse_args(argv)
    from fairmot.datasets.shared_data import shared_data_dir
    pets = os.path.join(shared_data_dir(), "PETS09-S2L1")
    work = args.keep or tempfile.mkdtemp(prefix="backend_accuracy.")
    os.makedirs(work, exist_ok=True)
    calibration = args.calibration
    if calibration is None:   # the training frames only
        calibration = os.path.join(work, "calibration")
        os.makedirs(calibration, exist_ok=True)
        for i in range(1, 401):
            name = f"{i:06d}.jpg"
            link = os.path.join(calibration, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(pets, "img1", name), link)
    size = ["--input-size", args.input_size]
    models = {"torch": args.weights}
    for backend in args.backends:
        if backend == "torch":
            continue
        suffix = ".xml" if backend.startswith("openvino") else ".onnx"
        path = os.path.join(work, backend + suffix)
        int8 = ["--int8", "--calibration", calibration, "--calibration-frames", args.calibration_frames] \
            if backend.endswith("int8") else []
        fairmot("export", "--weights", args.weights, "--output", path, *size, *int8, "--overwrite")
        models[backend] = path
    scores, rows = {}, {}
    for backend, model in models.items():
        out, report = os.path.join(work, f"tracks-{backend}"), os.path.join(work, f"scores-{backend}.json")
        extra = size if backend == "torch" else []
        fairmot("eval", pets, "--weights", model, "--frames", args.frames, "--tracker", "fairmot",
                "--conf-thres", "0.3", "--output", out, "--json", report, "--overwrite", *extra)
        scores[backend] = json.load(open(report))["OVERALL"]
        rows[backend] = np.loadtxt(os.path.join(out, "PETS09-S2L1.txt"), delimiter=",").reshape(-1, 10)
    print(f"{os.path.basename(args.weights)} at {args.input_size}, PETS09-S2L1 frames {args.frames}, "
          "--tracker fairmot --conf-thres 0.3")
    print(f"{'backend':<18}{'AP50':>7}{'MOTA':>7}{'IDF1':>7}{'HOTA':>7}   tracks vs torch")
    reference = rows["torch"]
    for backend in models:
        s = scores[backend]
        got = rows[backend]
        same = (len(got) == len(reference) and np.array_equal(got[:, :2], reference[:, :2]))
        if same:
            largest = np.abs(got[:, 2:6] - reference[:, 2:6]).max()
            versus = f"same {len(got)} rows (frame, id); boxes within {largest:.3f} px"
        else:
            keys = {tuple(r) for r in reference[:, :2].astype(int)}
            common = sum(tuple(r) in keys for r in got[:, :2].astype(int))
            versus = f"{len(got)} rows, {common} with a (frame, id) of torch's {len(reference)}"
        print(f"{backend:<18}" + "".join(f"{100 * s[k]:>7.1f}" for k in ("AP50", "MOTA", "IDF1", "HOTA"))
              + f"   {versus if backend != 'torch' else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
