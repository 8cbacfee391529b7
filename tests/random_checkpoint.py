"""A random-weights FairMOT checkpoint that behaves like a detector, for tests and benchmarks.

A freshly initialised network gives a near-constant heatmap (every score ~0.1) and zero-size
boxes, so nothing reaches a tracker. Here the backbone stays random but the heads are rescaled:
the heatmap follows the (random) image features with a spread that puts about 10-20 peaks above
0.4 on a PETS09 frame at 320x192 - 576x320, boxes are pedestrian-sized (about 20x50 px there)
and embeddings vary over the image. The detections mean nothing, but their number, sizes and
frame-to-frame stability are those a tracker sees with a trained model.

``python tests/random_checkpoint.py OUT.pth [--arch resdcn_18]`` writes one.
"""
import argparse

import torch

from fairmot.models import create_model

_CALIBRATION_SIZE = (192, 320)


@torch.no_grad()
def detector_like_model(arch="resdcn_18", seed=0):
    torch.manual_seed(seed)
    model = create_model(arch).eval()
    seen = {}
    hook = model.hm.register_forward_hook(lambda module, inputs, output: seen.update(features=inputs[0]))
    model(torch.rand(1, 3, *_CALIBRATION_SIZE))
    hook.remove()
    features = seen["features"]
    for name in model.heads:
        head = getattr(model, name)
        hidden = torch.relu(head[0](features) - head[0].bias[None, :, None, None])
        head[0].weight /= hidden.std()  # hidden activations of unit spread
        head[0].bias.zero_()
        torch.nn.init.normal_(head[2].weight, std=1.0 / 16)
    model.hm[2].weight *= 10.0
    model.hm[2].bias.fill_(-1.0)
    model.wh[2].weight *= 0.1
    model.wh[2].bias.copy_(torch.tensor([1.5, 3.5, 1.5, 3.5]))  # ltrb in output-map cells
    model.reg[2].weight *= 0.1
    model.reg[2].bias.fill_(0.5)
    return model


def write_checkpoint(path, model=None, state_dict=None):
    """Save in the original FairMOT format ``{"epoch", "state_dict"}``."""
    state_dict = state_dict if state_dict is not None else model.state_dict()
    torch.save({"epoch": 0, "state_dict": state_dict}, path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--arch", default="resdcn_18")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    write_checkpoint(args.output, detector_like_model(args.arch, args.seed))
    print(args.output)
