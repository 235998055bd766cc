// PoissonInput: each step, every target neuron receives k ~ Poisson(lambda) events and
// k * w_fixed is added to the ring slot its integrate kernel takes this step (NEST's
// poisson_generator, Brian2's PoissonInput). One thread per global neuron; a neuron's entries
// are applied in table order. The count comes from Philox at (step, neuron, POISSON_INPUT |
// input, 0) by inversion. CPU mirror: spikeflow::cpu::poisson_input.
#import step
#import philox

// Mirrors spikeflow::abi::PoissonInputEntry.
struct PoissonInputEntry {
    first: u32,
    n: u32,
    channel: u32,
    k_max: u32,
    w_fixed: i32,
    lambda: f32,
    p0: f32,
    start: u32,
    stop: u32,
    stream: u32,
    pad0: u32,
    pad1: u32,
}

// Mirrors spikeflow::abi::PoissonInfo.
struct PoissonInfo {
    n_entries: u32,
    n_total: u32,
    ring_len: u32,
    key0: u32,
    key1: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// Mirrors spikeflow::random::kernel_stream::POISSON_INPUT.
const STREAM_POISSON_INPUT: u32 = 0x04000000u;
const MAX_DISPATCH: u32 = 65535u;

@group(0) @binding(1) var<storage, read_write> ring: array<atomic<i32>>;
@group(1) @binding(0) var<uniform> info: PoissonInfo;
@group(1) @binding(1) var<storage, read> entries: array<PoissonInputEntry>;

// k ~ Poisson(lambda) by inversion of the uniform u, at most k_max.
fn poisson_count(u: f32, e: PoissonInputEntry) -> u32 {
    var k = 0u;
    var p = e.p0;
    var cdf = e.p0;
    loop {
        if (u < cdf || k >= e.k_max) {
            break;
        }
        k = k + 1u;
        p = (p * e.lambda) / f32(k);
        cdf = cdf + p;
    }
    return k;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let gi = id.x + id.y * (MAX_DISPATCH * 64u);
    if (gi >= info.n_total) {
        return;
    }
    // Every step of the block, before the block's integrate dispatches take the slots.
    for (var sub = 0u; sub < step_params.n_sub; sub++) {
        let s = step_params.step + sub;
        let base = (s % info.ring_len) * 2u * info.n_total;
        for (var j = 0u; j < info.n_entries; j++) {
            let e = entries[j];
            if (gi < e.first || gi - e.first >= e.n || s < e.start || s >= e.stop) {
                continue;
            }
            let r = philox4x32(vec4<u32>(s, gi, STREAM_POISSON_INPUT | e.stream, 0u), vec2<u32>(info.key0, info.key1));
            let k = poisson_count(u01(r.x), e);
            if (k > 0u) {
                atomicAdd(&ring[base + e.channel * info.n_total + gi], i32(k) * e.w_fixed);
            }
        }
    }
}
