// Spike propagation: every spike of this step is delivered along its CSR row into the delay
// ring, slot (step + 1 + delay) mod ring_len, as fixed-point integer atomics (order-independent).
// One workgroup per spike (indirect dispatch sized by the spike count), threads stride the row.
// CPU mirror: spikeflow::cpu::propagate.
#import step

// Mirrors spikeflow::abi::NetInfo.
struct NetInfo {
    n_total: u32,
    ring_len: u32,
    target_bits: u32,
    target_mask: u32,
}

const SPIKE_HEADER_WORDS: u32 = 8u;
const STATUS_RING_SATURATED: u32 = 1u;
const I32_MAX: i32 = 2147483647;
const I32_MIN: i32 = -2147483647 - 1;

@group(0) @binding(1) var<uniform> net: NetInfo;
@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> syn: array<u32>;
@group(0) @binding(5) var<storage, read> weight: array<i32>;
@group(0) @binding(6) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let p = step_params.parity;
    let count = spikes[p * 4u + 3u];
    for (var s = wg.x; s < count; s += num_wg.x) {
        let pre = spikes[SPIKE_HEADER_WORDS + p * net.n_total + s];
        let end = row_ptr[pre + 1u];
        for (var j = row_ptr[pre] + lid; j < end; j += 64u) {
            let packed = syn[j];
            let target_index = packed & net.target_mask;
            let delay = packed >> net.target_bits;
            let slot = (step_params.step + 1u + delay) % net.ring_len;
            let w = weight[j];
            let old = atomicAdd(&ring[slot * 2u * net.n_total + target_index], w);
            if ((w > 0 && old > I32_MAX - w) || (w < 0 && old < I32_MIN - w)) {
                atomicOr(&status[0], STATUS_RING_SATURATED);
            }
        }
    }
}
