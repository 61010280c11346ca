#!/usr/bin/env python3
"""PyTorch reference of MILO for the benchmark: our own script, written from
the published architecture (not the authors' code). It loads the authors'
state_dict, scores one pair, and prints one JSON line with the median time.

usage: milo_torch.py --weights MILO.pth --ref A.png --dist B.png [--repeat 3]
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

LEVELS = 4


MEMORY_FORMAT = torch.contiguous_format


def conv_stack(p, x, prefix="mask_finder_1.netBasic"):
    # 3x3 convolutions 7 -> 32 -> 64 -> 32 -> 16 -> 1 with ReLU between, sigmoid last.
    x = x.contiguous(memory_format=MEMORY_FORMAT)
    for i in range(5):
        x = F.conv2d(x, p[f"{prefix}.{2*i}.weight"], p[f"{prefix}.{2*i}.bias"], padding=1)
        x = torch.relu(x) if i < 4 else torch.sigmoid(x)
    return x


def scaler(p, v):
    # 1x1 convolutions 1 -> 32 -> 32 -> 1, LeakyReLU(0.2), sigmoid.
    for i in range(3):
        v = F.conv2d(v, p[f"scaler_network.model.{2*i}.weight"], p[f"scaler_network.model.{2*i}.bias"])
        v = F.leaky_relu(v, 0.2) if i < 2 else torch.sigmoid(v)
    return v


def milo(p, ref, dist):
    refs, dists = [ref], [dist]
    for _ in range(LEVELS - 1):
        refs.insert(0, F.avg_pool2d(refs[0], 2, 2))
        dists.insert(0, F.avg_pool2d(dists[0], 2, 2))
    n, _, h0, w0 = refs[0].shape
    mask = refs[0].new_zeros(n, 1, h0 // 2, w0 // 2)
    for r, d in zip(refs, dists):
        up = F.interpolate(mask, scale_factor=2, mode="bilinear", align_corners=True)
        # Replicate the last row/column where the finer level is odd.
        up = F.pad(up, (0, r.shape[3] - up.shape[3], 0, r.shape[2] - up.shape[2]), mode="replicate")
        mask = conv_stack(p, torch.cat([r, d, up], 1)) + up
    diff = mask * (ref - dist).abs()
    loss = diff.mean()
    qmap = scaler(p, diff.mean(1, keepdim=True)) - scaler(p, ref.new_zeros(1, 1, 1, 1))
    mos = 5 * (1 - scaler(p, loss.reshape(1, 1, 1, 1)))
    return qmap.mean().item(), loss.item(), mos.item()


def load(path):
    a = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(a).permute(2, 0, 1).unsqueeze(0).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--dist", required=True)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop the timed runs once they took this long, after 3 (0: no cap)")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    ap.add_argument("--tf32", action="store_true", help="let CUDA convolutions use TF32 (PyTorch's default on Ampere and later)")
    ap.add_argument("--bf16", action="store_true", help="run under CUDA bf16 autocast")
    ap.add_argument("--batch", type=int, default=1, help="evaluate this many copies of the pair at once")
    ap.add_argument("--channels-last", action="store_true", help="NHWC activations (oneDNN on the CPU: about 2x faster there)")
    a = ap.parse_args()
    global MEMORY_FORMAT
    if a.channels_last:
        MEMORY_FORMAT = torch.channels_last
    dev = a.device
    if dev == "auto":
        dev = "cuda" if torch.cuda.is_available() else "cpu"
    if (a.tf32 or a.bf16) and dev != "cuda":
        raise SystemExit("--tf32 and --bf16 need CUDA")
    # Strict float32 unless asked: TF32 moves the score by about 1e-3 relative.
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    prec = "TF32" if a.tf32 else ("bf16 autocast" if a.bf16 else "fp32")
    layout = ", channels_last" if a.channels_last else ""
    torch.set_num_threads(os.cpu_count() or 1)
    p = {k: v.to(dev) for k, v in torch.load(a.weights, map_location="cpu").items()}
    ref, dist = load(a.ref).to(dev), load(a.dist).to(dev)
    # A batch of copies: every pair's scalars equal pair 0's, so the means are too.
    ref, dist = ref.repeat(a.batch, 1, 1, 1), dist.repeat(a.batch, 1, 1, 1)
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if a.bf16 else contextlib.nullcontext()
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    times = []
    with torch.inference_mode(), ctx:
        milo(p, ref, dist)  # warm-up at full size: kernels chosen, memory pooled
        if dev == "cuda":
            torch.cuda.reset_peak_memory_stats()
        for i in range(max(a.repeat, 1)):
            if a.max_seconds > 0 and i >= 3 and sum(times) >= 1000 * a.max_seconds:
                break
            sync()
            t0 = time.perf_counter()
            score, loss, mos = milo(p, ref, dist)  # .item() synchronises
            times.append((time.perf_counter() - t0) * 1000)
    lib = allocator() if dev == "cpu" else ""
    if lib == "glibc malloc":
        print("milo_torch: PyTorch runs on glibc malloc here, which page-faults every activation in "
              "afresh (LD_PRELOAD a tcmalloc: Debian's libtcmalloc-minimal4)", file=sys.stderr)
    lib = f", {lib}" if lib else ""
    print(json.dumps({
        "ms": statistics.median(times), "repeat": len(times), "score": score, "loss": loss, "mos": mos,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "cuda": dev == "cuda",
        "device": f"{torch.cuda.get_device_name()} (PyTorch CUDA {prec}{layout})" if dev == "cuda" else f"PyTorch CPU, {torch.get_num_threads()} threads{lib}{layout}",
        "device_peak_bytes": torch.cuda.max_memory_allocated() if dev == "cuda" else 0,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def allocator():
    """The malloc this process runs on. Each PyTorch op on the CPU allocates
    its output afresh; glibc returns large blocks to the system, so every
    activation is page-faulted in again, which on this VM costs more than
    the convolutions (first touch 0.6 GB/s, rewrite 26 GB/s; MILO at 1080p
    12.8 s against 1.4 s with tcmalloc, which keeps them). PyTorch's CPU
    tuning guide recommends tcmalloc or jemalloc; the bench preloads
    tcmalloc where it is installed."""
    try:
        with open("/proc/self/maps") as f:
            maps = f.read()
    except OSError:
        return ""
    for key, name in (("tcmalloc", "tcmalloc"), ("jemalloc", "jemalloc")):
        if key in maps:
            return name
    return "glibc malloc"


if __name__ == "__main__":
    main()
