#!/usr/bin/python3
"""Reference values for iqa/testdata, computed with numpy/scipy following the
authors' MATLAB code (msssim.m / ssim_index.m of Wang et al.; GMSD.m of Xue et
al.), independently of the Go implementation. Writes iqa/testdata/reference.json.
Run from the repository root after `go run ./tools/iqaref`."""
import glob
import json
import os

import numpy as np
from PIL import Image
from scipy.signal import convolve2d, correlate2d

WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


def luma(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64) / 255.0
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]


def gauss_window(n=11, sigma=1.5):
    # fspecial('gaussian', 11, 1.5)
    x = np.arange(n) - n // 2
    g = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma ** 2))
    return g / g.sum()


def ssim_maps(a, b):
    # ssim_index.m with K = [0.01 0.03], L = 1 (images in [0,1]), filter2 'valid'
    w = gauss_window()
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    f = lambda x: correlate2d(x, w, mode="valid")
    mu1, mu2 = f(a), f(b)
    s11, s22, s12 = f(a * a) - mu1 ** 2, f(b * b) - mu2 ** 2, f(a * b) - mu1 * mu2
    cs = (2 * s12 + c2) / (s11 + s22 + c2)
    lum = (2 * mu1 * mu2 + c1) / (mu1 ** 2 + mu2 ** 2 + c1)
    return lum * cs, cs


def down2_symmetric(x):
    # imfilter(x, ones(2)/4, 'symmetric', 'same') then x(1:2:end, 1:2:end)
    p = np.pad(x, ((0, 1), (0, 1)), mode="symmetric")
    f = (p[:-1, :-1] + p[1:, :-1] + p[:-1, 1:] + p[1:, 1:]) / 4
    return f[::2, ::2]


def msssim(a, b):
    scales = 0
    h, w = a.shape
    while scales < 5 and h >= 11 and w >= 11:
        scales += 1
        h, w = (h + 1) // 2, (w + 1) // 2
    wts = WEIGHTS[:scales] / WEIGHTS[:scales].sum()
    out = 1.0
    for s in range(scales):
        ssim_map, cs_map = ssim_maps(a, b)
        v = ssim_map.mean() if s == scales - 1 else cs_map.mean()
        out *= max(v, 0.0) ** wts[s]
        a, b = down2_symmetric(a), down2_symmetric(b)
    return out


def gmsd(a, b):
    a, b = a * 255, b * 255
    ave = np.ones((2, 2)) / 4
    # conv2(Y, aveKernel, 'same') then Y(1:2:end, 1:2:end)
    def down(y):
        full = convolve2d(y, ave, mode="full")
        return full[1:, 1:][: y.shape[0], : y.shape[1]][::2, ::2]
    a, b = down(a), down(b)
    dx = np.array([[1, 0, -1]] * 3) / 3.0
    dy = dx.T
    g = lambda y: np.sqrt(convolve2d(y, dx, mode="same") ** 2 + convolve2d(y, dy, mode="same") ** 2)
    m1, m2 = g(a), g(b)
    t = 170
    q = (2 * m1 * m2 + t) / (m1 ** 2 + m2 ** 2 + t)
    return q.std(ddof=1)


def main():
    out = {}
    for ref in sorted(glob.glob("iqa/testdata/*_ref.png")):
        prefix = ref[: -len("ref.png")]
        a = luma(ref)
        for dist in sorted(glob.glob(prefix + "*.png")):
            b = luma(dist)
            out[os.path.basename(dist)] = {
                "ref": os.path.basename(ref),
                "ssim": ssim_maps(a, b)[0].mean(),
                "msssim": msssim(a, b),
                "gmsd": gmsd(a, b),
            }
    with open("iqa/testdata/reference.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
