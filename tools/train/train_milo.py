#!/usr/bin/python3
"""Trains MILO's network on the pseudo-MOS of tools/train/label, with Debian's
python3-torch on the CPU (a GPU is used when torch sees one).

The network is MILO as vkpercept runs it: a 4-level average-pool pyramid of
ref and dist; from coarse to fine one shared 3x3 conv net 7->32->64->32->16->1
(ReLU, sigmoid) reads [ref, dist, 2x-upsampled mask] and adds its output to the
upsampled mask; score = mean(mask*|ref-dist|); the scaler (1x1 convs
1->32->32->1, LeakyReLU 0.2, sigmoid) gives MOS = 5 (1 - S(score)). Tensor
names are the authors', so the exported safetensors load wherever MILO.pth does.

Two stages, because fitting MOS by MSE end to end collapses the mask: the
cheapest way to widen the scaler's input range is to push every mask logit up
until the mask is 4 everywhere, the sigmoids stop passing gradient, and the
network is plain mean |ref-dist| (what the first shipped weights were).
1. The mask net learns to rank: loss = 1 + Pearson(log score, pseudo-MOS) over
   each batch of distorted pairs. A uniform mask gain only shifts log score, so
   it earns nothing and the mask has no reason to saturate. The first conv is
   trained as reading [ref, DIFF_GAIN*(dist-ref), mask] and exported folded back
   to [ref, dist, mask] (the same function): the distortion is small beside the
   picture, and without the gain Adam barely moves the weights that see it.
   Stage 1b continues with a fresh, smaller Adam and alternates those mixed
   batches with batches of one distortion type (pairs from any crops, each
   scored alone): a mixed batch is ranked mostly by type and level, so
   masking within a type (contrast, JPEG, brightness) is learnt only here.
   One-type batches alone cost the ranking across types; alternating keeps it.
2. The scaler is fitted by MSE to the pseudo-MOS on the frozen mask's scores of
   every training pair (identical pairs included).

Resumable: a checkpoint (model, optimiser, step, RNG) is written every
--ckpt-every steps and picked up on restart. Seeds are fixed. The log and the
validation figures are written next to the weights.
"""
import argparse
import ctypes
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVELS = 4
MASK = "mask_finder_1.netBasic"
SCALER = "scaler_network.model"
RECIPE = "rank by log-score correlation, He init, diff gain 10; scaler by MSE"  # other recipes' checkpoints are refused
TYPE_RECIPE = "alternate one-type and mixed batches, fresh Adam, cosine"
DIFF_GAIN = 10.0


def keep_freed_memory():
    """Keeps freed tensors' memory in the process. glibc returns every large
    block to the kernel (mmap/munmap), so each step paid page faults on
    hundreds of MB of fresh pages: training ran 2.5x slower on a 2-core CPU,
    40% of it in the kernel. Numerics do not change."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to tune
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)


class MILO(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        chans = [2 * channels + 1, 32, 64, 32, 16, 1]
        self.mask = nn.ModuleList(nn.Conv2d(chans[i], chans[i + 1], 3, padding=1) for i in range(5))
        sc = [1, 32, 32, 1]
        self.scaler = nn.ModuleList(nn.Conv2d(sc[i], sc[i + 1], 1) for i in range(3))
        for conv in self.mask:
            # He init: PyTorch's default shrinks the signal about 3x a layer,
            # so the five layers would start as a constant.
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)
        self.channels = channels
        self.diff_gain = DIFF_GAIN  # 0: read [ref, dist, mask] as exported

    def S(self, v):
        for i, conv in enumerate(self.scaler):
            v = conv(v)
            v = F.leaky_relu(v, 0.2) if i < 2 else torch.sigmoid(v)
        return v

    def forward(self, ref, dist):
        return self.mos(self.score(ref, dist))

    def mos(self, score):
        return 5 * (1 - self.S(score.reshape(-1, 1, 1, 1)).reshape(-1))

    def score(self, ref, dist):
        """mean(mask*|ref-dist|) per pair: what the scaler reads."""
        refs, dists = [ref], [dist]
        for _ in range(LEVELS - 1):
            refs.insert(0, F.avg_pool2d(refs[0], 2, 2))
            dists.insert(0, F.avg_pool2d(dists[0], 2, 2))
        n, _, h0, w0 = refs[0].shape
        mask = ref.new_zeros(n, 1, h0 // 2, w0 // 2)
        self.logits = []  # each level's pre-sigmoid mask, for saturated()
        for r, d in zip(refs, dists):
            up = F.interpolate(mask, scale_factor=2, mode="bilinear", align_corners=True)
            up = F.pad(up, (0, r.shape[3] - up.shape[3], 0, r.shape[2] - up.shape[2]), mode="replicate")
            x = torch.cat([r, self.diff_gain * (d - r) if self.diff_gain else d, up], 1)  # folded back in named_tensors
            for i, conv in enumerate(self.mask):
                x = conv(x)
                if i == 4:
                    self.logits.append(x.detach())
                x = torch.relu(x) if i < 4 else torch.sigmoid(x)
            mask = x + up
        return (mask * (ref - dist).abs()).mean(dim=(1, 2, 3))

    def saturated(self):
        """Share of the last pass's mask logits beyond +-6, where the sigmoid's
        slope is under 0.0025: near 1, the mask is constant (0 or 4 everywhere)
        and no step can change it, so the network is a plain L1 distance."""
        return float(sum((z.abs() > 6).sum() for z in self.logits) / sum(z.numel() for z in self.logits))

    def named_tensors(self):
        out = {}
        for i, conv in enumerate(self.mask):
            out[f"{MASK}.{2 * i}.weight"], out[f"{MASK}.{2 * i}.bias"] = conv.weight, conv.bias
        # U_r r + U_d g (d - r) = (U_r - g U_d) r + g U_d d: the exported first
        # conv reads [ref, dist, mask] as vkpercept does.
        c, g = self.channels, self.diff_gain
        if g:
            w = self.mask[0].weight.detach().clone()
            w[:, :c] -= g * w[:, c : 2 * c]
            w[:, c : 2 * c] *= g
            out[f"{MASK}.0.weight"] = w
        for i, conv in enumerate(self.scaler):
            out[f"{SCALER}.{2 * i}.weight"], out[f"{SCALER}.{2 * i}.bias"] = conv.weight, conv.bias
        return out


class Split:
    """A labelled split: pairs from <split>.jsonl, pixels memory-mapped from <split>.u8."""

    def __init__(self, work, name):
        self.pairs = [json.loads(l) for l in open(os.path.join(work, name + ".jsonl"))]
        self.pix = np.memmap(os.path.join(work, name + ".u8"), dtype=np.uint8, mode="r")
        self.by_size = {}
        for i, p in enumerate(self.pairs):
            self.by_size.setdefault((p["h"], p["w"]), []).append(i)

    def image(self, off, h, w):
        a = np.asarray(self.pix[off : off + 3 * h * w], dtype=np.float32).reshape(h, w, 3) / 255.0
        return torch.from_numpy(a).permute(2, 0, 1)

    def batch(self, idx):
        ps = [self.pairs[i] for i in idx]
        ref = torch.stack([self.image(p["ref_off"], p["h"], p["w"]) for p in ps]).contiguous(memory_format=torch.channels_last)
        dist = torch.stack([self.image(p["dist_off"], p["h"], p["w"]) for p in ps]).contiguous(memory_format=torch.channels_last)
        return ref, dist, torch.tensor([p["pmos"] for p in ps], dtype=torch.float32)


def optimiser(model, lr, steps):
    """Adam on the mask net with a cosine decay to zero over `steps`."""
    opt = torch.optim.Adam(model.mask.parameters(), lr=lr)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)))


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def scores(model, split, dev, every=1):
    """The network's score (mean(mask*|ref-dist|)) for every every-th pair of the
    split; NaN elsewhere. A stride, not a prefix: each crop lists its
    distortion types in order, so a prefix would hold a few types only."""
    model.eval()
    out = np.full(len(split.pairs), np.nan)
    with torch.no_grad():
        for idx in split.by_size.values():
            idx = idx[::every]
            for k in range(0, len(idx), 16):
                part = idx[k : k + 16]
                ref, dist, _ = split.batch(part)
                out[part] = model.score(ref.to(dev), dist.to(dev)).cpu().numpy()
    model.train()
    return out


def pearson(a, b):
    a, b = a - a.mean(), b - b.mean()
    return (a * b).sum() / (a.norm() * b.norm() + 1e-12)


def fit_scaler(model, v, y, dev, steps=3000, every=500):
    """Fits the scaler by MSE to the pseudo-MOS on fixed scores (full batch,
    deterministic): the mask net is not touched.

    The scores span four decades (1e-4 to 0.3), so on raw scores Adam crawled:
    the first layer's weights must reach the hundreds at ~lr per step, and the
    fit stalled at RMSE 0.74 MOS on the 5000-step mask. So it trains on scores
    divided by their maximum, with the first layer's 32 hinges started at
    quantiles of the distorted pairs' scores (each unit LeakyReLU(u - q)), and
    folds the scale back into that layer: the exported scaler reads raw scores.
    Of the states every `every` steps it keeps the best monotone one, so a late
    wiggle cannot cost the whole fit. Where no state is monotone (a weakly
    trained mask, little data), it fits again with every weight kept
    non-negative: LeakyReLU rises, so such a scaler is monotone by
    construction, at some cost in fit (it cannot bend the curve as freely)."""
    s = float(np.max(v))
    u = torch.tensor(np.asarray(v) / s, dtype=torch.float32, device=dev)
    y = torch.tensor(y, dtype=torch.float32, device=dev)
    first = model.scaler[0]
    knots = np.quantile(u[u > 0].cpu().numpy(), np.linspace(0, 1, first.out_channels + 2)[1:-1])
    with torch.no_grad():
        first.weight.fill_(1.0)
        first.bias.copy_(torch.tensor(-knots, dtype=torch.float32))
    start = {n: t.detach().clone() for n, t in model.scaler.state_dict().items()}
    best, best_loss = scaler_steps(model, u, y, dev, steps, every, nonneg=False)
    if best is None:
        print("train_milo: no state of the scaler fit was monotone; fitting again with non-negative weights", flush=True)
        model.scaler.load_state_dict(start)
        best, best_loss = scaler_steps(model, u, y, dev, steps, every, nonneg=True)
    if best is None:
        raise SystemExit("train_milo: no state of the scaler fit was monotone; weights not written")
    model.scaler.load_state_dict(best)
    with torch.no_grad():
        first.weight /= s
    check_monotone(model, s, dev)
    return best_loss


def scaler_steps(model, u, y, dev, steps, every, nonneg):
    """Adam on the scaler from its current state; returns the best monotone
    state of those every `every` steps and its MSE (None if none was)."""
    opt = torch.optim.Adam(model.scaler.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.5 * (1 + np.cos(np.pi * min(k, steps) / steps)))
    best, best_loss = None, float("inf")
    for k in range(1, steps + 1):
        loss = F.mse_loss(model.mos(u), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if nonneg:
            with torch.no_grad():
                for conv in model.scaler:
                    conv.weight.clamp_(min=0)
        if k % every == 0 or k == steps:
            with torch.no_grad():
                now = float(F.mse_loss(model.mos(u), y))
            if now < best_loss and monotone_rise(model, 1.0, dev) <= 1e-6:
                best, best_loss = {n: t.detach().clone() for n, t in model.scaler.state_dict().items()}, now
    return best, best_loss


def monotone_rise(model, vmax, dev):
    """The largest rise of MOS between neighbours of a 2000-point grid on
    [0, 1.5 vmax] (a metric must not rate a larger masked difference better)."""
    with torch.no_grad():
        grid = model.mos(torch.linspace(0, 1.5 * vmax, 2000, device=dev))
    return float((grid[1:] - grid[:-1]).max())


def check_monotone(model, vmax, dev):
    """Refuses a scaler whose MOS rises anywhere on the scores seen (and half again beyond)."""
    rise = monotone_rise(model, vmax, dev)
    if rise > 1e-6:
        raise SystemExit(f"train_milo: the fitted scaler is not monotone (MOS rises by {rise:.2e}); weights not written")


def check_export(model, split, dev):
    """The exported tensors, read as vkpercept reads them, give the trained
    network's MOS on a validation batch."""
    plain = MILO(model.channels).to(dev, memory_format=torch.channels_last)
    plain.diff_gain = 0
    exported = model.named_tensors()
    with torch.no_grad():
        for name, t in plain.named_tensors().items():
            t.copy_(exported[name])
        ref, dist, _ = split.batch(next(iter(split.by_size.values()))[:8])
        want, got = model(ref.to(dev), dist.to(dev)), plain(ref.to(dev), dist.to(dev))
    err = float((want - got).abs().max())
    if err > 1e-3:
        raise SystemExit(f"train_milo: the folded export differs from the trained network by {err} MOS")
    return err


def write_safetensors(path, tensors, meta):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().cpu().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        blobs.append(a.tobytes())
        off += a.nbytes
    header["__metadata__"] = meta
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """The F32 tensors of a file write_safetensors wrote (or any F32 safetensors)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, base, out = json.loads(raw[8 : 8 + n]), 8 + n, {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        if v["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {v['dtype']}, want F32")
        a, b = v["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw[base + a : base + b], dtype="<f4").reshape(v["shape"]).copy())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=".train")
    ap.add_argument("--out", default="metric/defaultweights/milo.safetensors")
    ap.add_argument("--steps", type=int, default=5000, help="stage 1: steps on batches of mixed distortion types")
    ap.add_argument("--type-steps", type=int, default=600, help="stage 1b: steps alternating one-type and mixed batches")
    ap.add_argument("--type-lr", type=float, default=3e-4)
    ap.add_argument("--minutes", type=float, default=100, help="stop early when the wall-time budget is spent (a guard: the step count decides)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="CPU threads (the figures may change with it)")
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--val-every", type=int, default=500)
    a = ap.parse_args()

    keep_freed_memory()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    train, val = Split(a.work, "train"), Split(a.work, "val")
    # channels_last: oneDNN's convolutions are about 2x faster on the CPU in this layout.
    model = MILO().to(dev, memory_format=torch.channels_last)
    opt, sched = optimiser(model, a.lr, a.steps)
    rng = np.random.default_rng(a.seed)
    step, phase, ckpt = 0, 1, os.path.join(a.work, "ckpt.pt")
    log_path = os.path.splitext(a.out)[0] + ".log.jsonl"
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    # A stage-1 checkpoint does not depend on stage 1b's settings.
    config1 = {"recipe": RECIPE, "steps": a.steps, "batch": a.batch, "lr": a.lr, "seed": a.seed}
    config = dict(config1, type_recipe=TYPE_RECIPE, type_steps=a.type_steps, type_lr=a.type_lr)
    if os.path.exists(ckpt):
        st = torch.load(ckpt)
        phase = st.get("phase", 1)
        want = config1 if phase == 1 else config
        if st.get("config", want) != want:
            raise SystemExit(f"train_milo: {ckpt} was written by another run ({st['config']}; this one: {want}); "
                             "delete it to start afresh")
        if phase == 2:
            opt, sched = optimiser(model, a.type_lr, a.type_steps)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        step = st["step"]
        print(f"resumed at step {step}", flush=True)
    elif os.path.exists(log_path):
        os.remove(log_path)
    # Both stages rank distorted pairs; an identical pair has score 0 whatever the mask.
    distorted, by_type = {}, {}
    for i, q in enumerate(train.pairs):
        if q["type"]:
            distorted.setdefault((q["h"], q["w"]), []).append(i)
            by_type.setdefault(q["type"], []).append(i)
    sizes, types = list(distorted), sorted(by_type)
    weights = np.array([len(distorted[s]) for s in sizes], dtype=np.float64)
    weights /= weights.sum()
    val_pmos = np.array([q["pmos"] for q in val.pairs])
    total = a.steps + a.type_steps
    start, run_loss, run_sat = time.time(), [], []
    while step < total and (time.time() - start) / 60 < a.minutes:
        if step >= a.steps and phase == 1:
            phase = 2
            opt, sched = optimiser(model, a.type_lr, a.type_steps)
        if phase == 2 and (step - a.steps) % 2 == 0:
            # One type, pairs from any crops and sizes, each scored alone:
            # this is the ranking within a type that a mixed batch barely sees.
            idx = rng.choice(by_type[types[rng.integers(len(types))]], size=a.batch, replace=False)
            parts = [train.batch([int(i)]) for i in idx]
            v = torch.cat([model.score(r.to(dev), d.to(dev)) for r, d, _ in parts])
            target = torch.cat([y for _, _, y in parts])
        else:
            size = sizes[rng.choice(len(sizes), p=weights)]
            idx = rng.choice(distorted[size], size=min(a.batch, len(distorted[size])), replace=False)
            ref, dist, target = train.batch(list(idx))
            v = model.score(ref.to(dev), dist.to(dev))
        loss = 1 + pearson(torch.log(v + 1e-5), target.to(dev))  # a higher score is a lower MOS
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        run_loss.append(loss.item())
        run_sat.append(model.saturated())
        if step % a.ckpt_every == 0 or step in (a.steps, total):
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                        "phase": phase, "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                        "config": config1 if phase == 1 else config}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
        if step % 50 == 0 or step % a.val_every == 0:
            rec = {"step": step, "phase": phase, "train_loss": float(np.mean(run_loss)), "mask_saturated": float(np.mean(run_sat)),
                   "lr": sched.get_last_lr()[0], "minutes": (time.time() - start) / 60}
            run_loss, run_sat = [], []
            if step % a.val_every == 0:
                v = scores(model, val, dev, every=5)
                done = ~np.isnan(v)
                rec["val_spearman_pmos"] = spearman(-v[done], val_pmos[done])
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
    t = time.time()
    train_mse = fit_scaler(model, scores(model, train, dev), [q["pmos"] for q in train.pairs], dev)
    with torch.no_grad():
        p = model.mos(torch.tensor(scores(model, val, dev), dtype=torch.float32, device=dev)).cpu().numpy()
    y = val_pmos
    summary = {"steps": step, "scaler_train_mse": train_mse, "scaler_minutes": (time.time() - t) / 60,
               "val_pairs": len(p), "val_spearman_pmos": spearman(p, y),
               "val_rmse_pmos": float(np.sqrt(np.mean((p - y) ** 2))), "export_max_error": check_export(model, val, dev),
               "seed": a.seed, "torch": torch.__version__}
    write_safetensors(a.out, model.named_tensors(), {"format": "vkpercept-milo", "channels": "3",
                                                     "trained": "pseudo-MOS, tools/train", "steps": str(step)})
    with open(os.path.splitext(a.out)[0] + ".val.json", "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
