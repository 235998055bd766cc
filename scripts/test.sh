#!/usr/bin/env bash
# Run every test of spikeflow on both back ends. The GPU back end needs a Vulkan (or other
# wgpu) adapter: when none is present this script installs Mesa's lavapipe (software Vulkan on
# the CPU) with apt-get first. GPU tests fail, never skip, when no adapter can be found.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

have_adapter() {
    command -v vulkaninfo >/dev/null 2>&1 && vulkaninfo --summary 2>/dev/null | grep -q "deviceName"
}

if ! have_adapter; then
    echo "scripts/test.sh: no Vulkan adapter found; installing lavapipe (mesa-vulkan-drivers)…"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq mesa-vulkan-drivers libvulkan1 vulkan-tools >/dev/null
    have_adapter || { echo "scripts/test.sh: still no Vulkan adapter after installing lavapipe" >&2; exit 1; }
fi
vulkaninfo --summary 2>/dev/null | grep -E "deviceName|driverName" | sed 's/^/scripts\/test.sh: /' || true

# tests/output.rs reads the HDF5 result files with h5py, the reader users have, when it can be
# imported: install it (a wheel from PyPI) where Python is there and it is missing.
if command -v python3 >/dev/null 2>&1 && ! python3 -c 'import h5py' 2>/dev/null; then
    echo "scripts/test.sh: installing h5py for the result-file tests…"
    python3 -m pip install --quiet h5py 2>/dev/null || python3 -m pip install --quiet --break-system-packages h5py || \
        echo "scripts/test.sh: h5py could not be installed; tests/output.rs checks with its own reader only" >&2
fi

cargo test --release "$@"
