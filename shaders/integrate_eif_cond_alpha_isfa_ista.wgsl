// EIF_cond_alpha_isfa_ista (AdEx, alpha conductances): RK4 in sub-steps, exact alpha propagators
// (src/model/adex.rs, src/model/eif_cond_alpha_isfa_ista.rs).
// CPU mirror: spikeflow::cpu::integrate_eif_cond_alpha_isfa_ista.
#import population
#import math
#import adex

// Kernel parameter rows beyond the shared AdEx rows of shared/adex.wgsl; mirror
// spikeflow::model::eif_cond_alpha_isfa_ista::k.
const K_ALPHA_E: u32 = 22u;
const K_ALPHA_I: u32 = 23u;

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    // State rows: v, w, gsyn_exc, gsyn_inh, dgsyn_exc, dgsyn_inh. An arriving weight w (µS)
    // adds w e / tau_syn to the rise variable: g(t) = w (t / tau) e^(1 - t / tau).
    var s: AdexState;
    s.v = state[i];
    s.w = state[n + i];
    s.g_e = state[2u * n + i];
    s.y_e = state[4u * n + i] + take_input(base, gi, 0u) * kp(K_ALPHA_E, i);
    s.g_i = state[3u * n + i];
    s.y_i = state[5u * n + i] + take_input(base, gi, 1u) * kp(K_ALPHA_I, i);
    s.refr = counters[i];
    s.spiked = false;
    let c = adex_consts(i, kp(K_I_OFFSET, i) + external_current(i, gi));
    s = adex_step(c, s);

    if (s.spiked) {
        emit_spike(gi);
    }
    check_finite(s.v, gi);
    check_finite(s.w, gi);
    state[i] = s.v;
    state[n + i] = s.w;
    state[2u * n + i] = s.g_e;
    state[3u * n + i] = s.g_i;
    state[4u * n + i] = s.y_e;
    state[5u * n + i] = s.y_i;
    counters[i] = s.refr;
}
