"""Stages of the long benches (bench_distill_classes.py, bench_loss_balance.py): each a ``fairmot``
command, printed before it runs; a training whose last checkpoint reached its epochs is skipped and
one cut short resumes, so a bench can be run again to finish what an earlier run began."""
import json
import os
import subprocess
import sys
import time


def fairmot(*args, log=None):
    """Run ``python -m fairmot ARGS`` (printed first; output to ``log`` when given); its seconds."""
    command = [sys.executable, "-m", "fairmot", *map(str, args)]
    print("$ fairmot " + " ".join(map(str, args)), flush=True)
    start = time.perf_counter()
    if log:
        with open(log, "a") as f:
            subprocess.run(command, check=True, stdout=f, stderr=subprocess.STDOUT)
    else:
        subprocess.run(command, check=True)
    return time.perf_counter() - start


def last_epoch(run):
    """The epoch of ``run``'s model_last.pth (0 when there is none)."""
    path = os.path.join(run, "model_last.pth")
    if not os.path.exists(path):
        return 0
    import torch
    return int(torch.load(path, map_location="cpu", weights_only=False).get("epoch", 0))


def train_stage(command, run, epochs, args, times, key):
    """``fairmot COMMAND ARGS --output RUN`` unless RUN reached ``epochs``; resumes a cut run.
    Its minutes go to ``times[key]``; its output to RUN.log. Raises CalledProcessError on failure."""
    if last_epoch(run) >= epochs:
        print(f"{key}: done already ({run})", flush=True)
        return
    resume = ["--resume"] if os.path.exists(os.path.join(run, "model_last.pth")) else []
    times[key] = fairmot(command, *args, "--output", run, *resume, log=run.rstrip("/") + ".log") / 60


def evaluate(gt_root, weights, out, *extra):
    """``fairmot eval GT_ROOT --weights W --json OUT`` once (kept in OUT); the parsed JSON."""
    if not os.path.exists(out):
        fairmot("eval", gt_root, "--weights", weights, "--json", out, "--output", out + ".tracks", *extra)
    return json.load(open(out))
