"""FairMOT networks, checkpoints and the deformable convolution."""
from .checkpoint import (LoadReport, infer_model_config, load_imagenet_backbone, load_model,
                         load_state_dict_checked, model_from_checkpoint, read_checkpoint)
from .deform_conv import DCN, deform_conv2d, deform_conv2d_onnx
from .registry import DEFAULT_HEADS, create_model, list_archs

__all__ = ["DCN", "deform_conv2d", "deform_conv2d_onnx", "DEFAULT_HEADS", "create_model", "list_archs", "LoadReport",
           "infer_model_config", "load_imagenet_backbone", "load_model", "load_state_dict_checked",
           "model_from_checkpoint", "read_checkpoint"]
