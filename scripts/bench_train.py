#!/usr/bin/env python
"""Training throughput on this machine: images/second of forward + backward + Adam step.

    python scripts/bench_train.py                       # dla_34 at 1088x608 and 576x320, batch 2
    python scripts/bench_train.py --archs dla_34 resdcn_18 --sizes 576x320 --batch-size 4

Data comes from the project's synthetic generator (written to a temporary folder) through the
real JointDataset with augmentation, so the numbers include data loading on one worker.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", nargs="+", default=["dla_34"])
    parser.add_argument("--sizes", nargs="+", default=["1088x608", "576x320"])
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6, help="timed steps (after 2 warm-up steps)")
    parser.add_argument("--num-workers", type=int, default=1)
    args = parser.parse_args()

    import torch

    from fairmot.training.config import TrainConfig
    from fairmot.training.trainer import Trainer

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "fairmot", "synth", os.path.join(tmp, "data"), "--sequences", "2",
                        "--frames", str(max(40, (args.steps + 2) * args.batch_size)), "--val-sequences", "0",
                        "--width", "1280", "--height", "720"], check=True, capture_output=True)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
              f"fp32, {args.num_workers} data worker(s)")
        print(f"{'arch':12s} {'input':10s} {'images/s':>9s} {'s/step':>8s}")
        for arch in args.archs:
            for size in args.sizes:
                w, h = (int(v) for v in size.split("x"))
                cfg = TrainConfig(data=os.path.join(tmp, "data", "data.json"), output=os.path.join(tmp, "out"),
                                  arch=arch, input_size=(w, h), batch_size=args.batch_size,
                                  num_workers=args.num_workers, epochs=1, max_steps_per_epoch=args.steps + 2)
                trainer = Trainer(cfg)
                trainer.dataset.set_epoch(1)
                loader = iter(trainer._loader(1))
                times = []
                for step in range(args.steps + 2):
                    t0 = time.perf_counter()
                    batch = {k: v.to(trainer.device) for k, v in next(loader).items()}
                    loss, _ = trainer.ddp(batch)
                    trainer.optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    trainer.optimizer.step()
                    if step >= 2:
                        times.append(time.perf_counter() - t0)
                step_s = sorted(times)[len(times) // 2]
                print(f"{arch:12s} {size:10s} {args.batch_size / step_s:9.2f} {step_s:8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
