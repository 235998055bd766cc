// Plastic synapses, stage 3 of 4 (src/network/plastic.rs): postsynaptic spikes of this step
// (stamped T = step + 1). For each spiking neuron, its incoming STDP synapses (through the
// postsynaptic index) are potentiated with their presynaptic trace at T; then thread 0 updates
// the neuron's traces (STDP postsynaptic, rate). Each spike has `post_threads` threads (a
// power of two dividing the workgroup); indirect dispatch sized by plastic_window.
// CPU mirror: spikeflow::cpu::plastic_post.
#import plastic

@group(0) @binding(2) var<storage, read> spikes: array<u32>;
@group(0) @binding(3) var<storage, read> post_ptr: array<u32>;
@group(0) @binding(4) var<storage, read> post_syn: array<u32>;
@group(0) @binding(5) var<storage, read> syn_meta: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read_write> syn_state: array<PlasticState>;
@group(0) @binding(7) var<storage, read> rules: array<PlasticRule>;
@group(0) @binding(8) var<storage, read_write> traces: array<NeuronTrace>;

// Trace entry e after a spike at t: decayed and incremented, or reset to `inc`.
fn bump(e: u32, inc: f32, c: f32, reset: bool, t: u32) {
    let tr = traces[e];
    var v = inc;
    if (!reset) {
        v = fence(tr.value * decay(c, t - tr.last)) + inc;
    }
    traces[e] = NeuronTrace(v, t);
}

// Every trace of neuron gi after its spike at t.
fn update_traces(gi: u32, t: u32) {
    for (var k = 0u; k < plastic.n_rules; k++) {
        let r = rules[k];
        if (r.kind == RULE_ANTI_HEBBIAN) {
            if (gi - r.pre_offset < r.pre_n) {
                bump(r.pre_trace + gi - r.pre_offset, r.rate_inc, r.c_rate, false, t);
            }
            if (gi - r.post_offset < r.post_n) {
                bump(r.post_trace + gi - r.post_offset, r.rate_inc, r.c_rate, false, t);
            }
        } else if (r.post_trace != NONE && gi - r.post_offset < r.post_n) {
            bump(r.post_trace + gi - r.post_offset, 1.0, r.c_minus, (r.flags & RULE_FLAG_NEAREST) != 0u, t);
        }
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) num_wg: vec3<u32>) {
    let tpi = plastic.post_threads;
    let lane = id.x % tpi;
    let t = step_params.step + 1u;
    let p = step_params.parity;
    let count = spikes[p * 4u + 3u];
    for (var s = id.x / tpi; s < count; s += num_wg.x * 64u / tpi) {
        let gi = spikes[SPIKE_HEADER_WORDS + p * plastic.n_total + s];
        let end = post_ptr[gi + 1u];
        for (var k = post_ptr[gi] + lane; k < end; k += tpi) {
            let q = post_syn[k];
            let r = rules[syn_meta[q].y];
            if ((r.flags & RULE_FLAG_ENABLED) != 0u) {
                let st = syn_state[q];
                let x = st.a * decay(r.c_plus, t - st.last);
                syn_state[q].weight = stdp_potentiate(r, st.weight, x);
            }
        }
        if (lane == 0u) {
            update_traces(gi, t);
        }
    }
}
