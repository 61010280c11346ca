"""Measured ceilings of a CUDA GPU, for bench/device.sh: device-to-device
copy bandwidth (bytes read plus written) and the matrix-product rates that
bound MILO's variants (float32 without TF32, binary16 with fp32 sums, bf16),
each the median of timed runs on random data after warm-ups. Datasheet peaks
are leads; these are what this card reaches through PyTorch. Prints one JSON
object and a markdown table.
"""
import json
import statistics
import sys

import torch


def timed(fn, runs=10, warm=3):
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b) / 1000)
    return statistics.median(times)


def main():
    if not torch.cuda.is_available():
        raise SystemExit("ceilings: no CUDA device")
    torch.backends.cuda.matmul.allow_tf32 = False
    out = {"device": torch.cuda.get_device_name(), "torch": torch.__version__}
    n = 1 << 29  # 2 GiB of float32: many times the L2
    src, dst = torch.rand(n, device="cuda"), torch.empty(n, device="cuda")
    out["copy_gb_per_s"] = 2 * 4 * n / timed(lambda: dst.copy_(src)) / 1e9
    del src, dst
    k = 8192
    for name, dtype in (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
        a, b = torch.randn(k, k, device="cuda", dtype=dtype), torch.randn(k, k, device="cuda", dtype=dtype)
        out[f"matmul_{name}_tflop_per_s"] = 2 * k**3 / timed(lambda: a @ b, runs=5 if dtype == torch.float32 else 10) / 1e12
    print(json.dumps(out))
    print(f"\nCeilings of {out['device']} (PyTorch {out['torch']}, medians on random data):\n", file=sys.stderr)
    print("| copy GB/s | fp32 matmul TFLOP/s | fp16 matmul TFLOP/s | bf16 matmul TFLOP/s |", file=sys.stderr)
    print("|---:|---:|---:|---:|", file=sys.stderr)
    print(f"| {out['copy_gb_per_s']:.0f} | {out['matmul_fp32_tflop_per_s']:.1f} | "
          f"{out['matmul_fp16_tflop_per_s']:.0f} | {out['matmul_bf16_tflop_per_s']:.0f} |", file=sys.stderr)


if __name__ == "__main__":
    main()
