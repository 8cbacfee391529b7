#!/usr/bin/env python
"""Network speed on this machine: parameters, GFLOP, seconds/frame (batch 1, fp32, forward only),
peak memory, profile.

    python scripts/bench_model.py                 # dla_34 at 1088x608, 864x480, 576x320 + resdcn_18
    python scripts/bench_model.py --all           # every architecture at 1088x608 and 576x320
    python scripts/bench_model.py --profile       # also: where the time of dla_34 1088x608 goes
    python scripts/bench_model.py --configs dla_34@576x320 --runs 3
    python scripts/bench_model.py --configs resdcn_18_w32:64@576x320 resdcn_18_w16@576x320   # head_conv 64

GFLOP: twice the multiply-accumulates torch's FlopCounterMode counts in one forward (convolutions,
transposed convolutions, matrix products); a deformable convolution counts as its offset/mask
convolution plus a dense convolution of the same kernel (its bilinear sampling is not counted).

Each configuration runs in its own process so its peak RSS is its own. Weights are random (speed
does not depend on them). Threads: torch's default (all cores) unless --threads is given.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

DEFAULT_CONFIGS = ["dla_34@1088x608", "dla_34@864x480", "dla_34@576x320",
                   "resdcn_18@1088x608", "resdcn_18@864x480", "resdcn_18@576x320"]


def _rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def model_and_input(config, threads):
    """``ARCH[:HEAD_CONV]@WxH`` -> (a fresh model in eval mode, a random input of that size);
    without HEAD_CONV the architecture's default (``arch_defaults``)."""
    import torch

    from fairmot.models import create_model
    if threads:
        torch.set_num_threads(threads)
    arch, size = config.split("@")
    arch, _, head_conv = arch.partition(":")
    width, height = (int(v) for v in size.split("x"))
    return create_model(arch, head_conv=int(head_conv) if head_conv else None).eval(), torch.rand(1, 3, height, width)


def count_gflop(model, x):
    """Each deformable convolution counts as its offset/mask convolution plus a dense convolution of
    its weight: our implementation's sparse sampling matrix would otherwise count as a dense one."""
    import types

    import torch
    import torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode

    from fairmot.models import DCN

    def dense_equivalent(dcn, x):
        dcn.conv_offset_mask(x)
        return F.conv2d(x, dcn.weight, dcn.bias, dcn.stride, dcn.padding, dcn.dilation)

    dcns = [m for m in model.modules() if isinstance(m, DCN)]
    for m in dcns:
        m.forward = types.MethodType(dense_equivalent, m)
    try:
        with torch.inference_mode(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        for m in dcns:
            del m.forward
    return counter.get_total_flops() / 1e9


def run_one(config, runs, warmup, threads):
    import torch
    model, x = model_and_input(config, threads)
    rss_model = _rss_mb()
    params = sum(p.numel() for p in model.parameters())
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            model(x)
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times.sort()
    return {"config": config, "median_s": times[len(times) // 2], "min_s": times[0], "params_m": params / 1e6,
            "gflop": count_gflop(model, x), "rss_model_mb": rss_model, "peak_rss_mb": peak,
            "threads": torch.get_num_threads()}


def profile(config, threads):
    """Time per network part (module hooks) and per operator (torch.profiler)."""
    import torch
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from fairmot.models import DCN
    model, x = model_and_input(config, threads)
    parts = {"backbone": [getattr(model, "base", None)], "dla_up": [getattr(model, "dla_up", None)],
             "ida_up": [getattr(model, "ida_up", None)], "heads": [getattr(model, h) for h in model.heads]}
    spent = {k: 0.0 for k in list(parts) + ["deformable convs (in dla_up+ida_up)", "  offset/mask convs"]}

    def timed(name, module):
        def pre(*_):
            module._t0 = time.perf_counter()

        def post(*_):
            spent[name] += time.perf_counter() - module._t0
        module.register_forward_pre_hook(pre)
        module.register_forward_hook(post)

    for name, modules in parts.items():
        for m in modules:
            if m is not None:
                timed(name, m)
    for m in model.modules():
        if isinstance(m, DCN):
            timed("deformable convs (in dla_up+ida_up)", m)
            timed("  offset/mask convs", m.conv_offset_mask)
    with torch.inference_mode():
        model(x)
        for k in spent:
            spent[k] = 0.0
        t0 = time.perf_counter()
        model(x)
        total = time.perf_counter() - t0
        measured = dict(spent)  # the hooks keep adding to ``spent`` during the profiled run below
        with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
            model(x)
    print(f"\nwhere the time goes: {config}, one forward {total:.3f} s")
    for k, v in measured.items():
        print(f"  {k:40s} {v:7.3f} s  {100 * v / total:5.1f}%")
    events = prof.key_averages()
    rows = sorted(events, key=lambda e: e.cpu_time_total, reverse=True)
    labels = [e for e in rows if e.key.startswith("dcn.")]
    print("  inside the 16 deformable convs (profiler, includes its overhead):")
    for e in labels:
        print(f"    {e.key:36s} {e.cpu_time_total / 1e6:7.3f} s  ({e.count} calls)")
    print("  top operators by self time:")
    for e in sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:8]:
        print(f"    {e.key:36s} {e.self_cpu_time_total / 1e6:7.3f} s  ({e.count} calls)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help="ARCH@WxH ...")
    parser.add_argument("--all", action="store_true", help="every architecture at 1088x608 and 576x320")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.runs, args.warmup, args.threads)))
        return 0
    import torch
    if args.all:
        from fairmot.models import list_archs
        args.configs = [f"{arch}@{size}" for arch in list_archs() for size in ("1088x608", "576x320")]
    print(f"torch {torch.__version__}, {os.cpu_count()} cpus, threads {args.threads or torch.get_num_threads()}, "
          f"batch 1, fp32, forward only, {args.runs} timed runs after {args.warmup} warm-up")
    print(f"{'config':24s} {'params M':>8s} {'GFLOP':>7s} {'median s/frame':>15s} {'min':>8s} {'fps':>6s} "
          f"{'RSS model MB':>13s} {'peak RSS MB':>12s}")
    for config in args.configs:
        out = subprocess.run([sys.executable, __file__, "--child", config, "--runs", str(args.runs),
                              "--warmup", str(args.warmup), "--threads", str(args.threads)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(f"{config}: failed\n{out.stderr}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{config:24s} {r['params_m']:8.2f} {r['gflop']:7.1f} {r['median_s']:15.3f} {r['min_s']:8.3f} "
              f"{1 / r['median_s']:6.2f} {r['rss_model_mb']:13.0f} {r['peak_rss_mb']:12.0f}", flush=True)
    if args.profile:
        profile("dla_34@1088x608", args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
