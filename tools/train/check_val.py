#!/usr/bin/python3
"""Agreement of our MILO weights with the authors' on a labelled validation
split, per distortion type, scored in PyTorch (Debian's python3-torch).

tools/train/eval is the product's evaluation (the Go CPU backend, teachers
included, 30 minutes for 3150 pairs). This is the quick, larger check: label a
bigger validation sample with `go run ./tools/train/label -work DIR
-val-crops 6` (other crops of the same validation pictures; the training split
comes out identical) and score it here, both networks in about 15 minutes for
9450 pairs. Per type it prints Spearman with a 90% bootstrap interval over
whole crops, the pseudo-MOS against the authors' and ours against the
pseudo-MOS. The authors' weights are only read here, never used for labels.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_milo as T  # noqa: E402


def load(path):
    """A MILO network from our safetensors or the authors' .pth."""
    try:
        sd = torch.load(path, map_location="cpu") if path.endswith(".pth") else T.read_safetensors(path)
    except (OSError, ValueError) as e:
        raise SystemExit(f"check_val: {e}")
    m = T.MILO()
    m.diff_gain = 0  # exported weights read [ref, dist, mask] as they are
    with torch.no_grad():
        for k, t in m.named_tensors().items():
            if k not in sd or tuple(sd[k].shape) != tuple(t.shape):
                raise SystemExit(f"check_val: {path}: tensor {k} missing or misshapen")
            t.copy_(sd[k])
    return m


def spearman(a, b):
    """Spearman with tied values sharing their mean rank, as tools/train/eval
    computes it: a distortion that leaves a grey picture unchanged gives
    ties, which arbitrary tie-breaking would score as agreement or not."""
    def ranks(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        sv = v[order]
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and sv[j + 1] == sv[i]:
                j += 1
            r[order[i : j + 1]] = (i + j) / 2
            i = j + 1
        return r
    return float(np.corrcoef(ranks(np.asarray(a)), ranks(np.asarray(b)))[0, 1])


def mos(path, split):
    m = load(path)
    v = T.scores(m, split, "cpu")
    with torch.no_grad():
        return m.mos(torch.tensor(v, dtype=torch.float32)).numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=".train")
    ap.add_argument("--weights", default="metric/defaultweights/milo.safetensors")
    ap.add_argument("--authors", default="../shared/milo/weights/MILO.pth")
    ap.add_argument("--out", default="", help="also write the figures as JSON here")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    T.keep_freed_memory()
    torch.set_num_threads(a.threads)
    val = T.Split(a.work, "val")
    ours, auth = mos(a.weights, val), mos(a.authors, val)
    types = np.array([p["type"] for p in val.pairs])
    pmos = np.array([p["pmos"] for p in val.pairs])
    crops = np.array([f"{p['source']}#{p['crop']}" for p in val.pairs])
    rng = np.random.default_rng(0)
    res = {"pairs": len(types), "overall": spearman(ours, auth), "pmos_overall": spearman(pmos, auth), "types": {}}
    print(f"{len(types)} pairs: ours vs authors {res['overall']:.3f}, pseudo-MOS vs authors {res['pmos_overall']:.3f}")
    print("| distortion | crops | ours vs authors | 90% interval | pseudo-MOS vs authors | ours vs pseudo-MOS |")
    print("|---|---:|---:|---:|---:|---:|")
    for t in sorted(set(types) - {""}):
        sel = types == t
        ids = np.unique(crops[sel])
        rows = {c: np.where(sel & (crops == c))[0] for c in ids}
        boot = [spearman(ours[i], auth[i]) for i in
                (np.concatenate([rows[c] for c in rng.choice(ids, len(ids))]) for _ in range(300))]
        lo, hi = np.percentile(boot, [5, 95])
        r = {"crops": len(ids), "ours": spearman(ours[sel], auth[sel]), "lo": lo, "hi": hi,
             "pmos": spearman(pmos[sel], auth[sel]), "ours_pmos": spearman(ours[sel], pmos[sel])}
        res["types"][t] = r
        print(f"| {t} | {r['crops']} | {r['ours']:.3f} | {lo:.3f}–{hi:.3f} | {r['pmos']:.3f} | {r['ours_pmos']:.3f} |")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
