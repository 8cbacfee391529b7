#!/usr/bin/env python
"""Shrink a training checkpoint to an inference one: network weights and what is needed to use
them (arch, heads, head_conv, training input size); no optimizer or loss state. Tensors larger
than --min-half-numel are stored in float16 (loaded back as float32), which halves the size, or
with --int8 as int8 with one float scale per row (fairmot.models.checkpoint.quantize_int8), a
quarter of the float32 size; read_checkpoint turns both back into float32.

    python scripts/pack_weights.py runs/synth/model_last.pth fairmot/models/weights/demo_resdcn18w32_synth.pth --int8

Prints the largest difference of the raw head outputs between the two on a test input.
"""
import argparse
import os
import sys

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--min-half-numel", type=int, default=4096,
                        help="store tensors with at least this many values in float16 (0: keep float32)")
    parser.add_argument("--int8", action="store_true", help="store those tensors as int8 with per-row scales")
    args = parser.parse_args()

    from fairmot.models import model_from_checkpoint, read_checkpoint
    from fairmot.models.checkpoint import INT8_SCALES, infer_model_config, quantize_int8
    from fairmot.utils.atomic import atomic_save

    state_dict, meta = read_checkpoint(args.source)
    arch, heads, head_conv = infer_model_config(state_dict, meta)
    small = {k for k, v in state_dict.items()
             if not (args.min_half_numel > 0 and v.is_floating_point() and v.numel() >= args.min_half_numel)}
    packed, scales = {}, {}
    for name, value in state_dict.items():
        if name in small:
            packed[name] = value
        elif args.int8:
            packed[name], scales[name] = quantize_int8(value)
        else:
            packed[name] = value.half()
    config = meta.get("config", {})
    out = {"epoch": meta.get("epoch"), "state_dict": packed, "arch": arch, "heads": heads, "head_conv": head_conv,
           "config": {k: config[k] for k in ("input_size", "ltrb", "data") if k in config}}
    if meta.get("classes"):   # a model of several classes names them
        out["classes"] = meta["classes"]
    if scales:
        out[INT8_SCALES] = scales
    os.makedirs(os.path.dirname(os.path.abspath(args.target)), exist_ok=True)
    atomic_save(args.target, lambda tmp: torch.save(out, tmp))

    width, height = config.get("input_size", (320, 192))
    x = torch.rand(1, 3, height, width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = model_from_checkpoint(args.source)(x)
        b = model_from_checkpoint(args.target)(x)
    worst = max(((a[k] - b[k]).abs().max() / a[k].abs().max()).item() for k in a)
    print(f"{args.target}: {os.path.getsize(args.target) / 2**20:.1f} MiB ({arch}, heads {heads}); "
          f"largest relative output difference {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
