// Plastic synapses, stage 3 of 4 (src/network/plastic.rs): postsynaptic spikes reaching their
// synapses at T = step + 1. Items f < count are this step's spikes: the neuron's incoming STDP
// synapses of dendritic class 0 (no dendritic delay) are potentiated with their presynaptic
// trace at T, then thread 0 updates the neuron's traces (STDP postsynaptic of class 0, rate).
// Items beyond are (spike of step s - e, dendritic class e > 0) from the spike history: the
// neuron's incoming STDP synapses of that class are potentiated and its class-e trace updated.
// Each item has `post_threads` threads (a power of two dividing the workgroup); indirect
// dispatch sized by plastic_window. Rows of the postsynaptic index are sorted by class.
// CPU mirror: spikeflow::cpu::plastic_post.
#import plastic

@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read> post_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> post_syn: array<u32>;
@group(0) @binding(5) var<storage, read> syn_meta: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> syn_state: array<PlasticState>;
@group(0) @binding(7) var<storage, read> rules: array<PlasticRule>;
@group(0) @binding(8) var<storage, read_write> traces: array<NeuronTrace>;
@group(0) @binding(9) var<storage, read> sched: array<u32>;
@group(0) @binding(10) var<storage, read> hist: array<u32>;

// Trace entry e after a spike at t: decayed and incremented, or reset to `inc`.
fn bump(e: u32, inc: f32, c: f32, reset: bool, t: u32) {
    let tr = traces[e];
    var v = inc;
    if (!reset) {
        v = fence(tr.value * decay(c, t - tr.last)) + inc;
    }
    traces[e] = NeuronTrace(v, t);
}

// The traces of neuron gi after its spike reached dendritic class k at t; rate traces
// (no dendritic delay) with class 0.
fn update_traces(gi: u32, k: u32, t: u32) {
    for (var q = 0u; q < plastic.n_rules; q++) {
        let r = rules[q];
        if (r.kind == RULE_ANTI_HEBBIAN) {
            if (k == 0u && gi - r.pre_offset < r.pre_n) {
                bump(r.pre_trace + gi - r.pre_offset, r.rate_inc, r.c_rate, false, t);
            }
            if (k == 0u && gi - r.post_offset < r.post_n) {
                bump(r.post_trace + gi - r.post_offset, r.rate_inc, r.c_rate, false, t);
            }
        } else if (r.post_trace != NONE && gi - r.post_offset < r.post_n) {
            bump(post_trace_index(r, gi, k), 1.0, r.c_minus, (r.flags & RULE_FLAG_NEAREST) != 0u, t);
        }
    }
}

// First position in [beg, end) of the postsynaptic index whose synapse has class >= k.
fn lower_bound_class(beg: u32, end: u32, k: u32) -> u32 {
    var lo = beg;
    var hi = end;
    while (lo < hi) {
        let mid = lo + (hi - lo) / 2u;
        if ((syn_meta[post_syn[mid]].y >> PLASTIC_DCLASS_SHIFT) < k) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return lo;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) num_wg: vec3<u32>) {
    let tpi = plastic.post_threads;
    let lane = id.x % tpi;
    let s = step_params.step;
    let t = s + 1u;
    let p = step_params.parity;
    let count = spikes[p * 4u + 3u];
    let n_items = count + sched[8];
    let nd = plastic.n_dclasses;
    let dprefix_at = sched_dprefix_at();
    for (var f = id.x / tpi; f < n_items; f += num_wg.x * 64u / tpi) {
        var gi = 0u;
        var k = 0u;
        if (f < count) {
            gi = spikes[SPIKE_HEADER_WORDS + p * plastic.n_total + f];
        } else {
            // The item's dendritic class: the last k with prefix[k] <= f - count (class 0
            // counts nothing).
            let g = f - count;
            var lo = 0u;
            var hi = nd;
            while (hi - lo > 1u) {
                let mid = (lo + hi) / 2u;
                if (sched[dprefix_at + mid] <= g) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            k = lo;
            let e = sched[sched_dclass_at() + k];
            let h = plastic.hist_len;
            gi = hist[h + ((s - e) % h) * plastic.n_total + (g - sched[dprefix_at + k])];
        }
        let beg = lower_bound_class(post_ptr[gi], post_ptr[gi + 1u], k);
        let end = lower_bound_class(beg, post_ptr[gi + 1u], k + 1u);
        for (var j = beg + lane; j < end; j += tpi) {
            let q = post_syn[j];
            let r = rules[syn_meta[q].y & PLASTIC_RULE_MASK];
            if ((r.flags & RULE_FLAG_ENABLED) != 0u) {
                let st = syn_state[q];
                let x = st.a * decay(r.c_plus, t - st.last);
                syn_state[q].weight = stdp_potentiate(r, st.weight, x);
            }
        }
        if (lane == 0u) {
            update_traces(gi, k, t);
        }
    }
}
