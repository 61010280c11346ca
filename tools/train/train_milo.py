#!/usr/bin/python3
"""Trains MILO's network on the pseudo-MOS of tools/train/label, with Debian's
python3-torch on the CPU (a GPU is used when torch sees one).

The network is MILO as vkpercept runs it: a 4-level average-pool pyramid of
ref and dist; from coarse to fine one shared 3x3 conv net 7->32->64->32->16->1
(ReLU, sigmoid) reads [ref, dist, 2x-upsampled mask] and adds its output to the
upsampled mask; loss = mean(mask*|ref-dist|); the scaler (1x1 convs 1->32->32->1,
LeakyReLU 0.2, sigmoid) gives MOS = 5 (1 - S(loss)), which is fitted to the
pseudo-MOS by mean squared error. Tensor names are the authors', so the
exported safetensors load wherever MILO.pth does.

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
RECIPE = "pseudo-MOS MSE, default init"  # a checkpoint of another recipe is not resumed


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

    def S(self, v):
        for i, conv in enumerate(self.scaler):
            v = conv(v)
            v = F.leaky_relu(v, 0.2) if i < 2 else torch.sigmoid(v)
        return v

    def forward(self, ref, dist):
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
            x = torch.cat([r, d, up], 1)
            for i, conv in enumerate(self.mask):
                x = conv(x)
                if i == 4:
                    self.logits.append(x.detach())
                x = torch.relu(x) if i < 4 else torch.sigmoid(x)
            mask = x + up
        loss = (mask * (ref - dist).abs()).mean(dim=(1, 2, 3))
        return 5 * (1 - self.S(loss.reshape(-1, 1, 1, 1)).reshape(-1))

    def saturated(self):
        """Share of the last pass's mask logits beyond +-6, where the sigmoid's
        slope is under 0.0025: near 1, the mask is constant (0 or 4 everywhere)
        and no step can change it, so the network is a plain L1 distance."""
        return float(sum((z.abs() > 6).sum() for z in self.logits) / sum(z.numel() for z in self.logits))

    def named_tensors(self):
        out = {}
        for i, conv in enumerate(self.mask):
            out[f"{MASK}.{2 * i}.weight"], out[f"{MASK}.{2 * i}.bias"] = conv.weight, conv.bias
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


def spearman(a, b):
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def evaluate(model, split, dev, limit=None):
    """MOS predictions for the split's pairs (the first limit of them, by size bucket)."""
    model.eval()
    preds = np.zeros(len(split.pairs))
    done = np.zeros(len(split.pairs), dtype=bool)
    with torch.no_grad():
        for idx in split.by_size.values():
            if limit is not None:
                idx = idx[: max(1, limit * len(idx) // len(split.pairs))]
            for k in range(0, len(idx), 16):
                part = idx[k : k + 16]
                ref, dist, _ = split.batch(part)
                preds[part] = model(ref.to(dev), dist.to(dev)).cpu().numpy()
                done[part] = True
    model.train()
    return preds, done


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=".train")
    ap.add_argument("--out", default="metric/defaultweights/milo.safetensors")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--minutes", type=float, default=90, help="stop early when the wall-time budget is spent (a guard: the step count decides)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ckpt-every", type=int, default=200)
    ap.add_argument("--val-every", type=int, default=1000)
    a = ap.parse_args()

    keep_freed_memory()
    torch.manual_seed(a.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    train, val = Split(a.work, "train"), Split(a.work, "val")
    # channels_last: oneDNN's convolutions are about 2x faster on the CPU in this layout.
    model = MILO().to(dev, memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + np.cos(np.pi * min(s, a.steps) / a.steps)))
    rng = np.random.default_rng(a.seed)
    step, ckpt = 0, os.path.join(a.work, "ckpt.pt")
    log_path = os.path.splitext(a.out)[0] + ".log.jsonl"
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    config = {"recipe": RECIPE, "steps": a.steps, "batch": a.batch, "lr": a.lr, "seed": a.seed}
    if os.path.exists(ckpt):
        st = torch.load(ckpt)
        if st.get("config", config) != config:
            raise SystemExit(f"train_milo: {ckpt} was written by another run ({st['config']}; this one: {config}); "
                             "delete it to start afresh")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        step = st["step"]
        print(f"resumed at step {step}", flush=True)
    elif os.path.exists(log_path):
        os.remove(log_path)
    sizes = list(train.by_size)
    weights = np.array([len(train.by_size[s]) for s in sizes], dtype=np.float64)
    weights /= weights.sum()
    start, run_loss, run_sat = time.time(), [], []
    while step < a.steps and (time.time() - start) / 60 < a.minutes:
        size = sizes[rng.choice(len(sizes), p=weights)]
        idx = rng.choice(train.by_size[size], size=min(a.batch, len(train.by_size[size])), replace=False)
        ref, dist, target = train.batch(list(idx))
        pred = model(ref.to(dev), dist.to(dev))
        loss = F.mse_loss(pred, target.to(dev))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        run_loss.append(loss.item())
        run_sat.append(model.saturated())
        if step % a.ckpt_every == 0 or step == a.steps:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                        "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "config": config}, ckpt + ".tmp")
            os.replace(ckpt + ".tmp", ckpt)
        if step % 50 == 0 or step % a.val_every == 0:
            rec = {"step": step, "train_mse": float(np.mean(run_loss)), "mask_saturated": float(np.mean(run_sat)),
                   "lr": sched.get_last_lr()[0], "minutes": (time.time() - start) / 60}
            run_loss, run_sat = [], []
            if step % a.val_every == 0:
                p, done = evaluate(model, val, dev, limit=600)
                y = np.array([q["pmos"] for q in val.pairs])
                rec["val_spearman_pmos"] = spearman(p[done], y[done])
            print(json.dumps(rec), flush=True)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
    p, done = evaluate(model, val, dev)
    y = np.array([q["pmos"] for q in val.pairs])
    summary = {"steps": step, "val_pairs": int(done.sum()), "val_spearman_pmos": spearman(p, y),
               "val_rmse_pmos": float(np.sqrt(np.mean((p - y) ** 2))), "seed": a.seed, "torch": torch.__version__}
    write_safetensors(a.out, model.named_tensors(), {"format": "vkpercept-milo", "channels": "3",
                                                     "trained": "pseudo-MOS, tools/train", "steps": str(step)})
    with open(os.path.splitext(a.out)[0] + ".val.json", "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
