#!/usr/bin/env python
"""PyTorch vs onnxruntime speed of the exported model: seconds/frame (batch 1, fp32, CPU).

    python scripts/bench_onnx.py                                  # dla_34 and resdcn_18 at 1088x608 and 576x320
    python scripts/bench_onnx.py --configs resdcn_18@576x320 --runs 3 --threads 2

Both backends run the same thing: the network plus decoding (peaks, top-500, boxes, normalised
embeddings), on the same random image, with the same number of threads (default: torch's, all
cores). Weights are random with deformable offsets of about two pixels (speed does not depend on
the values, only on where the samples fall). Each configuration is exported to a temporary file
first; the largest output differences are printed too.
"""
import argparse
import os
import sys
import tempfile
import time

import torch

from fairmot.models.random_init import randomize_

DEFAULT_CONFIGS = ["dla_34@1088x608", "dla_34@576x320", "resdcn_18@1088x608", "resdcn_18@576x320"]


def median_seconds(fn, runs, warmup):
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        fn()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def bench(config, runs, warmup, threads, folder):
    from fairmot.export.onnx import (
        INPUT_NAME,
        OUTPUT_NAMES,
        ExportableDetector,
        compare_outputs,
        export_onnx,
        format_diffs,
        ort_session,
    )
    from fairmot.models import create_model

    arch, size = config.split("@")
    width, height = (int(v) for v in size.lower().split("x"))
    model = create_model(arch).eval()
    randomize_(model, torch.Generator().manual_seed(0), offset_scale=1.0)
    path = os.path.join(folder, f"{arch}_{width}x{height}.onnx")
    t0 = time.perf_counter()
    export_onnx(model, path, (width, height))
    export_s = time.perf_counter() - t0
    session = ort_session(path, ["CPUExecutionProvider"], threads)
    detector = ExportableDetector(model)
    images = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(1))
    feed = {INPUT_NAME: images.numpy()}
    with torch.inference_mode():
        torch_s = median_seconds(lambda: detector(images), runs, warmup)
        reference = [t.numpy() for t in detector(images)]
    ort_s = median_seconds(lambda: session.run(list(OUTPUT_NAMES), feed), runs, warmup)
    diffs = compare_outputs(reference, session.run(list(OUTPUT_NAMES), feed))
    return torch_s, ort_s, export_s, format_diffs(diffs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help="ARCH@WxH ...")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="threads for both backends (default: torch's)")
    args = parser.parse_args()
    import onnxruntime

    threads = args.threads or torch.get_num_threads()
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, {os.cpu_count()} cpus, "
          f"{threads} threads, "
          f"batch 1, fp32, network + decoding, median of {args.runs} runs after {args.warmup} warm-up")
    print(f"{'config':20s} {'PyTorch s/frame':>16s} {'onnxruntime s/frame':>20s} {'speed-up':>9s} {'export s':>9s}  "
          "max |diff|")
    with tempfile.TemporaryDirectory() as folder:
        for config in args.configs:
            torch_s, ort_s, export_s, diffs = bench(config, args.runs, args.warmup, threads, folder)
            print(f"{config:20s} {torch_s:16.3f} {ort_s:20.3f} {torch_s / ort_s:8.2f}x {export_s:9.1f}  {diffs}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
