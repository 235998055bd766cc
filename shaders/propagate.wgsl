// Spike propagation: every spike of this block (one step, or several: StepParams.n_sub) is
// delivered along its CSR row into the delay ring, slot (step + sub + 1 + delay) mod ring_len
// for a spike of the block's step `sub`, as fixed-point integer atomics (order-independent).
// One workgroup per spike (indirect dispatch sized by the spike count), threads stride the row.
// The static synapses may be split at row boundaries across up to 4 storage buffers syn0..syn3
// (networks larger than one binding): buffer k holds rows [row_end[k-1], row_end[k]), its
// syn_len[k] packed synapses followed by their syn_len[k] fixed-point weights (as u32 bits);
// global synapse j is local j - syn_base[k]. Unused buffers are bound to syn0 and never read.
// CPU mirror: spikeflow::cpu::propagate (one array; the split is a storage detail).
#import step

// Mirrors spikeflow::abi::NetInfo.
struct NetInfo {
    n_total: u32,
    ring_len: u32,
    target_bits: u32,
    target_mask: u32,
    spike_list_len: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// Mirrors spikeflow::engine::SynSplit.
struct SynSplit {
    row_end: vec4<u32>,
    syn_base: vec4<u32>,
    syn_len: vec4<u32>,
}

const SPIKE_HEADER_WORDS: u32 = 8u;
const SPIKE_SUB_SHIFT: u32 = 28u;
const STATUS_RING_SATURATED: u32 = 1u;
const I32_MAX: i32 = 2147483647;
const I32_MIN: i32 = -2147483647 - 1;

@group(0) @binding(1) var<uniform> net: NetInfo;
@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read> row_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> syn0: array<u32>;
@group(0) @binding(5) var<storage, read> syn1: array<u32>;
@group(0) @binding(6) var<storage, read> syn2: array<u32>;
@group(0) @binding(7) var<storage, read> syn3: array<u32>;
@group(0) @binding(8) var<storage, read_write> ring: array<atomic<i32>>;
@group(0) @binding(9) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(10) var<uniform> split: SynSplit;

// (packed synapse, weight bits) of local synapse `j` of buffer `k` (storage pointers cannot be
// passed to functions, so the buffer is chosen by a switch).
fn load(k: u32, j: u32) -> vec2<u32> {
    let w = split.syn_len[k] + j;
    switch k {
        case 0u: { return vec2<u32>(syn0[j], syn0[w]); }
        case 1u: { return vec2<u32>(syn1[j], syn1[w]); }
        case 2u: { return vec2<u32>(syn2[j], syn2[w]); }
        default: { return vec2<u32>(syn3[j], syn3[w]); }
    }
}

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) num_wg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let p = step_params.parity;
    let count = spikes[p * 4u + 3u];
    for (var s = wg.x; s < count; s += num_wg.x) {
        // In a block of several steps each entry carries its step within the block.
        var pre = spikes[SPIKE_HEADER_WORDS + p * net.spike_list_len + s];
        var sub = 0u;
        if (step_params.n_sub > 1u) {
            sub = pre >> SPIKE_SUB_SHIFT;
            pre = pre & ((1u << SPIKE_SUB_SHIFT) - 1u);
        }
        let first = step_params.step + sub + 1u;
        // The buffer holding row `pre` (unused buffers end at u32::MAX).
        let k = u32(pre >= split.row_end.x) + u32(pre >= split.row_end.y) + u32(pre >= split.row_end.z);
        let base = split.syn_base[k];
        let end = row_ptr[pre + 1u];
        for (var j = row_ptr[pre] + lid; j < end; j += 64u) {
            let sw = load(k, j - base);
            let packed = sw.x;
            let target_index = packed & net.target_mask;
            let delay = packed >> net.target_bits;
            let slot = (first + delay) % net.ring_len;
            let w = bitcast<i32>(sw.y);
            let old = atomicAdd(&ring[slot * 2u * net.n_total + target_index], w);
            if ((w > 0 && old > I32_MAX - w) || (w < 0 && old < I32_MIN - w)) {
                atomicOr(&status[0], STATUS_RING_SATURATED);
            }
        }
    }
}
