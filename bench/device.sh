#!/usr/bin/env bash
# Runs the GPU checks and the MILO benchmark on a lent GPU machine, through
# the session's device tool. bench/device-prep.sh, run here first, builds
# bin/vkpercept and the test binaries, fetches the Vulkan loader packages
# into .gl/ and copies the golden data into .devdata/; the call carries
# those and runs `bash bench/device.sh` (prep prints the call).
#
# A lease is short (15 minutes of device time, 10 a call, the machine's start
# included), so the whole script keeps within DEVICE_BUDGET_S (default 480):
# each phase has a time cap, the benchmark a deadline, and its rows reach
# $OUT/bench.json as each of its runs ends, so a run cut short still
# brings back what it measured. A phase that fails is reported and the next
# one runs. Outputs under $OUT: log.txt (everything), selftest.md, ceilings.txt,
# kernels.md, tests.txt, layers.txt, unbanded.json and .md, bench.json and
# table.md.
set -uo pipefail
OUT=${OUT:-/tmp/vkpercept-device}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
start=$(date +%s)
budget=${DEVICE_BUDGET_S:-480}
left() { echo $((budget - ($(date +%s) - start))); }
# phase NAME CAP CMD...: runs CMD for at most CAP seconds (less where the
# budget has less left) and says how it ended.
phase() {
  local name=$1 cap=$2
  shift 2
  cap=$((cap < $(left) ? cap : $(left)))
  if [ "$cap" -le 5 ]; then
    echo "== $name: not run, the budget is spent"
    return
  fi
  echo "== $name (at $(($(date +%s) - start)) s, cap ${cap} s)"
  timeout --kill-after=10 "$cap" "$@"
  local rc=$?
  case $rc in
  0) ;;
  124 | 137) echo "== $name: stopped at its cap of ${cap} s" ;;
  *) echo "== $name: failed (exit $rc)" ;;
  esac
}

# The loader, where the machine has none (the device tool's README).
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
# NVIDIA's driver, where its manifest is only in the driver's own folder.
nv=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f $nv ] && ! compgen -G '/usr/share/vulkan/icd.d/nvidia*.json' >/dev/null && ! compgen -G '/etc/vulkan/icd.d/nvidia*.json' >/dev/null; then
  export VK_DRIVER_FILES=$nv
fi
export XDG_RUNTIME_DIR=/tmp/xdg
mkdir -p $XDG_RUNTIME_DIR
export VKPERCEPT_SHARED=$PWD/.devdata/shared
weights=$VKPERCEPT_SHARED/milo/weights/MILO.pth
python=${PYTHON:-python3} # the device's python3 holds PyTorch with CUDA

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv || true
bin/vkpercept devices || echo "== no Vulkan device: nothing more to run" >&2

# First, whether the card computes every variant right (a row a check
# against the CPU backend, the native tiles included): the quickest answer
# a short lease can bring back.
phase "self-test" 60 sh -c 'bin/vkpercept selftest >"$0/selftest.md"; rc=$?; cat "$0/selftest.md"; exit $rc' "$OUT"

# What the card reaches through PyTorch: copy bandwidth, matrix rates.
phase ceilings 60 sh -c '"$1" tools/torchref/ceilings.py 2>&1 >"$0/ceilings.json" | tee "$0/ceilings.txt"' "$OUT" "$python"
# What the driver's compiler reports of each MILO pipeline.
phase "kernel statistics" 60 sh -c 'bin/vkpercept kernels >"$0/kernels.md"' "$OUT"
# The convolution kernels against the reference, native matrix tiles
# included, and the map histogram (its atomics from many workgroups at
# once), and IEM's path, sums (subgroup sums on the card's lane count) and
# Wiener bands; then MILO's golden cases in every variant (fp16-mma on the
# card's tiles), the quantiles counted in a pass and a session, and IEM's
# golden cases and its Wiener denoiser against the CPU backend.
phase "kernel tests" 90 sh -c 'cd kernels && ../bin/kernels.test -test.count=1 -test.v -test.run "Conv3x3|PackMMA|TileProducts|MapHist|IEM|Wiener" 2>&1 |
  grep --line-buffered -E "^(---|    ---|ok|FAIL|PASS)|native tiles|exact" >>"$0/tests.txt"' "$OUT"
phase "golden tests" 60 sh -c 'cd metric && ../bin/metric.test -test.count=1 -test.v -test.run "TestMILOGolden|Quantiles|TestIEMGolden|TestIEMWithWiener|TestIEMBudget" 2>&1 |
  grep --line-buffered -E "^(---|    ---|ok|FAIL|PASS)" >>"$0/tests.txt"' "$OUT"
grep -E '^(--- FAIL|    --- FAIL|FAIL)' "$OUT/tests.txt" && echo "== some tests failed: see tests.txt; benchmarking anyway"
# MILO's layers at 1080p in every form: direct, binary16 math, matrix tiles
# with 1, 2 and 4 tiles of pixels a subgroup (GPU timestamps).
phase "layer benchmark" 60 sh -c 'cd kernels && ../bin/kernels.test -test.run "^$" -test.bench Conv3x3Layers -test.benchtime ${LAYER_RUNS:-10}x -conv.size 1920x1080 2>&1 |
  grep --line-buffered -E "Benchmark|FAIL|ok" >"$0/layers.txt"' "$OUT"
cat "$OUT/layers.txt" 2>/dev/null
# The 1080p target without bands: under the default 256 MB budget a 1080p
# pass runs its finest level in row bands (more dispatches and barriers);
# an engine on a big GPU may afford the whole frame. fp32 is the score's
# reference for the other rows.
phase "unbanded 1080p" 45 sh -c 'bin/vkpercept bench -weights "$1" -metrics milo -sizes 1920x1080 -batches 1 -backends vulkan -precisions fp32,fp16,fp16-mma -budget-mb 0 -json "$0/unbanded.json" >"$0/unbanded.md"' "$OUT" "$weights"
if [ ! -s "$OUT/unbanded.md" ] && [ -s "$OUT/unbanded.json" ]; then
  bin/vkpercept bench -from "$OUT/unbanded.json" >"$OUT/unbanded.md"
fi
cat "$OUT/unbanded.md" 2>/dev/null
# The benchmark: it starts no configuration in its last 40 s, and prints
# its tables (to table.md) whatever it got through; 1080p first, the size
# of the targets.
deadline=$(($(left) - 40))
phase benchmark $((deadline + 30)) sh -c 'bin/vkpercept bench -weights "$1" -python "$4" -deadline "$2s" -json "$0/bench.json" $3 >"$0/table.md"' \
  "$OUT" "$weights" "$((deadline > 0 ? deadline : 1))" "${BENCH_ARGS:--sizes 1920x1080,3840x2160,512x384,256x256}" "$python"
if [ ! -s "$OUT/table.md" ] && [ -s "$OUT/bench.json" ]; then
  bin/vkpercept bench -from "$OUT/bench.json" >"$OUT/table.md"
fi
cat "$OUT/table.md" 2>/dev/null
echo "== done in $(($(date +%s) - start)) s"
