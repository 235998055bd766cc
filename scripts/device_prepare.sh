#!/usr/bin/env bash
# Prepare a run of scripts/device_bench.sh on a lent GPU machine (no Rust, no network there):
# build the benchmark binaries into bin/ (stripped, so that they and the packages fit the
# device tool's 64 MiB carry limit) and download the Vulkan loader packages into .gl/ (both
# are ignored by git). Then: run(command "bash scripts/device_bench.sh", carry ["bin", ".gl"]).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin bench_pd14 --bin bench_coba --bin bench_coba_scaling --bin bench_izhikevich
mkdir -p bin
for b in bench_pd14 bench_coba bench_coba_scaling bench_izhikevich; do
    cp target/release/$b bin/
    strip bin/$b
done
if ! compgen -G ".gl/*.deb" >/dev/null; then
    mkdir -p .gl /tmp/amd64/partial
    o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    # shellcheck disable=SC2086
    apt-get $o update -qq
    # shellcheck disable=SC2086
    (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sch bin .gl | tail -1 | sed 's/^/carry: /'
