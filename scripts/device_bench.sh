#!/usr/bin/env bash
# Issue 7's GPU measurements in one command, for a lent GPU machine (../shared/GPU.md): it has
# no Rust toolchain and no network, so `scripts/device_prepare.sh` builds the benchmark
# binaries here into bin/ and downloads the Vulkan loader packages into .gl/; the device
# tool's `run` carries both (`carry: ["bin", ".gl"]`) and runs
#
#     bash scripts/device_bench.sh
#
# Every benchmark's output goes to $OUT/<name>.log (or ./bench-out/ without $OUT), its JSON
# report to $OUT/<name>.json, and a table of the figures is printed last. Each benchmark has
# its own time limit and the whole script at most BUDGET seconds (default 540: the device
# tool's per-call limit is 600); one that runs out is reported as such and the rest go on.
#
# QUICK=1 runs every step at a tiny size (a check of the script itself on lavapipe, under a
# minute; .ci/run does it). The exit status is 1 when any benchmark failed, ran out or was
# skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
OUT="${OUT:-bench-out}"
mkdir -p "$OUT"
BIN="${BIN:-bin}"
[ -x "$BIN/bench_pd14" ] || BIN=target/release

# The Vulkan loader (and GL libraries wgpu links) from the carried packages.
if compgen -G ".gl/*.deb" >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
fi
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then
    export VK_DRIVER_FILES="$nvidia_icd"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
nproc | sed 's/^/host cores: /' | tee -a "$OUT/gpu.txt"

# One benchmark: name, time limit (s), command. The JSON object is the last line of stdout.
# A benchmark gets at most what is left of BUDGET seconds (default 540) for the whole script.
BUDGET="${BUDGET:-540}"
results=()
failed=0
bench() {
    local name=$1 limit=$2
    shift 2
    local left=$((BUDGET - SECONDS))
    if [ "$left" -lt 15 ]; then
        results+=("$name: skipped (the script's ${BUDGET} s are spent)")
        failed=1
        echo "${results[-1]}"
        return
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    local t0=$SECONDS
    timeout "$limit" "$@" >"$OUT/$name.out" 2>"$OUT/$name.log"
    local rc=$?
    grep '^{' "$OUT/$name.out" >"$OUT/$name.json" || true
    cat "$OUT/$name.out" >>"$OUT/$name.log"
    if [ $rc -ne 0 ]; then
        failed=1
    fi
    if [ $rc -eq 124 ]; then
        results+=("$name: ran out of its ${limit} s")
    elif [ $rc -ne 0 ]; then
        results+=("$name: failed (exit $rc): $(tail -1 "$OUT/$name.log")")
    else
        results+=("$name ($((SECONDS - t0)) s): $(summary "$OUT/$name.json")")
    fi
    echo "${results[-1]}"
}

# A JSON field of the report's last object (numbers and strings; no nesting needed).
field() {
    tail -1 "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -1 | cut -d: -f2- | tr -d '"'
}

summary() {
    local f=$1
    if [ "$(field "$f" model)" = "" ]; then
        # bench_coba's report: one object with a results array.
        grep -o '"backend":"[a-z]*"\|"sim_s":[^,}]*\|"spikes":[^,}]*\|"us_per_step":[^,}]*' "$f" | tr '\n' ' '
        return
    fi
    local keys="backend adapter neurons synapses build_s sim_s rtf events_per_s bytes_per_synapse steps_per_dispatch csr_assembly"
    for k in $keys; do printf '%s=%s ' "$k" "$(field "$f" "$k")"; done
    grep -o '"build_phases":{[^}]*}' "$f" | head -1 | tr '\n' ' '
    grep -o '"rates":{[^}]*}' "$f" | head -1
}

if [ "${QUICK:-0}" = 1 ]; then
    SIZES=4000,8000; PD14_SCALE=0.01; PD14_MS=50; VA_N=8000; VA_K=800; COBA_MS=100
else
    SIZES=4000,16000,64000,256000,1000000; PD14_SCALE=1; PD14_MS=1000; VA_N=100000; VA_K=10000; COBA_MS=1000
fi

# Most important first: the quick CPU baselines (the CPU back end on one of this machine's
# cores), PD14, the scaling curve, Vogels–Abbott at 1e9 synapses, then the step-by-step
# schedule's PD14 for the ratio of blocks against single steps (after PD14 built with host
# assembly, for the ratio of build times).
bench izhikevich_cpu 60 "$BIN/bench_izhikevich" --backend cpu --duration "$COBA_MS"
bench izhikevich_gpu 60 "$BIN/bench_izhikevich" --backend gpu --duration "$COBA_MS"
bench coba4000 90 "$BIN/bench_coba" --backends cpu,gpu --duration "$COBA_MS" --repeats 3
bench pd14_gpu 180 "$BIN/bench_pd14" --backend gpu --scale "$PD14_SCALE" --duration "$PD14_MS" --warmup 100 --csr-assembly kernel
bench coba_scaling_gpu 120 "$BIN/bench_coba_scaling" --backend gpu --sizes "$SIZES" --duration "$COBA_MS"
bench vogels_abbott_1e9 150 "$BIN/bench_coba_scaling" --backend gpu --sizes "$VA_N" --in-degree "$VA_K" \
    --i-offset 1.5 --duration "$COBA_MS"
bench coba_scaling_cpu 60 "$BIN/bench_coba_scaling" --backend cpu --sizes 4000,64000 --duration "$COBA_MS"
# Host assembly of PD14's CSR (the path before the kernel assembled it), for the ratio of
# build times; a short run.
bench pd14_gpu_host_assembly 120 "$BIN/bench_pd14" --backend gpu --scale "$PD14_SCALE" --duration 100 \
    --csr-assembly host
bench pd14_gpu_step_by_step 120 "$BIN/bench_pd14" --backend gpu --scale "$PD14_SCALE" --duration "$PD14_MS" \
    --warmup 100 --max-steps-per-dispatch 1

echo
echo "== spikeflow device benchmarks ($(date -u +%Y-%m-%dT%H:%MZ)) =="
cat "$OUT/gpu.txt" 2>/dev/null
printf '%s\n' "${results[@]}"
exit $failed
