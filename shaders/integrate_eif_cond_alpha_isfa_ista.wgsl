// EIF_cond_alpha_isfa_ista (AdEx, alpha conductances): RK4 in sub-steps, exact alpha propagators
// (src/model/adex.rs, src/model/eif_cond_alpha_isfa_ista.rs).
// CPU mirror: spikeflow::cpu::integrate_eif_cond_alpha_isfa_ista.
#import population
#import math
#import adex

// Kernel parameter rows; mirror spikeflow::model::eif_cond_alpha_isfa_ista::k.
const K_E_L: u32 = 0u;
const K_V_RESET: u32 = 1u;
const K_V_SPIKE: u32 = 2u;
const K_V_THRESH: u32 = 3u;
const K_INV_DELTA_T: u32 = 4u;
const K_G_L: u32 = 5u;
const K_G_L_DELTA_T: u32 = 6u;
const K_INV_CM: u32 = 7u;
const K_A: u32 = 8u;
const K_B: u32 = 9u;
const K_INV_TAU_W: u32 = 10u;
const K_DECAY_W: u32 = 11u;
const K_E_REV_E: u32 = 12u;
const K_E_REV_I: u32 = 13u;
const K_HALF_E: u32 = 14u;
const K_HALF_I: u32 = 15u;
const K_I_OFFSET: u32 = 16u;
const K_H: u32 = 17u;
const K_H_HALF: u32 = 18u;
const K_H_SIXTH: u32 = 19u;
const K_SUBSTEPS: u32 = 20u;
const K_REFRAC: u32 = 21u;
const K_ALPHA_E: u32 = 22u;
const K_ALPHA_I: u32 = 23u;

// The per-neuron constants of this step.
fn adex_consts(i: u32, i_total: f32) -> AdexConsts {
    return AdexConsts(
        kp(K_E_L, i), kp(K_V_RESET, i), kp(K_V_SPIKE, i), kp(K_V_THRESH, i), kp(K_INV_DELTA_T, i),
        kp(K_G_L, i), kp(K_G_L_DELTA_T, i), kp(K_INV_CM, i), kp(K_A, i), kp(K_B, i), kp(K_INV_TAU_W, i),
        kp(K_DECAY_W, i), kp(K_E_REV_E, i), kp(K_E_REV_I, i), kp(K_HALF_E, i), kp(K_HALF_I, i), kp(K_H, i),
        kp(K_H_HALF, i), kp(K_H_SIXTH, i), kp(K_REFRAC, i), u32(kp(K_SUBSTEPS, i)), i_total,
    );
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x + id.y * (MAX_DISPATCH * 64u);
    reset_spike_counts(i);
    if (i >= pop.n) {
        return;
    }
    let n = pop.n;
    let gi = pop.offset + i;
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
