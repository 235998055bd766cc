// PoissonInput (NEST's poisson_generator, Brian2's PoissonInput): each step every target neuron
// receives k ~ Poisson(lambda) events of w_fixed each, added to the input its integrate kernel
// takes that step. There is no dispatch of its own: `take_input` (population.wgsl) adds the
// events of the thread's own neuron, so the draws cost no extra pass over the ring. The count
// comes from Philox at (step, neuron, POISSON_INPUT | input, 0) by inversion; the sum is an
// integer, the same in any order. CPU mirror: spikeflow::cpu::poisson_input (a pass over the
// entries before the integrate kernels: the same integer sums).
#import philox

// Mirrors spikeflow::abi::PoissonInputEntry. `first` is a global neuron index.
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

// Mirrors spikeflow::random::kernel_stream::POISSON_INPUT.
const STREAM_POISSON_INPUT: u32 = 0x04000000u;

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

// The fixed-point input entry `e` adds to neuron gi on channel `channel` in step s (0 when the
// entry does not reach it then).
fn poisson_events(e: PoissonInputEntry, s: u32, gi: u32, channel: u32, key: vec2<u32>) -> i32 {
    if (e.channel != channel || gi < e.first || gi - e.first >= e.n || s < e.start || s >= e.stop) {
        return 0;
    }
    let r = philox4x32(vec4<u32>(s, gi, STREAM_POISSON_INPUT | e.stream, 0u), key);
    return i32(poisson_count(u01(r.x), e)) * e.w_fixed;
}
