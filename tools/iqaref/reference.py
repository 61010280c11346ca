#!/usr/bin/python3
"""Reference values for iqa/testdata, computed with numpy/scipy following the
authors' reference code (msssim.m / ssim_index.m of Wang et al.; GMSD.m of Xue
et al.; NLP_dist.m of Laparra et al.; haarpsi.py of Reisenhofer et al.),
independently of the Go implementation. Writes iqa/testdata/reference.json.
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


def rgb255(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)


def haarpsi(ra, rb):
    c, alpha, n_scales = 30.0, 4.2, 3

    def yiq(x):
        y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
        i = 0.596 * x[..., 0] - 0.274 * x[..., 1] - 0.322 * x[..., 2]
        q = 0.211 * x[..., 0] - 0.523 * x[..., 1] + 0.312 * x[..., 2]
        return y, i, q

    mean2 = np.ones((2, 2)) / 4
    sub = lambda x: convolve2d(x, mean2, mode="same")[::2, ::2]
    ya, ia, qa = (sub(x) for x in yiq(ra))
    yb, ib, qb = (sub(x) for x in yiq(rb))

    def haar(x):
        out = []
        for s in range(1, n_scales + 1):
            f = np.full((2 ** s, 2 ** s), 2.0 ** -s)
            f[: 2 ** (s - 1), :] *= -1
            out.append((convolve2d(x, f, mode="same"), convolve2d(x, f.T, mode="same")))
        return out

    sim = lambda x, y: (2 * x * y + c) / (x * x + y * y + c)
    ha, hb = haar(ya), haar(yb)
    sims, wts = [], []
    for o in range(2):
        wts.append(np.maximum(np.abs(ha[2][o]), np.abs(hb[2][o])))
        sims.append((sim(np.abs(ha[0][o]), np.abs(hb[0][o])) + sim(np.abs(ha[1][o]), np.abs(hb[1][o]))) / 2)
    ci = lambda x: np.abs(convolve2d(x, mean2, mode="same"))
    sims.append((sim(ci(ia), ci(ib)) + sim(ci(qa), ci(qb))) / 2)
    wts.append((wts[0] + wts[1]) / 2)
    sims, wts = np.stack(sims), np.stack(wts)
    m = np.sum(wts / (1 + np.exp(-alpha * sims))) / np.sum(wts)
    return (np.log(m / (1 - m)) / alpha) ** 2


NLPD_SIGMAS = [0.0248, 0.0185, 0.0179, 0.0191, 0.0220, 0.2782]
NLPD_TAPS = [
    {(1, 2): 0.1011, (2, 1): 0.1493, (2, 3): 0.1460, (2, 4): 0.0072, (3, 2): 0.1015},
    {(1, 2): 0.0757, (2, 1): 0.1986, (2, 3): 0.1846, (3, 2): 0.0837},
    {(1, 2): 0.0477, (2, 1): 0.2138, (2, 3): 0.2243, (3, 2): 0.0467},
    {(2, 1): 0.2503, (2, 3): 0.2616},
    {(2, 1): 0.2598, (2, 3): 0.2552},
    {(2, 1): 0.2215, (2, 3): 0.0717},
]
BA = np.outer([0.05, 0.25, 0.4, 0.25, 0.05], [0.05, 0.25, 0.4, 0.25, 0.05])


def nlpd(a, b):
    def reduce(x):
        p = np.pad(x, 2, mode="symmetric")  # imfilter 'symmetric'
        return correlate2d(p, BA, mode="valid")[::2, ::2]

    def expand(r, shape):
        p = np.pad(r, 1, mode="edge")  # padarray 'replicate'
        up = np.zeros((2 * p.shape[0], 2 * p.shape[1]))
        up[::2, ::2] = 4 * p
        f = correlate2d(up, BA, mode="same")  # imfilter, zero borders
        return f[2 : 2 + shape[0], 2 : 2 + shape[1]]

    def pyramid(x):
        out = []
        for _ in range(5):
            r = reduce(x)
            out.append(x - expand(r, x.shape))
            x = r
        return out + [x]

    d = 0.0
    for k, (la, lb) in enumerate(zip(pyramid(a), pyramid(b))):
        f = np.zeros((5, 5))
        for (i, j), v in NLPD_TAPS[k].items():
            f[i, j] = v
        norm = lambda l: l / (NLPD_SIGMAS[k] + convolve2d(np.abs(l), f, mode="same"))  # conv2 'same'
        d += np.sqrt(np.mean((norm(la) - norm(lb)) ** 2))
    return d / 6


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
                "nlpd": nlpd(a, b),
                "haarpsi": haarpsi(rgb255(ref), rgb255(dist)),
            }
    with open("iqa/testdata/reference.json", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
