// IF_cond_alpha: exact alpha conductances, exponential Euler with midpoint conductances for v
// (src/model/if_cond_alpha.rs). CPU mirror: spikeflow::cpu::integrate_if_cond_alpha.
#import population
#import math

// Kernel parameter rows; mirror spikeflow::model::if_cond_alpha::k.
const K_V_REST: u32 = 0u;
const K_V_RESET: u32 = 1u;
const K_V_THRESH: u32 = 2u;
const K_I_OFFSET: u32 = 3u;
const K_G_L: u32 = 4u;
const K_DT_OVER_CM: u32 = 5u;
const K_E_REV_E: u32 = 6u;
const K_E_REV_I: u32 = 7u;
const K_DECAY_E: u32 = 8u;
const K_H_DECAY_E: u32 = 9u;
const K_HALF_E: u32 = 10u;
const K_H_HALF_E: u32 = 11u;
const K_DECAY_I: u32 = 12u;
const K_H_DECAY_I: u32 = 13u;
const K_HALF_I: u32 = 14u;
const K_H_HALF_I: u32 = 15u;
const K_JUMP_E: u32 = 16u;
const K_JUMP_I: u32 = 17u;
const K_REFRAC: u32 = 18u;

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    var v = state[i];
    var g_e = state[n + i];
    var g_i = state[2u * n + i];
    var d_e = state[3u * n + i] + take_input(base, gi, 0u) * kp(K_JUMP_E, i);
    var d_i = state[4u * n + i] + take_input(base, gi, 1u) * kp(K_JUMP_I, i);
    let i_total = kp(K_I_OFFSET, i) + external_current(i, gi);
    var refr = counters[i];
    let v_old = v;
    if (refr == 0u) {
        let g_l = kp(K_G_L, i);
        let ge_mid = kp(K_H_HALF_E, i) * d_e + kp(K_HALF_E, i) * g_e;
        let gi_mid = kp(K_H_HALF_I, i) * d_i + kp(K_HALF_I, i) * g_i;
        let g_tot = g_l + ge_mid + gi_mid;
        let v_inf = (g_l * kp(K_V_REST, i) + ge_mid * kp(K_E_REV_E, i) + gi_mid * kp(K_E_REV_I, i) + i_total) / g_tot;
        v = v_inf + (v - v_inf) * sf_exp(-(kp(K_DT_OVER_CM, i) * g_tot));
    } else {
        refr = refr - 1u;
    }
    g_e = kp(K_H_DECAY_E, i) * d_e + kp(K_DECAY_E, i) * g_e;
    d_e = kp(K_DECAY_E, i) * d_e;
    g_i = kp(K_H_DECAY_I, i) * d_i + kp(K_DECAY_I, i) * g_i;
    d_i = kp(K_DECAY_I, i) * d_i;

    let v_thresh = kp(K_V_THRESH, i);
    if (v >= v_thresh) {
        refr = refractory_after_spike(v_old, v, v_thresh, kp(K_REFRAC, i));
        v = kp(K_V_RESET, i);
        emit_spike(gi);
    }
    check_finite(v, gi);
    state[i] = v;
    state[n + i] = g_e;
    state[2u * n + i] = g_i;
    state[3u * n + i] = d_e;
    state[4u * n + i] = d_i;
    counters[i] = refr;
}
