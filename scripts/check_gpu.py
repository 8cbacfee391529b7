#!/usr/bin/env python
"""Check the CUDA paths on a GPU machine in a few minutes; exit 1 on any mismatch or failure.

    python scripts/check_gpu.py [--skip-training] [--frames 60]

1. DCN: torchvision's CUDA kernel (when torchvision imports) against the project's own deformable
   convolution on the same GPU, forward and backward (all five inputs' gradients).
2. Training: 10 steps of dla_34 on synthetic data in one process with AMP and --sync-bn, then a
   --resume for 10 more; both must finish with finite losses and a checkpoint that loads.
3. With 2 or more GPUs: the same data under ``torchrun --nproc_per_node 2`` (NCCL, --sync-bn).
4. Tracking a synthetic clip at 1088x608 in float32 and float16: frames/s of the network alone
   and end to end; the float16 tracks must follow the float32 ones.

On a machine without CUDA it says so and exits 0. Each check prints one line starting with
"ok" or "FAIL"; the last line is the verdict.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def check_dcn(torch, results):
    from fairmot.models import deform_conv

    tv = deform_conv._torchvision_deform_conv2d()
    if tv is None:
        results.append(("skip", "dcn: torchvision does not import here, so the project's DCN runs on CUDA too"))
        return
    g = torch.Generator(device="cuda").manual_seed(0)
    n, c, h, w, k = 2, 16, 24, 40, 9
    inputs = [torch.randn(n, c, h, w, device="cuda", generator=g),
              torch.randn(n, 2 * k, h, w, device="cuda", generator=g) * 3,
              torch.rand(n, k, h, w, device="cuda", generator=g),
              torch.randn(32, c, 3, 3, device="cuda", generator=g) * 0.1,
              torch.randn(32, device="cuda", generator=g)]

    def run(use_torchvision):
        leaves = [t.clone().requires_grad_(True) for t in inputs]
        original = deform_conv._torchvision_deform_conv2d
        if not use_torchvision:
            deform_conv._torchvision_deform_conv2d = lambda: None
        try:
            out = deform_conv.deform_conv2d(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], 1, 1, 1)
        finally:
            deform_conv._torchvision_deform_conv2d = original
        out.backward(torch.ones_like(out))
        return [out.detach()] + [t.grad for t in leaves]

    ours, theirs = run(False), run(True)
    names = ["output", "d input", "d offset", "d mask", "d weight", "d bias"]
    worst = {name: ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item()
             for name, a, b in zip(names, ours, theirs)}
    ok = all(v < 1e-4 for v in worst.values())
    results.append(("ok" if ok else "FAIL", "dcn vs torchvision, largest relative difference: "
                    + ", ".join(f"{k} {v:.1e}" for k, v in worst.items())))


def synth_data(folder):
    subprocess.run([sys.executable, "-m", "fairmot", "synth", folder, "--sequences", "3", "--frames", "20",
                    "--seed", "0"], check=True, capture_output=True)
    return os.path.join(folder, "data.json")


def check_training(data, folder, results):
    common = ["--data", data, "--arch", "dla_34", "--input-size", "576x320", "--batch-size", "4",
              "--num-workers", "2", "--sync-bn", "--max-steps-per-epoch", "10", "--device", "cuda"]
    out = os.path.join(folder, "one")
    for epochs, extra in ((1, []), (2, ["--resume"])):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "fairmot", "train", *common, "--output", out,
                               "--epochs", str(epochs), *extra], capture_output=True, text=True)
        what = "train 10 steps dla_34 AMP + sync-bn" + (", resumed" if extra else "")
        if proc.returncode != 0:
            results.append(("FAIL", f"{what}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}"))
            return
        log = [json.loads(line) for line in open(os.path.join(out, "log.jsonl"))]
        finite = all(abs(r["loss"]) < 1e6 for r in log)
        results.append(("ok" if finite and len(log) == epochs else "FAIL",
                        f"{what}: {len(log)} epoch(s), loss {log[-1]['loss']:.3f}, "
                        f"{log[-1]['images_per_s']} img/s, {time.perf_counter() - t0:.0f} s"))


def check_ddp(torch, data, folder, results):
    if torch.cuda.device_count() < 2:
        results.append(("skip", f"ddp: {torch.cuda.device_count()} GPU (torchrun needs 2)"))
        return
    out = os.path.join(folder, "ddp")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m", "fairmot", "train", "--data", data, "--arch", "dla_34", "--input-size", "576x320",
                           "--batch-size", "4", "--num-workers", "1", "--sync-bn", "--max-steps-per-epoch", "10",
                           "--epochs", "1", "--output", out], capture_output=True, text=True)
    ok = proc.returncode == 0 and os.path.isfile(os.path.join(out, "model_last.pth"))
    results.append(("ok" if ok else "FAIL", "torchrun 2 GPUs (NCCL, sync-bn): "
                    + ("model_last.pth written" if ok else proc.stderr.strip()[-300:])))


def check_tracking(torch, folder, frames, results):
    from fairmot.datasets.synthetic import SynthConfig, write_sequence
    from fairmot.inference.pipeline import track_to_folder
    from fairmot.inference.sources import open_source
    from fairmot.inference.torch_detector import Detector
    from fairmot.models.random_init import detector_like_model

    seq = os.path.join(folder, "clip")
    write_sequence(seq, SynthConfig(width=1280, height=720, frames=frames), seed=(3, 0))
    model = detector_like_model("dla_34")
    rows = {}
    for half in (False, True):
        detector = Detector(model, (1088, 608), device="cuda", half=half)
        name = "fp16" if half else "fp32"
        with open_source(seq) as source:
            summary = track_to_folder(source, detector, os.path.join(folder, name), video_format=None,
                                      progress=False)
        network_fps = summary.frames / max(summary.seconds["network"], 1e-9)
        rows[name] = open(summary.result_path).read().splitlines()
        results.append(("ok", f"track 1088x608 {name}: network {network_fps:.1f} frames/s, end to end "
                        f"{summary.fps:.1f} frames/s ({summary.frames} frames, {summary.tracks} tracks)"))
        model = detector.model.float()
    same = sum(a.split(",")[:2] == b.split(",")[:2] for a, b in zip(rows["fp32"], rows["fp16"]))
    share = same / max(len(rows["fp32"]), 1)
    results.append(("ok" if share >= 0.9 else "FAIL",
                    f"fp16 tracks follow fp32: {share:.1%} of {len(rows['fp32'])} result rows have the same "
                    "frame and id"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--frames", type=int, default=60, help="frames of the tracking clip (default 60)")
    args = parser.parse_args()

    import torch
    if not torch.cuda.is_available():
        print(f"no CUDA GPU visible to torch {torch.__version__}: nothing to check here")
        return 0
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.device_count()} GPU(s): "
          + ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())), flush=True)
    results = []
    steps = [("dcn", lambda: check_dcn(torch, results))]
    with tempfile.TemporaryDirectory(prefix="fairmot-gpu-") as folder:
        if not args.skip_training:
            data = synth_data(os.path.join(folder, "data"))
            steps += [("training", lambda: check_training(data, folder, results)),
                      ("ddp", lambda: check_ddp(torch, data, folder, results))]
        steps.append(("tracking", lambda: check_tracking(torch, folder, args.frames, results)))
        for name, step in steps:
            done = len(results)
            try:
                step()
            except Exception as err:  # a check that crashes is a failed check, and the others still run
                results.append(("FAIL", f"{name}: {type(err).__name__}: {str(err).splitlines()[0][:300]}"))
            for verdict, line in results[done:]:
                print(f"{verdict:4s} {line}", flush=True)
    failed = [r for r in results if r[0] == "FAIL"]
    print(f"{len(results) - len(failed)} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
