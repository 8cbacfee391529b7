#!/usr/bin/env python
"""Every backend on the same frames in one process: network seconds/frame (batch 1, CPU).

    python scripts/bench_backends.py       # dla_34 at 1088x608, 864x480, 576x320; resdcn_18(_w32) at 576x320
    python scripts/bench_backends.py --configs dla_34@1088x608 --runs 5 --profile

Backends: torch fp32, onnxruntime fp32 and int8 (static QDQ), openvino fp32 and int8 (NNCF); int8
is calibrated on --calibration-frames PETS09-S2L1 frames. Each runs the network plus decoding on the same
letterboxed PETS09-S2L1 frames (cycled), one at a time, after a warm-up; the median of --runs
counts. Weights: --weights, or random with deformable offsets of about two pixels (the time does
not depend on the values, only on where the samples fall). Every model is exported to a temporary
folder first (not timed). --track-frames N also runs the tracking pipeline over N PETS frames
with each backend (frames/s end to end, share of the time outside the network). The peak RSS
column is that of a fresh process that only loads the model with that backend and detects on
three frames (what a tracking process holds). --profile prints OpenVINO's per-layer-type time
for the fp32 and int8 models of each configuration.
"""
import argparse
import collections
import glob
import os
import sys
import tempfile
import time
import warnings

import cv2
import numpy as np
import torch

DEFAULT_CONFIGS = ["dla_34@1088x608", "dla_34@864x480", "dla_34@576x320", "resdcn_18@576x320",
                   "resdcn_18_w32@576x320"]


# run in a process of its own: load one model with one backend, detect on three frames, print the peak RSS
_RSS_CHILD = """
import sys, cv2
from fairmot.cli.common import make_detector
path, backend, width, height, image = sys.argv[1:6]
detector = make_detector(path, backend, (int(width), int(height)), "cpu", 0.4)
frame = cv2.imread(image)
for _ in range(3):
    detector(frame)
# VmHWM: this process's own peak (ru_maxrss would carry the parent's peak over the exec)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM")) / 1024)
"""


def peak_rss_mb(path, backend, size, image):
    """Peak RSS (MB) of a fresh process that loads ``path`` with ``backend`` and detects on ``image``:
    what a user's tracking process holds for the network (torch and its import included)."""
    import subprocess
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, path, backend, str(size[0]), str(size[1]), image],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def median_seconds(fn, blobs, runs, warmup):
    times = []
    for i in range(warmup + runs):
        blob = blobs[i % len(blobs)]
        t0 = time.perf_counter()
        fn(blob)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, metavar="ARCH@WxH")
    parser.add_argument("--weights", default=None, help="a FairMOT checkpoint instead of random weights")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--calibration-frames", type=int, default=30)
    backends = ["torch", "onnxruntime", "onnxruntime-int8", "openvino", "openvino-int8"]
    parser.add_argument("--backends", nargs="+", default=backends, choices=backends)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--track-frames", type=int, default=0, metavar="N",
                        help="also track the first N PETS09-S2L1 frames end to end with each backend "
                             "(default tracker, no video): frames/s and the share outside the network")
    parser.add_argument("--track-stages", action="store_true",
                        help="with --track-frames: also print the tracking run's time per stage")
    parser.add_argument("--no-prefetch", action="store_true",
                        help="with --track-frames: read and letterbox each frame in the tracking loop "
                             "(no read-ahead thread)")
    args = parser.parse_args(argv)

    from fairmot.datasets.shared_data import shared_data_dir
    from fairmot.export import openvino as ovx
    from fairmot.export.calibration import calibration_blobs
    from fairmot.export.onnx import export_onnx
    from fairmot.export.onnx_int8 import quantize_onnx_int8
    from fairmot.inference.onnx_detector import OnnxDetector
    from fairmot.inference.openvino_detector import OpenVinoDetector
    from fairmot.inference.preprocess import frame_to_input
    from fairmot.inference.torch_detector import Detector
    from fairmot.models import create_model, model_from_checkpoint
    from fairmot.models.random_init import randomize_

    images = sorted(glob.glob(os.path.join(shared_data_dir(), "PETS09-S2L1", "img1", "*.jpg")))
    if not images:
        sys.exit("bench_backends: PETS09-S2L1 frames not found under the shared data folder")
    frames = [cv2.imread(p) for p in images[:: max(1, len(images) // 60)][:60]]
    print(f"torch {torch.__version__} ({torch.get_num_threads()} threads); frames: {len(frames)} PETS09-S2L1 "
          f"frames, cycled; median of {args.runs} after {args.warmup} warm-up")
    print(f"{'config':<24}{'backend':<16}{'s/frame':>9}{'frames/s':>10}{'peak RSS MB':>13}")
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as folder:
        for config in args.configs:
            arch, size = config.split("@")
            width, height = (int(v) for v in size.lower().split("x"))
            if args.weights:
                model = model_from_checkpoint(args.weights).eval()
            else:
                model = create_model(arch).eval()
                randomize_(model, torch.Generator().manual_seed(0), offset_scale=1.0)
            blobs = [frame_to_input(f, width, height)[0] for f in frames]
            detectors, paths = {}, {}
            for backend in args.backends:
                if backend == "torch":
                    from fairmot.models.random_init import write_checkpoint
                    path = args.weights or str(write_checkpoint(os.path.join(folder, f"{arch}.pth"), model))
                    detectors[backend] = Detector(model, (width, height), "cpu")
                elif backend.startswith("onnxruntime"):
                    path = os.path.join(folder, f"{arch}_{width}.onnx")
                    if not os.path.exists(path):
                        export_onnx(model, path, (width, height))
                    if backend == "onnxruntime-int8":
                        fp32_path, path = path, os.path.join(folder, f"{arch}_{width}_int8.onnx")
                        calibration = calibration_blobs(frames[: args.calibration_frames], (width, height))
                        quantize_onnx_int8(fp32_path, path, calibration)
                    detectors[backend] = OnnxDetector(path, providers=["CPUExecutionProvider"])
                else:
                    ov_model = ovx.convert_to_openvino(model, (width, height))
                    if backend == "openvino-int8":
                        calibration = calibration_blobs(frames[: args.calibration_frames], (width, height))
                        ov_model = ovx.quantize_int8(ov_model, calibration)
                    path = os.path.join(folder, f"{arch}_{width}_{backend}.xml")
                    ovx.save_openvino(ov_model, path)
                    detectors[backend] = OpenVinoDetector(path)
                paths[backend] = path
                inputs = [detectors[backend].prepare(f)[0] for f in frames]  # what each backend's network takes
                seconds = median_seconds(detectors[backend].forward, inputs, args.runs, args.warmup)
                rss = peak_rss_mb(path, backend.split("-")[0], (width, height), images[0])
                line = f"{config:<24}{backend:<16}{seconds:>9.3f}{1 / seconds:>10.2f}{rss:>13.0f}"
                if args.track_frames:
                    summary = track_pets(detectors[backend], args.track_frames, not args.no_prefetch)
                    line += f"   track: {summary.fps:6.2f} frames/s, {summary.outside_network:.1%} outside the network"
                    if args.track_stages:
                        line += "\n    " + summary.format().splitlines()[1].strip()
                print(line, flush=True)
                if backend != "torch":
                    del detectors[backend]   # one backend in memory at a time besides torch
            if args.profile:
                for backend in ("openvino", "openvino-int8"):
                    path = os.path.join(folder, f"{arch}_{width}_{backend}.xml")
                    if os.path.exists(path):
                        print_profile(config, backend, path, blobs[0])
    return 0


def track_pets(detector, frames, prefetch=True):
    """The tracking pipeline (default tracker, no outputs) over the first ``frames`` PETS frames."""
    from fairmot.datasets.shared_data import shared_data_dir
    from fairmot.inference.pipeline import track_source
    from fairmot.inference.sources import open_source
    from fairmot.trackers import DEFAULT_TRACKER, create_tracker
    with open_source(os.path.join(shared_data_dir(), "PETS09-S2L1"), end_frame=frames) as source:
        return track_source(source, detector, create_tracker(DEFAULT_TRACKER, source.fps), progress=False,
                            prefetch=prefetch)


def print_profile(config, backend, path, blob):
    import openvino as ov
    core = ov.Core()
    compiled = core.compile_model(core.read_model(path), "CPU", {"PERFORMANCE_HINT": "LATENCY",
                                                                  "INFERENCE_PRECISION_HINT": "f32",
                                                                  "PERF_COUNT": True})
    request = compiled.create_infer_request()
    for _ in range(2):
        request.infer({0: blob[None]})
    by_type = collections.defaultdict(float)
    by_node = []
    for p in request.get_profiling_info():
        seconds = p.real_time.total_seconds()
        by_type[f"{p.node_type} ({p.exec_type})"] += seconds
        by_node.append((seconds, p.node_name, p.node_type))
    total = sum(by_type.values())
    print(f"\n{config} {backend}: per-layer profile, {total:.3f} s in all")
    for name, seconds in sorted(by_type.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {name:<50}{seconds:>8.3f} s {100 * seconds / total:>5.1f}%")
    print("  slowest layers:")
    for seconds, name, kind in sorted(by_node, reverse=True)[:6]:
        print(f"    {seconds:.3f} s  {kind:<22} {name[:70]}")
    print()


if __name__ == "__main__":
    sys.exit(main())
