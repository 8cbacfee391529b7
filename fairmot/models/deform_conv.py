"""Modulated deformable convolution (DCNv2) in plain PyTorch: CPU or GPU, nothing to compile.

Semantics follow the DCNv2 extension FairMOT was trained with (see FAIRMOT_REFERENCE.md):
offset channel 2k is the vertical and 2k+1 the horizontal shift of kernel tap k = i*kw + j,
samples are bilinear with every neighbour outside the image counting as zero, and each tap is
scaled by its mask value.

How it is computed (why it is fast on a CPU): the weight is applied *before* sampling. Since
bilinear sampling is linear, ``sum_k W_k . sample(x, p_k)`` equals ``sum_k sample(W_k . x, p_k)``.
So one dense matmul projects the input to ``K * C_out`` channels at every pixel, then a single
sparse matrix with ``4 * K`` non-zeros per output pixel (bilinear weight x mask, at the four
neighbours of every tap) gathers and sums them. The sparse product is one fused kernel
(CSR x dense), so no ``K * C_in``-wide column buffer is ever written, and layers that reduce
channels gather ``C_out`` rather than ``C_in`` values per tap.

``torchvision.ops.deform_conv2d`` has the same semantics; it is used for CUDA tensors when
torchvision imports (it does not on CPU-only installs of this project's torch).

ONNX has no sparse tensors and no deformable convolution, so :func:`deform_conv2d_onnx` states the
same computation with ONNX operators (GridSample + convolutions). It is slower in PyTorch and
exists for export only: :class:`DCN` switches to it while ``torch.onnx.export`` traces the model.
"""
import functools
import math
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.profiler import record_function

__all__ = ["deform_conv2d", "deform_conv2d_onnx", "DCN"]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


@functools.cache
def _torchvision_deform_conv2d():
    """torchvision's kernel if it imports and its ops load, else None."""
    try:
        from torchvision.ops import deform_conv2d as tv_deform_conv2d
    except Exception:  # missing, or built against another torch
        return None
    return tv_deform_conv2d


def _csr(crow, col, val, shape):
    with warnings.catch_warnings():  # "sparse CSR support is in beta" is not the user's concern
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, val, size=shape, check_invariants=False)


class _SparseTapSum(torch.autograd.Function):
    """out[p] = sum_j val[p, j] * proj[col[p, j]]: a CSR (rows x R) times dense (R x C_out) product.

    Backward: d proj = S^T @ d out; d val[p, j] = <d out[p], proj[col[p, j]]> (a sampled matmul).
    """

    @staticmethod
    def forward(ctx, proj, col, val):
        rows, nnz_per_row = val.shape
        crow = torch.arange(0, rows * nnz_per_row + 1, nnz_per_row, dtype=col.dtype, device=col.device)
        sparse = _csr(crow, col.reshape(-1), val.reshape(-1), (rows, proj.shape[0]))
        ctx.save_for_backward(proj, col, val, crow)
        return sparse @ proj

    @staticmethod
    def backward(ctx, grad_out):
        proj, col, val, crow = ctx.saved_tensors
        grad_out = grad_out.contiguous()
        grad_proj = grad_val = None
        shape = (val.shape[0], proj.shape[0])
        if ctx.needs_input_grad[0]:
            grad_proj = _csr(crow, col.reshape(-1), val.reshape(-1), shape).t() @ grad_out
        if ctx.needs_input_grad[2]:
            pattern = _csr(crow, col.reshape(-1), torch.ones_like(val.reshape(-1)), shape)
            grad_val = torch.sparse.sampled_addmm(pattern, grad_out, proj.t(), beta=0.0)
            grad_val = grad_val.values().view_as(val)
        return grad_proj, None, grad_val


def _sample_positions(offset, kernel, stride, padding, dilation):
    """Input row and column sampled by every tap at every output pixel: two (N, K, Ho, Wo) maps."""
    ho, wo = offset.shape[2:]
    kh, kw = kernel
    k = kh * kw
    dev, dt = offset.device, offset.dtype
    # undeformed sampling position of every (tap, output pixel)
    tap_i = torch.arange(kh, device=dev, dtype=dt).repeat_interleave(kw) * dilation[0]
    tap_j = torch.arange(kw, device=dev, dtype=dt).repeat(kh) * dilation[1]
    base_y = tap_i.view(k, 1, 1) + (torch.arange(ho, device=dev, dtype=dt) * stride[0] - padding[0]).view(1, ho, 1)
    base_x = tap_j.view(k, 1, 1) + (torch.arange(wo, device=dev, dtype=dt) * stride[1] - padding[1]).view(1, 1, wo)
    return base_y + offset[:, 0::2], base_x + offset[:, 1::2]


def _sampling_matrix(offset, mask, in_hw, kernel, stride, padding, dilation):
    """Column indices and values of the sparse sampling matrix, shape (N*Ho*Wo, 4*K) each.

    Column index = (n*H*W + y*W + x) * K + k addresses row k of pixel (y, x) in the projected input.
    """
    n, _, ho, wo = offset.shape
    h, w = in_hw
    k = kernel[0] * kernel[1]
    dev, dt = offset.device, offset.dtype
    sy, sx = _sample_positions(offset, kernel, stride, padding, dilation)
    y0 = torch.floor(sy)
    x0 = torch.floor(sx)
    ly, lx = sy - y0, sx - x0
    hy, hx = 1 - ly, 1 - lx
    # DCNv2: a sample at row <= -1 or >= H (column likewise) is zero as a whole
    inside = ((sy > -1) & (sx > -1) & (sy < h) & (sx < w)).to(dt)
    m = mask * inside
    y0i, x0i = y0.long(), x0.long()
    batch_base = (torch.arange(n, device=dev) * (h * w)).view(n, 1, 1, 1)
    tap = torch.arange(k, device=dev).view(1, k, 1, 1)
    cols, vals = [], []
    for dy, dx, wgt in ((0, 0, hy * hx), (0, 1, hy * lx), (1, 0, ly * hx), (1, 1, ly * lx)):
        yy, xx = y0i + dy, x0i + dx
        valid = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        pix = yy.clamp(0, h - 1) * w + xx.clamp(0, w - 1)
        cols.append((batch_base + pix) * k + tap)
        vals.append(wgt * m * valid.to(dt))
    # (N, K, 4, Ho, Wo) -> one row per output pixel with its 4*K entries
    col = torch.stack(cols, 2).permute(0, 3, 4, 1, 2).reshape(n * ho * wo, 4 * k)
    val = torch.stack(vals, 2).permute(0, 3, 4, 1, 2).reshape(n * ho * wo, 4 * k)
    index_dtype = torch.int32 if n * h * w * k < 2 ** 31 else torch.int64
    return col.to(index_dtype), val


def _output_size(input, weight, stride, padding, dilation):
    kh, kw = weight.shape[2:]
    ho = (input.shape[2] + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    wo = (input.shape[3] + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return ho, wo


def _check_shapes(input, offset, mask, weight, stride, padding, dilation):
    n, c_in = input.shape[:2]
    c_w, kh, kw = weight.shape[1:]
    k = kh * kw
    if c_w != c_in:
        raise ValueError(f"weight expects {c_w} input channels, input has {c_in}")
    ho, wo = _output_size(input, weight, stride, padding, dilation)
    if offset.shape != (n, 2 * k, ho, wo):
        raise ValueError(f"offset must be {(n, 2 * k, ho, wo)}, got {tuple(offset.shape)}")
    if mask is not None and mask.shape != (n, k, ho, wo):
        raise ValueError(f"mask must be {(n, k, ho, wo)}, got {tuple(mask.shape)}")


def deform_conv2d(input, offset, mask, weight, bias=None, stride=1, padding=0, dilation=1):
    """Modulated deformable 2-D convolution (DCNv2, groups=1, one offset group).

    Args:
        input: (N, C_in, H, W).
        offset: (N, 2*K, Ho, Wo); channel 2k = vertical, 2k+1 = horizontal shift of tap k.
        mask: (N, K, Ho, Wo) modulation (already passed through sigmoid), or None for ones.
        weight: (C_out, C_in, kh, kw); bias: (C_out,) or None.
    Returns:
        (N, C_out, Ho, Wo).
    """
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    _check_shapes(input, offset, mask, weight, stride, padding, dilation)
    n, c_in, h, w = input.shape
    c_out, _, kh, kw = weight.shape
    k = kh * kw
    ho, wo = _output_size(input, weight, stride, padding, dilation)
    if mask is None:
        mask = offset.new_ones(n, k, ho, wo)

    tv = _torchvision_deform_conv2d() if input.is_cuda else None
    if tv is not None:
        return tv(input, offset, weight, bias, stride=stride, padding=padding, dilation=dilation, mask=mask)

    # project: (N*H*W, C_in) @ (C_in, K*C_out) -> rows (pixel, tap) of C_out values
    with record_function("dcn.project"):
        x_rows = input.permute(0, 2, 3, 1).reshape(n * h * w, c_in)
        w_cols = weight.reshape(c_out, c_in, k).permute(1, 2, 0).reshape(c_in, k * c_out)
        proj = (x_rows @ w_cols).view(n * h * w * k, c_out)
    with record_function("dcn.sampling_matrix"):
        col, val = _sampling_matrix(offset, mask, (h, w), (kh, kw), stride, padding, dilation)
    with record_function("dcn.tap_sum"):
        out = _SparseTapSum.apply(proj, col, val)  # (N*Ho*Wo, C_out)
    if bias is not None:
        out = out + bias
    # channels-last memory, NCHW shape: the following BatchNorm/ReLU/conv accept it as is
    return out.view(n, ho, wo, c_out).permute(0, 3, 1, 2)


def deform_conv2d_onnx(input, offset, mask, weight, bias=None, stride=1, padding=0, dilation=1):
    """:func:`deform_conv2d` written with operators ONNX has (opset >= 16), for export only.

    ONNX has no sparse matrices, so the taps are sampled with GridSample instead: bilinear,
    ``padding_mode="zeros"`` (each neighbour outside the image counts as zero, which also makes a
    sample at row <= -1 or >= H zero, as DCNv2) and ``align_corners=False`` (pixel p maps to
    (2p + 1) / size - 1, exact for every size, 1 included). All K taps go through one GridSample
    call. The weight is applied before or after sampling, whichever samples fewer channels:
    C_out < C_in projects to K * C_out channels first (as :func:`deform_conv2d` does), otherwise the
    C_in input channels are sampled and contracted with the weight by a 1x1 convolution.
    Same arguments and result as :func:`deform_conv2d`.
    """
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    _check_shapes(input, offset, mask, weight, stride, padding, dilation)
    h, w = input.shape[2:]
    c_out, c_in, kh, kw = weight.shape
    k = kh * kw
    ho, wo = offset.shape[2:]
    sy, sx = _sample_positions(offset, (kh, kw), stride, padding, dilation)
    grid = torch.stack(((2 * sx + 1) / w - 1, (2 * sy + 1) / h - 1), -1)  # (N, K, Ho, Wo, [x, y])
    if mask is None:
        mask = offset.new_ones(offset.shape[0], k, ho, wo)

    def sample(image, grid):
        return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    if c_out < c_in:
        # (C_out, C_in, kh, kw) -> K * C_out filters of 1x1; tap k's C_out channels sampled at tap k's grid
        proj = F.conv2d(input, weight.permute(2, 3, 0, 1).reshape(k * c_out, c_in, 1, 1))
        taps = sample(proj.reshape(-1, c_out, h, w), grid.reshape(-1, ho, wo, 2))  # (N*K, C_out, Ho, Wo)
        out = (taps.reshape(-1, k, c_out, ho, wo) * mask.unsqueeze(2)).sum(1)
        return out if bias is None else out + bias.view(1, c_out, 1, 1)
    # the K grids stacked along the rows: one call samples every tap of every channel
    taps = sample(input, grid.reshape(-1, k * ho, wo, 2))  # (N, C_in, K*Ho, Wo)
    taps = taps.reshape(-1, c_in, k, ho, wo) * mask.unsqueeze(1)
    return F.conv2d(taps.reshape(-1, c_in * k, ho, wo), weight.reshape(c_out, c_in * k, 1, 1), bias)


class DCN(nn.Module):
    """DCNv2 module with the original parameter names: ``weight``, ``bias``, ``conv_offset_mask``.

    ``conv_offset_mask`` predicts 3*K channels (o1, o2, m): offset = cat(o1, o2), mask = sigmoid(m).
    It starts at zero, so a fresh module is a plain convolution with mask 0.5.
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=1, dilation=1):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride, self.padding, self.dilation = _pair(stride), _pair(padding), _pair(dilation)
        kh, kw = self.kernel_size
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kh, kw))
        self.bias = nn.Parameter(torch.empty(out_channels))
        self.conv_offset_mask = nn.Conv2d(in_channels, 3 * kh * kw, self.kernel_size, stride=self.stride,
                                          padding=self.padding, dilation=self.dilation, bias=True)
        self.reset_parameters()

    def reset_parameters(self):
        # as the DCNv2 extension: uniform(+-1/sqrt(fan_in)) weight, zero bias and zero offsets/mask logits
        bound = 1.0 / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.zeros_(self.bias)
        nn.init.zeros_(self.conv_offset_mask.weight)
        nn.init.zeros_(self.conv_offset_mask.bias)

    def forward(self, x):
        if torch.is_autocast_enabled(x.device.type):
            # sampling positions need full precision; the sparse kernels want matching dtypes
            with torch.autocast(device_type=x.device.type, enabled=False):
                return self.forward(x.float())
        o1, o2, m = torch.chunk(self.conv_offset_mask(x), 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        # the sparse product of deform_conv2d has no ONNX form: export traces deform_conv2d_onnx
        conv = deform_conv2d_onnx if torch.onnx.is_in_onnx_export() else deform_conv2d
        return conv(x, offset, torch.sigmoid(m), self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dilation={self.dilation}")
