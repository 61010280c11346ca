#!/usr/bin/env bash
# Installs what vkpercept needs on Debian/Ubuntu and is missing: the Vulkan
# loader, a driver (Mesa's lavapipe runs on any CPU) when none is present;
# with --dev, the shader compiler, SPIR-V tools and validation layers; with
# --bench, the PyTorch peer of `make bench`, with tcmalloc.
set -euo pipefail
dev=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --bench) bench=1 ;;
    *) echo "usage: tools/setup.sh [--dev] [--bench]"; exit 2 ;;
  esac
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
pkgs=()
ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1 ' >/dev/null || pkgs+=(libvulkan1)  # no -q: with pipefail an early exit fails the pipe
icds=$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json 2>/dev/null || true)
[ -n "$icds" ] || pkgs+=(mesa-vulkan-drivers)
if [ "$dev" = 1 ]; then
  command -v glslc >/dev/null || pkgs+=(glslc)
  command -v spirv-val >/dev/null || pkgs+=(spirv-tools)
  ls /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json >/dev/null 2>&1 || pkgs+=(vulkan-validationlayers)
  # CI and fresh machines: a Vulkan driver is needed for the shader tests even beside a GPU loader.
  dpkg -s mesa-vulkan-drivers >/dev/null 2>&1 || pkgs+=(mesa-vulkan-drivers)
fi
if [ "$bench" = 1 ]; then
  # The bench preloads tcmalloc for PyTorch: on glibc malloc each op's
  # output is page-faulted in afresh (9x slower at 1080p on our VM).
  for p in python3-torch python3-numpy python3-pil libtcmalloc-minimal4; do
    dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p")
  done
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "setup: installing ${pkgs[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "setup: Go 1.26 or newer is required (https://go.dev/dl)"; exit 1; }
