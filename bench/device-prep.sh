#!/usr/bin/env bash
# Prepares a call of bench/device.sh on a lent GPU machine, here: builds
# bin/vkpercept and the kernel and metric test binaries, fetches the Vulkan
# loader packages into .gl/ (as the device tool's README says; the machine
# has the NVIDIA driver but may lack the loader), copies ../shared's MILO
# weights and golden data and IEM's golden data into .devdata/shared,
# checks that what travels fits the tool's 64 MiB, and prints the call to
# make.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${VKPERCEPT_SHARED:-../shared}
go build -o bin/vkpercept ./tools/vkpercept
go test -c -o bin/kernels.test ./kernels
go test -c -o bin/metric.test ./metric
rm -rf .devdata/shared
mkdir -p .devdata/shared
cp -r "$shared/milo" "$shared/iem" .devdata/shared/
if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
  apt-get "${o[@]}" update -qq
  (cd .gl && apt-get "${o[@]}" download libvulkan1)
fi
# The tool carries the tracked and untracked-not-ignored files and the
# carried paths: 64 MiB in all.
kb=$(( $(git ls-files -co --exclude-standard -z | xargs -0 du -ckb 2>/dev/null | tail -1 | cut -f1) / 1024 \
  + $(du -sk bin/vkpercept bin/kernels.test bin/metric.test .gl .devdata | awk '{s += $1} END {print s}') ))
echo "device-prep: $((kb / 1024)) MiB travel"
if [ "$kb" -gt $((60 * 1024)) ]; then
  echo "device-prep: over the tool's 64 MiB" >&2
  exit 1
fi
echo 'device-prep: now call the device tool: run with command "bash bench/device.sh",' \
  'carry ["bin/vkpercept", "bin/kernels.test", "bin/metric.test", ".gl", ".devdata"], timeout_s 560'
