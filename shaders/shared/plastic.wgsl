// Structs, constants and pure helpers of the plastic-synapse kernels (plastic_window,
// plastic_arrive, plastic_post, plastic_rate). The design is documented in
// src/network/plastic.rs. CPU mirror: spikeflow::cpu::plastic.
#import step
#import math

// Mirrors spikeflow::abi::PlasticInfo.
struct PlasticInfo {
    n_total: u32,
    ring_len: u32,
    target_bits: u32,
    target_mask: u32,
    hist_len: u32,
    n_classes: u32,
    n_rules: u32,
    n_rate: u32,
    arrive_threads: u32,
    post_threads: u32,
    n_dclasses: u32,
    pad1: u32,
}

// Mirrors spikeflow::abi::PlasticRule.
struct PlasticRule {
    kind: u32,
    flags: u32,
    w_min: i32,
    w_max: i32,
    a_plus: f32,
    a_minus: f32,
    c_plus: f32,
    c_minus: f32,
    tm_u: f32,
    c_rec: f32,
    c_facil: f32,
    rate_inc: f32,
    c_rate: f32,
    rate_eta: f32,
    period: u32,
    pre_offset: u32,
    pre_n: u32,
    post_offset: u32,
    post_n: u32,
    pre_trace: u32,
    post_trace: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// Mirrors spikeflow::abi::PlasticState.
struct PlasticState {
    weight: i32,
    last: u32,
    a: f32,
    b: f32,
}

// Mirrors spikeflow::abi::NeuronTrace.
struct NeuronTrace {
    value: f32,
    last: u32,
}

const RULE_STDP_ADDITIVE: u32 = 0u;
const RULE_STDP_MULTIPLICATIVE: u32 = 1u;
const RULE_TSODYKS_MARKRAM: u32 = 2u;
const RULE_ANTI_HEBBIAN: u32 = 3u;
const RULE_FLAG_ENABLED: u32 = 1u;
const RULE_FLAG_NEAREST: u32 = 2u;
const PLASTIC_SCHED_HEADER_WORDS: u32 = 9u;
const PLASTIC_RULE_MASK: u32 = 0xFFFFu;
const PLASTIC_DCLASS_SHIFT: u32 = 16u;
const SPIKE_HEADER_WORDS: u32 = 8u;
const MAX_DISPATCH: u32 = 65535u;
const STATUS_RING_SATURATED: u32 = 1u;
const NONE: u32 = 0xFFFFFFFFu;
// A decay over more than this many time constants is taken as 0 (keeps products normal).
const MAX_DECAY_EXPONENT: f32 = 60.0;

@group(0) @binding(1) var<uniform> plastic: PlasticInfo;

// The schedule buffer: header, the delay classes (axonal, m = n_classes), their prefix sums
// (m + 1), the dendritic classes (nd = n_dclasses, class 0 is 0) and their prefix sums (nd + 1).
fn sched_prefix_at() -> u32 {
    return PLASTIC_SCHED_HEADER_WORDS + plastic.n_classes;
}

fn sched_dclass_at() -> u32 {
    return PLASTIC_SCHED_HEADER_WORDS + 2u * plastic.n_classes + 1u;
}

fn sched_dprefix_at() -> u32 {
    return sched_dclass_at() + plastic.n_dclasses;
}

// The STDP postsynaptic trace of neuron gi as synapses of dendritic class k see it.
fn post_trace_index(r: PlasticRule, gi: u32, k: u32) -> u32 {
    return r.post_trace + (gi - r.post_offset) * plastic.n_dclasses + k;
}

// An opaque identity (n_total < 2^31, so the OR adds nothing). Shader compilers may rewrite
// float expressions — fuse a·b + c into one rounding, refactor b − a·b — unless a value comes
// through something they cannot see through; fenced values round exactly as the CPU mirror's.
fn fence(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | (plastic.n_total >> 31u));
}

// u32 → f32, correctly rounded (both parts are exact, the sum rounds once).
fn u32_to_f32(x: u32) -> f32 {
    return f32(x >> 12u) * 4096.0 + f32(x & 0xFFFu);
}

// i32 → f32, correctly rounded (arithmetic shift; the low part is 0..4095).
fn i32_to_f32(x: i32) -> f32 {
    return f32(x >> 12u) * 4096.0 + f32(x & 0xFFF);
}

// exp(-steps * c): the decay of a trace with c = dt/tau over `steps` steps.
fn decay(c: f32, steps: u32) -> f32 {
    let x = c * u32_to_f32(steps);
    if (x > MAX_DECAY_EXPONENT) {
        return 0.0;
    }
    return sf_exp(-x);
}

// w + dw rounded to a whole fixed-point unit, kept in [w_min, w_max].
fn apply_dw(w: i32, dw: f32, w_min: i32, w_max: i32) -> i32 {
    let d = min(max(dw, -i32_to_f32(w - w_min)), i32_to_f32(w_max - w));
    return clamp(w + i32(round(d)), w_min, w_max);
}

// STDP depression with postsynaptic trace y.
fn stdp_depress(r: PlasticRule, w: i32, y: f32) -> i32 {
    var dw = -(r.a_minus * y);
    if (r.kind == RULE_STDP_MULTIPLICATIVE) {
        dw = -(fence(r.a_minus * i32_to_f32(w - r.w_min)) * y);
    }
    return apply_dw(w, dw, r.w_min, r.w_max);
}

// STDP potentiation with presynaptic trace x.
fn stdp_potentiate(r: PlasticRule, w: i32, x: f32) -> i32 {
    var dw = r.a_plus * x;
    if (r.kind == RULE_STDP_MULTIPLICATIVE) {
        dw = fence(r.a_plus * i32_to_f32(r.w_max - w)) * x;
    }
    return apply_dw(w, dw, r.w_min, r.w_max);
}
