"""A literal, loop-per-pixel transcription of the DCNv2 kernel (numpy, float64): the test oracle."""
import math

import numpy as np


def _bilinear(img, h, w):
    """DCNv2's dmcn_im2col_bilinear: each neighbour outside the image contributes zero."""
    height, width = img.shape
    h_low, w_low = math.floor(h), math.floor(w)
    h_high, w_high = h_low + 1, w_low + 1
    lh, lw = h - h_low, w - w_low
    hh, hw = 1 - lh, 1 - lw
    v1 = img[h_low, w_low] if h_low >= 0 and w_low >= 0 else 0.0
    v2 = img[h_low, w_high] if h_low >= 0 and w_high <= width - 1 else 0.0
    v3 = img[h_high, w_low] if h_high <= height - 1 and w_low >= 0 else 0.0
    v4 = img[h_high, w_high] if h_high <= height - 1 and w_high <= width - 1 else 0.0
    return hh * hw * v1 + hh * lw * v2 + lh * hw * v3 + lh * lw * v4


def naive_deform_conv2d(x, offset, mask, weight, bias, stride=1, pad=1, dil=1):
    n, c, height, width = x.shape
    o, _, kh, kw = weight.shape
    ho = (height + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    wo = (width + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    out = np.zeros((n, o, ho, wo))
    for b in range(n):
        for y in range(ho):
            for xo in range(wo):
                cols = np.zeros((c, kh * kw))
                for i in range(kh):
                    for j in range(kw):
                        k = i * kw + j
                        h = y * stride - pad + i * dil + offset[b, 2 * k, y, xo]
                        w = xo * stride - pad + j * dil + offset[b, 2 * k + 1, y, xo]
                        if h > -1 and w > -1 and h < height and w < width:
                            for ch in range(c):
                                cols[ch, k] = _bilinear(x[b, ch], h, w) * mask[b, k, y, xo]
                out[b, :, y, xo] = weight.reshape(o, c, kh * kw).reshape(o, -1) @ cols.reshape(-1) + bias
    return out


def gather_deform_conv2d(x, offset, mask, weight, bias, stride=1, pad=1, dil=1):
    """An independent torch oracle fast enough for full-size maps: sample each tap with
    ``torch.gather`` (neighbours bounds-checked one by one), then contract with the weight."""
    import torch
    n, c, height, width = x.shape
    o, _, kh, kw = weight.shape
    ho, wo = offset.shape[2:]
    ys = (torch.arange(ho, dtype=x.dtype) * stride - pad).view(1, ho, 1)
    xs = (torch.arange(wo, dtype=x.dtype) * stride - pad).view(1, 1, wo)
    flat = x.reshape(n, c, height * width)
    taps = []
    for i in range(kh):
        for j in range(kw):
            k = i * kw + j
            h = ys + i * dil + offset[:, 2 * k]
            w = xs + j * dil + offset[:, 2 * k + 1]
            h_low, w_low = torch.floor(h), torch.floor(w)
            sample = torch.zeros(n, c, ho, wo, dtype=x.dtype)
            for hc, wc in ((h_low, w_low), (h_low, w_low + 1), (h_low + 1, w_low), (h_low + 1, w_low + 1)):
                wgt = (1 - (h - hc).abs()) * (1 - (w - wc).abs())
                ok = (hc >= 0) & (hc <= height - 1) & (wc >= 0) & (wc <= width - 1)
                idx = (hc.clamp(0, height - 1) * width + wc.clamp(0, width - 1)).long()
                vals = flat.gather(2, idx.view(n, 1, -1).expand(n, c, -1)).view(n, c, ho, wo)
                sample = sample + vals * (wgt * ok).unsqueeze(1)
            inside = (h > -1) & (w > -1) & (h < height) & (w < width)
            taps.append(sample * (mask[:, k] * inside).unsqueeze(1))
    cols = torch.stack(taps, 2)  # (n, c, K, ho, wo)
    out = torch.einsum("nckhw,ock->nohw", cols, weight.reshape(o, c, kh * kw))
    return out + bias.view(1, o, 1, 1)
