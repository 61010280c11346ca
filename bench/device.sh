#!/usr/bin/env bash
# Runs the MILO benchmark on a lent GPU machine through the session's device
# tool: bin/ (built here), .gl/ (the Vulkan loader .debs, see the device
# tool's README) and .devdata/MILO.pth travel with the call.
set -euo pipefail
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
export XDG_RUNTIME_DIR=/tmp/xdg; mkdir -p $XDG_RUNTIME_DIR
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv || true
bin/vkpercept devices
# What the driver's compiler reports of each MILO pipeline (registers,
# spills, shared memory), where it reports anything.
bin/vkpercept kernels > "${OUT:-/tmp}/kernels.md" 2>&1 || echo "vkpercept kernels failed: see kernels.md"
if [ -x bin/kernels.test ]; then
  # The convolution kernels against the reference, native matrix tiles included.
  bin/kernels.test -test.run 'Conv3x3|PackMMA|TileProducts' -test.v 2>&1 | grep -E '^(---|    ---|ok|FAIL|PASS)|native tiles|exact' | tee "${OUT:-/tmp}/kernels.txt" ||
    echo "kernel tests failed: see kernels.txt; benchmarking anyway"
  # MILO's layers at 1080p in every form: direct, binary16 math, matrix
  # tiles with 1, 2 and 4 tiles of pixels a subgroup (GPU timestamps).
  bin/kernels.test -test.run '^$' -test.bench Conv3x3Layers -test.benchtime ${LAYER_RUNS:-10}x -conv.size 1920x1080 2>&1 |
    grep -E 'Benchmark|FAIL|ok' | tee "${OUT:-/tmp}/layers.txt" || echo "layer benchmark failed: see layers.txt"
fi
bin/vkbench -weights .devdata/MILO.pth -python python3 ${BENCH_ARGS:-} -json "${OUT:-/tmp}/bench.json" | tee "${OUT:-/tmp}/table.md"
