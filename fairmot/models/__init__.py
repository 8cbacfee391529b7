"""FairMOT networks, checkpoints, weights records and the deformable convolution.

- :mod:`.registry` ``create_model(arch, heads, head_conv)``; :mod:`.dla`, :mod:`.dlav0`,
  :mod:`.resnet_dcn`, :mod:`.resnet_fpn_dcn`, :mod:`.hrnet`, :mod:`.yolov5`, :mod:`.common` the
  architectures; :mod:`.pretrained` the ImageNet / COCO backbones they start training from;
  :mod:`.deform_conv` DCNv2 in plain PyTorch (:mod:`.dcn_reference` a literal per-pixel
  transcription to check it against);
- :mod:`.checkpoint` reading the original's and our checkpoints, strictly;
- :mod:`.zoo` weights records; :mod:`.random_init` random networks for tests and benchmarks.
"""
from fairmot.utils.lazy import lazy_exports

# name -> submodule; loaded on first use, so that ``fairmot.models.zoo`` (weights records) can be
# read without loading torch
_EXPORTS = {
    "LoadReport": "checkpoint", "infer_model_config": "checkpoint", "load_pretrained_backbone": "pretrained",
    "load_model": "checkpoint", "load_state_dict_checked": "checkpoint", "model_from_checkpoint": "checkpoint",
    "read_checkpoint": "checkpoint", "recorded_input_size": "checkpoint",
    "DCN": "deform_conv", "deform_conv2d": "deform_conv", "deform_conv2d_onnx": "deform_conv",
    "DEFAULT_HEADS": "registry", "create_model": "registry", "list_archs": "registry",
    "model_classes": "registry",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
