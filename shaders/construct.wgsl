// Connectivity construction: a random connector of one projection and its random weights and
// delays from counter-based Philox streams, one thread per item (a presynaptic neuron for
// FixedProbability, FixedNumberPost and FixedTotalNumber's fill, a postsynaptic neuron for
// FixedNumberPre, a synapse for FixedTotalNumber's count, which draws each synapse's row; in
// CSR mode FixedNumberPre's items are rows, which sort what its keys pass wrote).
// Every draw is a pure function of (seed, projection, item, draw,
// purpose, block), so items are independent and the host mirror (spikeflow::cpu::construct)
// gives the same synapses. Only + - * and comparisons in f32; products are fenced so that no
// compiler fuses or refactors them (each rounds as the mirror's).
#import philox
#import math

// Mirrors spikeflow::abi::ConstructParams.
struct ConstructParams {
    kind: u32,
    mode: u32,
    proj: u32,
    zero: u32,
    item_begin: u32,
    item_end: u32,
    np: u32,
    nq: u32,
    n: u32,
    replace: u32,
    no_self: u32,
    self_delta: i32,
    p: f32,
    inv_log_q: f32,
    key0: u32,
    key1: u32,
    w_kind: u32,
    d_kind: u32,
    row_begin: u32,
    row_end: u32,
    slot_base: u32,
    split_len: u32,
    target_bits: u32,
    target_base: u32,
    w_fixed: i32,
    w_scale: f32,
    d_steps: u32,
    n_thresholds: u32,
    w_p: vec4<f32>,
    d_p: vec4<f32>,
}

// Mirror spikeflow::abi::CONSTRUCT_* and DIST_*, and spikeflow::random::kernel_stream.
const CONSTRUCT_FIXED_PROBABILITY: u32 = 0u;
const CONSTRUCT_FIXED_NUMBER_PRE: u32 = 1u;
const CONSTRUCT_FIXED_NUMBER_POST: u32 = 2u;
const CONSTRUCT_FIXED_TOTAL_NUMBER: u32 = 3u;
const CONSTRUCT_MODE_COUNT: u32 = 0u;
const CONSTRUCT_MODE_FILL: u32 = 1u;
const CONSTRUCT_MODE_STATS: u32 = 2u;
const CONSTRUCT_MODE_CSR: u32 = 3u;
const CONSTRUCT_MODE_KEYS: u32 = 4u;
const DIST_NONE: u32 = 0u;
const DIST_UNIFORM: u32 = 1u;
const DIST_NORMAL: u32 = 2u;
const DIST_NORMAL_CLIPPED: u32 = 3u;
const DIST_NORMAL_CLIPPED_TO_BOUNDARY: u32 = 4u;
const DIST_EXPONENTIAL: u32 = 5u;
const DIST_UNIFORM_INT: u32 = 6u;
const DIST_LOGNORMAL: u32 = 7u;
const STREAM_CONSTRUCT: u32 = 0x03000000u;
// The pipeline's connector and mode (cp.kind and cp.mode of its dispatches): each (kind, mode)
// pair is its own pipeline, so a dispatch carries only the code it runs.
override KIND: u32 = 0u;
override MODE: u32 = 0u;
const PURPOSE_CONNECT: u32 = 0x81u;
const PURPOSE_WEIGHT: u32 = 0x82u;
const PURPOSE_DELAY: u32 = 0x83u;
// Mirrors spikeflow::cpu::construct::MAX_REDRAWS.
const MAX_REDRAWS: u32 = 1024u;

const LN2: f32 = 0.693147182;
const SQRT2: f32 = 1.41421356;
const PI: f32 = 3.14159265;

// A storage binding, not a uniform: lavapipe specialises a shader on the values of uniforms
// that steer its control flow, which recompiled this kernel (~65 ms) for every dispatch.
@group(0) @binding(0) var<storage, read> cp: ConstructParams;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> out_pre: array<u32>;
@group(0) @binding(4) var<storage, read_write> out_post: array<u32>;
@group(0) @binding(5) var<storage, read_write> out_w: array<f32>;
@group(0) @binding(6) var<storage, read_write> out_d: array<f32>;
// Stats mode: [min w, max w, min d, max d] as order-preserving keys, then one synapse count
// per post position.
@group(0) @binding(7) var<storage, read_write> stats: array<atomic<u32>>;
// Sampling without replacement: per item a hash set of the candidates drawn so far
// (`table_size()` words from local · table_size(); a word holds candidate + 1, 0 is empty).
@group(0) @binding(8) var<storage, read_write> scratch: array<u32>;

// Stats mode: this thread's ranges, merged into `stats` once at its end (one atomic per word
// per thread rather than per synapse: millions of synapses would serialize on 4 words).
var<private> range_lo: vec2<u32> = vec2<u32>(0xFFFFFFFFu, 0xFFFFFFFFu);
var<private> range_hi: vec2<u32> = vec2<u32>(0u, 0u);

// An opaque identity (cp.zero is 0): a fenced product rounds on its own, as on the CPU.
fn fence(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | cp.zero);
}

fn recip(y: f32) -> f32 {
    var r = bitcast<f32>(0x7EF311C3u - bitcast<u32>(y));
    for (var k = 0u; k < 3u; k++) {
        r = fence(r * (2.0 - fence(y * r)));
    }
    return r;
}

fn sf_ln(x: f32) -> f32 {
    let bits = bitcast<u32>(x);
    var e = i32(bits >> 23u) - 127;
    var m = bitcast<f32>((bits & 0x007FFFFFu) | 0x3F800000u);
    if (m > SQRT2) {
        m = m * 0.5;
        e = e + 1;
    }
    let s = fence((m - 1.0) * recip(m + 1.0));
    let s2 = fence(s * s);
    var poly = 0.222222224 + fence(s2 * 0.181818187);
    poly = 0.285714298 + fence(s2 * poly);
    poly = 0.400000006 + fence(s2 * poly);
    poly = 0.666666687 + fence(s2 * poly);
    poly = 2.0 + fence(s2 * poly);
    return fence(f32(e) * LN2) + fence(s * poly);
}

fn sf_sqrt(x: f32) -> f32 {
    if (x <= 0.0) {
        return 0.0;
    }
    let hx = fence(0.5 * x);
    var r = bitcast<f32>(0x5F3759DFu - (bitcast<u32>(x) >> 1u));
    for (var k = 0u; k < 3u; k++) {
        r = fence(r * (1.5 - fence(fence(hx * r) * r)));
    }
    return fence(x * r);
}

fn sf_cos2pi(u: f32) -> f32 {
    let y = fence((u - 0.5) * PI);
    let y2 = fence(y * y);
    // Horner from the innermost term; each product fenced.
    var q = -2.5052108e-8 + fence(y2 * 1.6059044e-10);
    q = 2.75573192e-6 + fence(y2 * q);
    q = -0.000198412701 + fence(y2 * q);
    q = 0.00833333377 + fence(y2 * q);
    q = -0.166666672 + fence(y2 * q);
    q = 1.0 + fence(y2 * q);
    let s = fence(y * q);
    return 1.0 - fence(fence(2.0 * s) * s);
}

fn u01_open(x: u32) -> f32 {
    return f32((x >> 8u) + 1u) * (1.0 / 16777216.0);
}

fn u32_to_f32(x: u32) -> f32 {
    return fence(f32(x >> 12u) * 4096.0) + f32(x & 0xFFFu);
}

fn normal(x: vec4<u32>) -> f32 {
    return fence(sf_sqrt(fence(-2.0 * sf_ln(u01_open(x.x)))) * sf_cos2pi(u01(x.y)));
}

// A sequential stream of words: blocks of 4 from (a, b, c, purpose << 24 | block).
struct Words {
    ctr: vec4<u32>,
    block: u32,
    buf: vec4<u32>,
    used: u32,
}

fn words_new(a: u32, b: u32, purpose: u32) -> Words {
    return Words(vec4<u32>(a, b, STREAM_CONSTRUCT | cp.proj, purpose << 24u), 0u, vec4<u32>(0u), 4u);
}

fn words_next(w: ptr<function, Words>) -> u32 {
    if ((*w).used == 4u) {
        let c = (*w).ctr;
        (*w).buf = philox4x32(vec4<u32>(c.x, c.y, c.z, c.w | (*w).block), vec2<u32>(cp.key0, cp.key1));
        (*w).block = (*w).block + 1u;
        (*w).used = 0u;
    }
    let v = (*w).buf[(*w).used];
    (*w).used = (*w).used + 1u;
    return v;
}

// Uniform integer in [0, m), m > 0 (Lemire's multiply-and-reject).
fn words_below(w: ptr<function, Words>, m: u32) -> u32 {
    let threshold = (0u - m) % m;
    loop {
        let prod = mulhilo(words_next(w), m);
        if (prod.y >= threshold) {
            return prod.x;
        }
    }
    return 0u;
}

fn draw_words(purpose: u32, item: u32, r: u32, attempt: u32) -> vec4<u32> {
    return philox4x32(vec4<u32>(item, r, STREAM_CONSTRUCT | cp.proj, (purpose << 24u) | attempt), vec2<u32>(cp.key0, cp.key1));
}

fn sample(kind: u32, p: vec4<f32>, purpose: u32, item: u32, r: u32) -> f32 {
    switch kind {
        case DIST_UNIFORM: {
            return p.x + fence(p.y * u01(draw_words(purpose, item, r, 0u).x));
        }
        case DIST_NORMAL: {
            return p.x + fence(p.y * normal(draw_words(purpose, item, r, 0u)));
        }
        case DIST_NORMAL_CLIPPED: {
            for (var attempt = 0u; attempt < MAX_REDRAWS; attempt++) {
                let v = p.x + fence(p.y * normal(draw_words(purpose, item, r, attempt)));
                if (v >= p.z && v <= p.w) {
                    return v;
                }
            }
            return min(max(p.x, p.z), p.w);
        }
        case DIST_NORMAL_CLIPPED_TO_BOUNDARY: {
            return min(max(p.x + fence(p.y * normal(draw_words(purpose, item, r, 0u))), p.z), p.w);
        }
        case DIST_EXPONENTIAL: {
            return -fence(p.x * sf_ln(u01_open(draw_words(purpose, item, r, 0u).x)));
        }
        case DIST_UNIFORM_INT: {
            var w = words_new(item, r, purpose);
            return p.x + f32(words_below(&w, bitcast<u32>(p.y)));
        }
        case DIST_LOGNORMAL: {
            return sf_exp(p.x + fence(p.y * normal(draw_words(purpose, item, r, 0u))));
        }
        default: {
            return 0.0;
        }
    }
}

// An f32 as a u32 of the same order (NaNs beyond ±infinity), for atomicMin/atomicMax.
fn order_key(x: f32) -> u32 {
    let b = bitcast<u32>(x);
    return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// Delay steps of a drawn delay: the table's first step count plus the number of thresholds
// (f32 delays from which round(d / dt) reaches the next count, ascending) at or below d.
fn delay_steps(d: f32) -> u32 {
    var lo = 0u;
    var hi = cp.n_thresholds;
    loop {
        if (lo >= hi) {
            break;
        }
        let mid = (lo + hi) / 2u;
        if (bitcast<f32>(out_post[mid]) <= d) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return cp.d_steps + lo;
}

// Each synapse once: its weight and delay drawn here (one copy of the samplers per call site
// keeps the compiled kernel small), then written as the mode asks.
fn emit(item: u32, r: u32, pre: u32, post: u32, slot: u32) {
    if (MODE == CONSTRUCT_MODE_COUNT) {
        return;
    }
    var w = 0.0;
    if (cp.w_kind != DIST_NONE) {
        w = sample(cp.w_kind, cp.w_p, PURPOSE_WEIGHT, item, r);
    }
    var d = 0.0;
    if (cp.d_kind != DIST_NONE) {
        d = sample(cp.d_kind, cp.d_p, PURPOSE_DELAY, item, r);
    }
    switch MODE {
        case CONSTRUCT_MODE_FILL: {
            out_pre[slot] = pre;
            out_post[slot] = post;
            if (cp.w_kind != DIST_NONE) {
                out_w[slot] = w;
            }
            if (cp.d_kind != DIST_NONE) {
                out_d[slot] = d;
            }
        }
        case CONSTRUCT_MODE_STATS: {
            atomicAdd(&stats[4u + post], 1u);
            let keys = vec2<u32>(order_key(w), order_key(d));
            range_lo = min(range_lo, keys);
            range_hi = max(range_hi, keys);
        }
        case CONSTRUCT_MODE_CSR: {
            // The synapse as stored: packed (delay steps, channel, target) word at its CSR slot
            // in this buffer, its fixed-point weight split_len words further.
            var fixed = cp.w_fixed;
            if (cp.w_kind != DIST_NONE) {
                fixed = i32(round(w * cp.w_scale));
            }
            var steps = cp.d_steps;
            if (cp.d_kind != DIST_NONE) {
                steps = delay_steps(d);
            }
            let at = slot - cp.slot_base;
            out_pre[at] = (steps << cp.target_bits) | (cp.target_base + post);
            out_pre[cp.split_len + at] = bitcast<u32>(fixed);
        }
        default: {}
    }
}

// The excluded self partner's position (partner = item ± self_delta), or 0xFFFFFFFF.
fn self_in(partner: i32, size: u32) -> u32 {
    if (cp.no_self == 1u && partner >= 0 && u32(partner) < size) {
        return u32(partner);
    }
    return 0xFFFFFFFFu;
}

fn candidate(k: u32, skip: u32) -> u32 {
    return select(k, k + 1u, k >= skip);
}

fn fixed_probability(item: u32, local: u32) {
    var words = words_new(item, 0u, PURPOSE_CONNECT);
    let skip = self_in(i32(item) + cp.self_delta, cp.nq);
    var base = 0u;
    if (MODE != CONSTRUCT_MODE_COUNT) {
        base = offsets[local];
    }
    var r = 0u;
    var j = 0u;
    loop {
        if (j >= cp.nq) {
            break;
        }
        if (cp.p < 1.0) {
            let g = floor(fence(sf_ln(u01_open(words_next(&words))) * cp.inv_log_q));
            if (g >= u32_to_f32(cp.nq - j)) {
                break;
            }
            let gi = u32(g);
            if (gi >= cp.nq - j) {
                break;
            }
            j = j + gi;
        }
        if (j != skip) {
            emit(item, r, item, j, base + r);
            r = r + 1u;
        }
        j = j + 1u;
    }
    if (MODE == CONSTRUCT_MODE_COUNT) {
        atomicStore(&counts[local], r);
    }
}

// Words of one item's hash set: the power of two ≥ 2n (load ≤ ½). Mirrors
// spikeflow::cpu::construct::table_size.
fn table_size() -> u32 {
    return 1u << (32u - countLeadingZeros(2u * cp.n - 1u));
}

// Adds candidate k to the hash set at scratch[table .. table + size]; false if it was there.
fn table_insert(table: u32, size: u32, k: u32) -> bool {
    var h = (k * 0x9E3779B1u) >> (32u - firstTrailingBit(size));
    loop {
        let v = scratch[table + h];
        if (v == 0u) {
            scratch[table + h] = k + 1u;
            return true;
        }
        if (v == k + 1u) {
            return false;
        }
        h = (h + 1u) & (size - 1u);
    }
    return false;
}

fn fixed_number(item: u32, local: u32) {
    var words = words_new(item, 0u, PURPOSE_CONNECT);
    let by_post = KIND == CONSTRUCT_FIXED_NUMBER_PRE;
    var size = cp.nq;
    var partner_self = i32(item) + cp.self_delta;
    if (by_post) {
        size = cp.np;
        partner_self = i32(item) - cp.self_delta;
    }
    let skip = self_in(partner_self, size);
    let m = size - select(0u, 1u, skip != 0xFFFFFFFFu);
    // Fill mode: n slots per item; CSR mode (FixedNumberPost): the row's first slot.
    var base = 0u;
    if (MODE == CONSTRUCT_MODE_FILL) {
        base = local * cp.n;
    } else if (MODE == CONSTRUCT_MODE_CSR) {
        base = offsets[local];
    }
    let t_size = table_size();
    let table = local * t_size;
    if (cp.replace == 0u) {
        for (var s = 0u; s < t_size; s++) {
            scratch[table + s] = 0u;
        }
    }
    for (var r = 0u; r < cp.n; r++) {
        var k = 0u;
        if (cp.replace == 1u) {
            k = words_below(&words, m);
        } else {
            // Robert Floyd's sampling without replacement: jj runs over m - n .. m - 1.
            let jj = m - cp.n + r;
            k = words_below(&words, jj + 1u);
            if (!table_insert(table, t_size, k)) {
                k = jj;
                _ = table_insert(table, t_size, jj);
            }
        }
        let partner = candidate(k, skip);
        let pre = select(item, partner, by_post);
        let post = select(partner, item, by_post);
        if (by_post && MODE == CONSTRUCT_MODE_COUNT) {
            atomicAdd(&counts[pre], 1u);
        } else if (by_post && MODE == CONSTRUCT_MODE_KEYS) {
            // The synapse's key at the next free slot of its row, if the row is in this buffer.
            if (pre >= cp.row_begin && pre < cp.row_end) {
                let row = pre - cp.row_begin;
                out_pre[offsets[row] + atomicAdd(&counts[row], 1u) - cp.slot_base] = item * cp.n + r;
            }
        } else {
            emit(item, r, pre, post, base + r);
        }
    }
}

// Restores the max-heap property below `root` of the keys at out_pre[lo .. lo + end].
fn sift_down(lo: u32, root0: u32, end: u32) {
    var root = root0;
    loop {
        var child = 2u * root + 1u;
        if (child >= end) {
            break;
        }
        if (child + 1u < end && out_pre[lo + child] < out_pre[lo + child + 1u]) {
            child = child + 1u;
        }
        let a = out_pre[lo + root];
        let b = out_pre[lo + child];
        if (a >= b) {
            break;
        }
        out_pre[lo + root] = b;
        out_pre[lo + child] = a;
        root = child;
    }
}

// Row `item` of FixedNumberPre in CSR mode: the keys its keys pass wrote (in whatever order
// the threads' atomics gave) sorted ascending — heapsort in place, the keys are distinct —
// which is the host's order (by post, then draw), then each synapse written as stored.
fn fixed_number_pre_row(item: u32, local: u32) {
    let count = atomicLoad(&counts[local]);
    let lo = offsets[local] - cp.slot_base;
    for (var s = count / 2u; s > 0u; s--) {
        sift_down(lo, s - 1u, count);
    }
    for (var end = count; end > 1u; end--) {
        let top = out_pre[lo];
        out_pre[lo] = out_pre[lo + end - 1u];
        out_pre[lo + end - 1u] = top;
        sift_down(lo, 0u, end - 1u);
    }
    for (var q = 0u; q < count; q++) {
        let key = out_pre[lo + q];
        let j = key / cp.n;
        emit(j, key - j * cp.n, item, j, offsets[local] + q);
    }
}

// Count mode (items are synapses): each synapse draws its row, a pre position i with
// probability ∝ its allowed partners (a uniform i, kept unless a uniform j is i's excluded self
// partner), and counts it. Fill mode (items are rows): row i draws its counts[local] partners
// uniformly among its allowed ones. Together: n independent uniform allowed (pre, post) pairs,
// grouped by row.
fn fixed_total_number(item: u32, local: u32) {
    if (MODE == CONSTRUCT_MODE_COUNT) {
        var words = words_new(item, 0u, PURPOSE_CONNECT);
        loop {
            let i = words_below(&words, cp.np);
            let j = words_below(&words, cp.nq);
            if (cp.no_self == 1u && i32(j) == i32(i) + cp.self_delta) {
                continue;
            }
            atomicAdd(&counts[i], 1u);
            break;
        }
        return;
    }
    var words = words_new(item, 1u, PURPOSE_CONNECT);
    let skip = self_in(i32(item) + cp.self_delta, cp.nq);
    let m = cp.nq - select(0u, 1u, skip != 0xFFFFFFFFu);
    let base = offsets[local];
    let count = atomicLoad(&counts[local]);
    for (var r = 0u; r < count; r++) {
        emit(item, r, item, candidate(words_below(&words, m), skip), base + r);
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let local = id.x;
    let item = cp.item_begin + local;
    if (item >= cp.item_end) {
        return;
    }
    switch KIND {
        case CONSTRUCT_FIXED_PROBABILITY: {
            fixed_probability(item, local);
        }
        case CONSTRUCT_FIXED_NUMBER_PRE, CONSTRUCT_FIXED_NUMBER_POST: {
            if (KIND == CONSTRUCT_FIXED_NUMBER_PRE && MODE == CONSTRUCT_MODE_CSR) {
                fixed_number_pre_row(item, local);
            } else {
                fixed_number(item, local);
            }
        }
        case CONSTRUCT_FIXED_TOTAL_NUMBER: {
            fixed_total_number(item, local);
        }
        default: {}
    }
    if (MODE == CONSTRUCT_MODE_STATS && range_lo.x <= range_hi.x) {
        if (cp.w_kind != DIST_NONE) {
            atomicMin(&stats[0], range_lo.x);
            atomicMax(&stats[1], range_hi.x);
        }
        if (cp.d_kind != DIST_NONE) {
            atomicMin(&stats[2], range_lo.y);
            atomicMax(&stats[3], range_hi.y);
        }
    }
}
