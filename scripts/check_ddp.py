#!/usr/bin/env python
"""Does multi-process training (torchrun + DDP, gloo on CPU) follow the one-process loss curve?

    python scripts/check_ddp.py                      # float32, lr 1e-4, from scratch, 20 steps
    python scripts/check_ddp.py --float64            # the same in double precision
    python scripts/check_ddp.py --lr 1e-5 --json out.json

Runs ``fairmot train`` twice with the same global batch, seed and data (synthetic unless
``--data`` is given): once in one process, once as ``--nproc`` processes, and prints the loss
of every step and the relative difference. ``--threads-control`` adds a third run, one process
with a different thread count: the same computation summed in another order, which shows how far
float32 rounding alone moves the curve (Adam turns tiny gradient differences into full-size
steps, so from-scratch float32 curves drift apart whatever runs them).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

TERMS = ("loss", "hm_loss", "wh_loss", "off_loss", "id_loss")


def _read_steps(folder):
    with open(os.path.join(folder, "steps.jsonl")) as f:
        return [json.loads(line) for line in f]


def _train(train_args, output, threads, nproc):
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    launcher = [sys.executable, "-m", "fairmot"]
    if nproc > 1:
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
                    "-m", "fairmot"]
    done = subprocess.run(launcher + train_args + ["--output", output], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"training with {nproc} process(es) failed:\n{done.stderr[-3000:]}")
    return _read_steps(output)


def relative_differences(reference, other, terms=TERMS):
    """Per step, the largest relative difference over the given loss terms."""
    if len(reference) != len(other):
        raise ValueError(f"{len(reference)} steps against {len(other)}")
    return [max(abs(b[t] - a[t]) / abs(a[t]) for t in terms if t in a and a[t] != 0)
            for a, b in zip(reference, other)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="data config JSON (default: a small synthetic set)")
    parser.add_argument("--arch", default="resdcn_18_w32")
    parser.add_argument("--head-conv", type=int, default=16)
    parser.add_argument("--input-size", default="128x96")
    parser.add_argument("--batch-size", type=int, default=4, help="global batch, the same for both runs")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--steps", type=int, default=20, help="compared steps (two epochs of half that)")
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--float64", action="store_true")
    parser.add_argument("--no-sync-bn", dest="sync_bn", action="store_false",
                        help="per-process BatchNorm statistics (then the curves differ from step 1)")
    parser.add_argument("--threads-control", action="store_true",
                        help="also run one process with 2 threads instead of 1")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--json", help="write the curves and differences here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            subprocess.run([sys.executable, "-m", "fairmot", "synth", os.path.join(tmp, "synth"), "--sequences", "3",
                            "--frames", "24", "--width", "256", "--height", "160", "--seed", "1"],
                           check=True, capture_output=True)
            data = os.path.join(tmp, "synth", "data.json")
        train_args = ["train", "--data", data, "--arch", args.arch, "--head-conv", str(args.head_conv),
                      "--input-size", args.input_size, "--batch-size", str(args.batch_size), "--epochs", "2",
                      "--lr", str(args.lr), "--num-workers", "0", "--seed", str(args.seed),
                      "--max-steps-per-epoch", str((args.steps + 1) // 2), "--log-steps"]
        train_args += ["--sync-bn"] * args.sync_bn + ["--float64"] * args.float64
        curves = {"one process": _train(train_args, os.path.join(tmp, "one"), 1, 1),
                  f"{args.nproc} processes": _train(train_args, os.path.join(tmp, "ddp"), 1, args.nproc)}
        if args.threads_control:
            curves["one process, 2 threads"] = _train(train_args, os.path.join(tmp, "threads"), 2, 1)

    names = list(curves)
    reference = curves[names[0]]
    diffs = {name: relative_differences(reference, curves[name]) for name in names[1:]}
    precision = "float64" if args.float64 else "float32"
    print(f"{args.arch} {args.input_size}, global batch {args.batch_size}, lr {args.lr:g}, {precision}, "
          f"{'synchronised' if args.sync_bn else 'per-process'} BatchNorm")
    print(f"{'step':>4s} {'loss (1 proc)':>14s} " + " ".join(f"{'rel. diff ' + n:>32s}" for n in diffs))
    for i, record in enumerate(reference):
        print(f"{i + 1:4d} {record['loss']:14.6f} " + " ".join(f"{diffs[n][i]:32.2e}" for n in diffs))
    for name, d in diffs.items():
        total = relative_differences(reference, curves[name], ("loss",))
        print(f"{name} vs one process, largest relative difference: any loss term {max(d):.2e} "
              f"(steps 1-4: {max(d[:4]):.2e}), total loss {max(total):.2e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": vars(args), "curves": curves, "relative_differences": diffs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
