// EIF_cond_exp_isfa_ista (AdEx, exponential conductances): RK4 in sub-steps
// (src/model/adex.rs, src/model/eif_cond_exp_isfa_ista.rs).
// CPU mirror: spikeflow::cpu::integrate_eif_cond_exp_isfa_ista.
#import population
#import math
#import adex

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    // State rows: v, w, gsyn_exc, gsyn_inh. Arriving weights (µS) add to the conductances.
    var s: AdexState;
    s.v = state[i];
    s.w = state[n + i];
    s.g_e = state[2u * n + i] + take_input(base, gi, 0u);
    s.y_e = 0.0;
    s.g_i = state[3u * n + i] + take_input(base, gi, 1u);
    s.y_i = 0.0;
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
    counters[i] = s.refr;
}
