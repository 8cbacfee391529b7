import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fairmot.models import DCN, deform_conv2d, deform_conv2d_onnx
from fairmot.models.dcn_reference import gather_deform_conv2d, naive_deform_conv2d


def _random_case(seed, n=2, c=3, h=6, w=7, offset_scale=2.5, dtype=torch.float64, c_out=4):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, h, w, generator=g, dtype=dtype)
    # large offsets: many samples land partly or wholly outside the image
    offset = torch.randn(n, 18, h, w, generator=g, dtype=dtype) * offset_scale
    mask = torch.rand(n, 9, h, w, generator=g, dtype=dtype)
    weight = torch.randn(c_out, c, 3, 3, generator=g, dtype=dtype)
    bias = torch.randn(c_out, generator=g, dtype=dtype)
    return x, offset, mask, weight, bias


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_naive_dcnv2_kernel(seed):
    x, offset, mask, weight, bias = _random_case(seed)
    want = naive_deform_conv2d(*(t.numpy() for t in (x, offset, mask, weight, bias)))
    got = deform_conv2d(x, offset, mask, weight, bias, stride=1, padding=1, dilation=1)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)


def test_stride_and_dilation_match_naive():
    x, offset, mask, weight, bias = _random_case(3, h=9, w=8)
    offset, mask = offset[:, :, ::2, ::2].contiguous(), mask[:, :, ::2, ::2].contiguous()
    want = naive_deform_conv2d(*(t.numpy() for t in (x, offset, mask, weight, bias)), stride=2, pad=2, dil=2)
    got = deform_conv2d(x, offset, mask, weight, bias, stride=2, padding=2, dilation=2)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)


def test_samples_on_the_border_follow_dcnv2():
    # integer offsets placing taps exactly at rows -1, H-1, H and fractional ones straddling the edge
    x = torch.arange(1.0, 13.0, dtype=torch.float64).view(1, 1, 3, 4)
    weight = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    weight[0, 0, 1, 1] = 1.0  # only the centre tap counts
    for dy in (-1.0, -0.5, 0.0, 2.0, 2.5, 3.0, -1.0 - 1e-9):
        offset = torch.zeros(1, 18, 3, 4, dtype=torch.float64)
        offset[0, 8] = dy  # tap 4 = centre, vertical
        got = deform_conv2d(x, offset, None, weight, None, padding=1)
        want = naive_deform_conv2d(x.numpy(), offset.numpy(), np.ones((1, 9, 3, 4)), weight.numpy(),
                                   np.zeros(1))
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12, err_msg=f"dy={dy}")


def test_zero_offsets_and_unit_mask_equal_conv2d():
    g = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(2, 5, 9, 11, generator=g), torch.randn(6, 5, 3, 3, generator=g), torch.randn(6, generator=g)
    got = deform_conv2d(x, torch.zeros(2, 18, 9, 11), torch.ones(2, 9, 9, 11), w, b, padding=1)
    torch.testing.assert_close(got, F.conv2d(x, w, b, padding=1), rtol=1e-5, atol=1e-5)


def test_gradcheck_all_inputs():
    g = torch.Generator().manual_seed(4)
    x = torch.randn(1, 2, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    offset = (torch.randn(1, 18, 4, 5, generator=g, dtype=torch.float64) * 1.3).requires_grad_()
    mask = torch.rand(1, 9, 4, 5, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: deform_conv2d(*a, 1, 1, 1), (x, offset, mask, w, b))


def test_module_splits_offsets_and_masks_like_dcnv2():
    torch.manual_seed(0)
    dcn = DCN(3, 4).double()
    torch.nn.init.normal_(dcn.conv_offset_mask.weight, std=0.5)
    torch.nn.init.normal_(dcn.conv_offset_mask.bias, std=0.5)
    x = torch.randn(2, 3, 6, 7, dtype=torch.float64)
    raw = dcn.conv_offset_mask(x)
    # channels 0-8 and 9-17 form the offset (pairs dy, dx per tap), 18-26 the mask logits
    offset, mask = raw[:, :18], torch.sigmoid(raw[:, 18:])
    want = gather_deform_conv2d(x, offset, mask, dcn.weight, dcn.bias)
    torch.testing.assert_close(dcn(x), want.detach(), rtol=0, atol=1e-10)


def test_module_trains():
    torch.manual_seed(0)
    dcn = DCN(4, 4)
    torch.nn.init.normal_(dcn.conv_offset_mask.weight, std=0.1)
    x = torch.randn(2, 4, 8, 8)
    target = torch.randn(2, 4, 8, 8)
    opt = torch.optim.Adam(dcn.parameters(), lr=0.02)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(dcn(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert dcn.conv_offset_mask.weight.grad.abs().sum() > 0
    assert losses[-1] < 0.5 * losses[0]


# deform_conv2d_onnx: the same convolution in ONNX operators, used while exporting

# both weight orders (sample C_in channels, or project to C_out first) and maps of height/width 1
@pytest.mark.parametrize("c_in,c_out,h,w", [(3, 4, 6, 7), (5, 2, 6, 7), (3, 4, 1, 5), (5, 2, 4, 1), (2, 2, 1, 1)])
def test_onnx_dcn_equals_the_dcnv2_oracle(c_in, c_out, h, w):
    x, offset, mask, weight, bias = _random_case(c_in * 10 + h, c=c_in, c_out=c_out, h=h, w=w)
    want = naive_deform_conv2d(*(t.numpy() for t in (x, offset, mask, weight, bias)))
    got = deform_conv2d_onnx(x, offset, mask, weight, bias, stride=1, padding=1, dilation=1)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.numpy(), deform_conv2d(x, offset, mask, weight, bias, 1, 1, 1).numpy(),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("c_in,c_out", [(3, 4), (5, 2)])
def test_onnx_dcn_stride_dilation_and_no_mask(c_in, c_out):
    x, offset, mask, weight, bias = _random_case(7, c=c_in, c_out=c_out, h=9, w=8)
    offset, mask = offset[:, :, ::2, ::2].contiguous(), mask[:, :, ::2, ::2].contiguous()
    want = naive_deform_conv2d(*(t.numpy() for t in (x, offset, mask, weight, bias)), stride=2, pad=2, dil=2)
    got = deform_conv2d_onnx(x, offset, mask, weight, bias, stride=2, padding=2, dilation=2)
    np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-12)
    torch.testing.assert_close(deform_conv2d_onnx(x, offset, None, weight, None, 2, 2, 2),
                               deform_conv2d(x, offset, None, weight, None, 2, 2, 2), rtol=0, atol=1e-12)


def test_onnx_dcn_samples_on_the_border_as_dcnv2():
    # taps exactly at rows -1, H-1, H, just inside -1 and H, and straddling the edges
    x = torch.arange(1.0, 13.0, dtype=torch.float64).view(1, 1, 3, 4)
    weight = torch.zeros(1, 1, 3, 3, dtype=torch.float64)
    weight[0, 0, 1, 1] = 1.0
    for dy in (-1.0, -1.0 + 1e-6, -0.5, 0.0, 2.0, 2.5, 3.0 - 1e-6, 3.0, -1.0 - 1e-9):
        offset = torch.zeros(1, 18, 3, 4, dtype=torch.float64)
        offset[0, 8] = dy
        offset[0, 9] = -dy / 2  # and a horizontal shift
        want = naive_deform_conv2d(x.numpy(), offset.numpy(), np.ones((1, 9, 3, 4)), weight.numpy(), np.zeros(1))
        got = deform_conv2d_onnx(x, offset, None, weight, None, padding=1)
        np.testing.assert_allclose(got.numpy(), want, atol=1e-12, err_msg=f"dy={dy}")



def test_torchvision_fast_path_gives_the_same_numbers():
    pytest.importorskip("torchvision.ops")
    if not torch.cuda.is_available():
        pytest.skip("the torchvision path is used on CUDA only")
    x, offset, mask, weight, bias = (t.float().cuda() for t in _random_case(5))
    got = deform_conv2d(x, offset, mask, weight, bias, padding=1)
    want = gather_deform_conv2d(*(t.double().cpu() for t in (x, offset, mask, weight, bias)))
    torch.testing.assert_close(got.double().cpu(), want, rtol=1e-4, atol=1e-4)
