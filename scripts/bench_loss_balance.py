"""--loss-balance at a sound and at a too-high learning rate, on synthetic pedestrian data.

centerX's adaptive loss holds every term at a fixed value (weights set each step, detached) and
is said to survive learning rates at which the usual balance collapses. This trains one small
network (``resdcn_18_w32`` at 384x224, Adam, as the README's synthetic recipe) for each
(learning rate, balance + schedule) and scores it on held-out synthetic clips:

- ``uncertainty+step``: FairMOT's learnable s_det / s_id, lr x0.1 after 3/4 of the epochs (the default);
- ``uncertainty+cosine``: the same balance with the cosine schedule (is it the schedule that helps?);
- ``adaptive+cosine``: centerX's pairing.

A run whose loss becomes NaN / inf stops (``fairmot train`` refuses to go on) and counts as
diverged; a run that trains but finds nothing (AP50 near 0) has collapsed.

    python scripts/bench_loss_balance.py --work /tmp/balance [--lrs 1e-3,1e-2] [--epochs 8] [--json out.json]
        [--optimizer sgd --lrs 1e-2,1e-1]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stages import evaluate, fairmot, last_epoch, train_stage  # noqa: E402

from fairmot.training.config import OPTIMIZERS  # noqa: E402

CONFIGS = {"uncertainty+step": ("uncertainty", "step"), "uncertainty+cosine": ("uncertainty", "cosine"),
           "adaptive+cosine": ("adaptive", "cosine")}


def read_log(run):
    path = os.path.join(run, "log.jsonl")
    return [json.loads(line) for line in open(path)] if os.path.exists(path) else []


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/fairmot_balance")
    parser.add_argument("--lrs", default="1e-3,1e-2", help="learning rates, comma-separated")
    parser.add_argument("--configs", default=",".join(CONFIGS), help=f"of {', '.join(CONFIGS)}")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--sequences", type=int, default=12)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZERS,
                        help="Adam (FairMOT's) normalises each step whatever the loss's scale, so no balance "
                             "can rescue a too-high lr; with SGD (centerX's) the step follows the loss")
    parser.add_argument("--json", help="write the table as JSON")
    args = parser.parse_args()
    work = os.path.abspath(args.work)
    os.makedirs(os.path.join(work, "runs"), exist_ok=True)
    data, heldout = os.path.join(work, "data"), os.path.join(work, "heldout")
    if not os.path.exists(os.path.join(data, "data.json")):
        fairmot("synth", data, "--sequences", args.sequences, "--frames", args.frames, "--seed", 0,
                "--val-sequences", 0)
    if not os.path.exists(os.path.join(heldout, "data.json")):
        fairmot("synth", heldout, "--sequences", 2, "--frames", 150, "--seed", 7, "--val-sequences", 0,
                "--name", "heldout")
    rows = []
    for lr in args.lrs.split(","):
        for name in args.configs.split(","):
            balance, schedule = CONFIGS[name]
            key = f"{name}@{lr}" + ("" if args.optimizer == "adam" else f"+{args.optimizer}")
            run = os.path.join(work, "runs", key)
            times = {}
            outcome = "trained"
            try:
                train_stage("train", run, args.epochs,
                            ["--data", os.path.join(data, "data.json"), "--arch", "resdcn_18_w32", "--head-conv", 64,
                             "--input-size", "384x224", "--batch-size", 8, "--epochs", args.epochs, "--lr", lr,
                             "--lr-step", max(args.epochs * 3 // 4, 1), "--lr-schedule", schedule,
                             "--loss-balance", balance, "--optimizer", args.optimizer, "--num-workers", 1],
                            times, key)
            except subprocess.CalledProcessError:
                outcome = f"diverged in epoch {last_epoch(run) + 1}"
            log = read_log(run)
            row = {"lr": float(lr), "optimizer": args.optimizer, "config": name, "outcome": outcome, "epochs": len(log),
                   "hm_loss": [round(r["hm_loss"], 3) for r in log], "minutes": times.get(key)}
            if last_epoch(run) >= args.epochs:
                overall = evaluate(heldout, os.path.join(run, "model_last.pth"),
                                   os.path.join(work, f"eval_{key}.json"))["OVERALL"]
                row.update({k: overall[k] for k in ("AP50", "MOTA", "IDF1")})
                if overall["AP50"] < 0.05:
                    row["outcome"] = "collapsed (finds nothing)"
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{'lr':>7} {'balance + schedule':<20} {'AP50':>6} {'MOTA':>7} {'IDF1':>6}  outcome; heatmap loss by epoch")
    for r in rows:
        scores = (f"{r['AP50']:6.1%} {r['MOTA']:7.1%} {r['IDF1']:6.1%}" if "AP50" in r
                  else f"{'-':>6} {'-':>7} {'-':>6}")
        print(f"{r['lr']:7.0e} {r['config']:<20} {scores}  {r['outcome']}; {r['hm_loss']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
