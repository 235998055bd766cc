// Plastic synapses, stage 4 of 4 (src/network/plastic.rs): the anti-Hebbian rate rule,
// Δw = -eta·interval/1000·r_pre·r_post with the rate traces decayed to T = step + 1, on the
// steps where T is a multiple of the rule's period and its learning is on. One thread per
// rate-rule synapse. CPU mirror: spikeflow::cpu::plastic_rate.
#import plastic

@group(0) @binding(2) var<storage, read> rate_syn: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read> syn_meta: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> syn_state: array<PlasticState>;
@group(0) @binding(5) var<storage, read> rules: array<PlasticRule>;
@group(0) @binding(6) var<storage, read> traces: array<NeuronTrace>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * (MAX_DISPATCH * 64u);
    if (i >= plastic.n_rate) {
        return;
    }
    let t = step_params.step + 1u;
    let e = rate_syn[i];
    let m = syn_meta[e.x];
    let r = rules[m.y & PLASTIC_RULE_MASK];
    if ((r.flags & RULE_FLAG_ENABLED) == 0u || t % r.period != 0u) {
        return;
    }
    let post = (m.x & plastic.target_mask) % plastic.n_total;
    let tp = traces[r.pre_trace + e.y - r.pre_offset];
    let tq = traces[r.post_trace + post - r.post_offset];
    let r_pre = tp.value * decay(r.c_rate, t - tp.last);
    let r_post = tq.value * decay(r.c_rate, t - tq.last);
    let w = syn_state[e.x].weight;
    syn_state[e.x].weight = apply_dw(w, -(fence(r.rate_eta * r_pre) * r_post), r.w_min, r.w_max);
}
