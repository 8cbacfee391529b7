"""Random network weights with realistic statistics, for tests, benchmarks and fidelity checks."""
import math

import torch


def randomize_(model, generator, offset_scale):
    """Fill every parameter and buffer with random values of a realistic scale."""
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            t.copy_(torch.rand(t.shape, generator=generator) * 1.5 + 0.5)
        elif name.endswith("running_mean"):
            t.copy_(torch.randn(t.shape, generator=generator) * 0.2)
        elif t.dim() == 1:  # BN weight/bias, conv biases
            base = 1.0 if name.endswith("weight") else 0.0
            t.copy_(base + torch.randn(t.shape, generator=generator) * 0.2)
        else:
            fan_in = t[0].numel()
            std = math.sqrt(2.0 / fan_in)
            if "conv_offset_mask" in name:
                std = offset_scale / math.sqrt(fan_in)
            t.copy_(torch.randn(t.shape, generator=generator) * std)
