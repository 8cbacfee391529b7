"""Multi-process training with torch.distributed (launched by ``torchrun``), CPU or GPU.

``torchrun --nproc_per_node N -m fairmot train ...`` sets RANK/WORLD_SIZE/LOCAL_RANK; we pick
NCCL on GPUs and gloo on CPUs. Single-process runs take the same code path with world size 1.
"""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn as nn


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def enabled(self):
        return self.world_size > 1


def init_from_env(device_type):
    """Join the process group torchrun describes in the environment (no-op when not launched so)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0")), dist.get_world_size())


def cleanup():
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm whose training statistics cover the batch of all processes, on any device.

    torch.nn.SyncBatchNorm does this on GPUs only; this uses the differentiable
    ``torch.distributed.nn.all_reduce`` so it also runs with gloo on CPUs. Same parameters and
    buffers as BatchNorm2d, so checkpoints are unaffected.
    """

    def forward(self, x):
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        from torch.distributed.nn.functional import all_reduce
        c = x.shape[1]
        count = torch.tensor([x.numel() / c], dtype=x.dtype, device=x.device)
        # two passes (mean, then centred squares), as precise as the single-process BatchNorm
        sums = all_reduce(torch.cat([x.sum((0, 2, 3)), count]))
        n = sums[-1]
        mean = sums[:c] / n
        centred = x - mean.view(1, c, 1, 1)
        var = all_reduce((centred * centred).sum((0, 2, 3))) / n
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * n / (n - 1))
        scale = self.weight * torch.rsqrt(var + self.eps)
        return centred * scale.view(1, c, 1, 1) + self.bias.view(1, c, 1, 1)


def convert_sync_batchnorm(module, device_type):
    """BatchNorm -> synchronised BatchNorm: torch's SyncBatchNorm on CUDA, GlobalBatchNorm2d elsewhere."""
    if device_type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm2d:
            sync = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine,
                                     child.track_running_stats)
            sync.load_state_dict(child.state_dict())
            setattr(module, name, sync)
        else:
            convert_sync_batchnorm(child, device_type)
    return module


def all_reduce_sum(values, info):
    """Sum a list of floats over processes (returns them unchanged when not distributed)."""
    if not info.enabled:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def broadcast_flag(flag, info):
    """Rank 0's boolean, on every process."""
    if not info.enabled:
        return flag
    t = torch.tensor([1 if flag else 0])
    dist.broadcast(t, 0)
    return bool(t.item())


__all__ = ["DistInfo", "init_from_env", "cleanup", "GlobalBatchNorm2d", "convert_sync_batchnorm",
           "all_reduce_sum", "broadcast_flag"]
