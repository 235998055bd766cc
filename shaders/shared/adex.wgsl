// The AdEx step shared by integrate_eif_cond_exp_isfa_ista and integrate_eif_cond_alpha_isfa_ista
// (src/model/adex.rs): RK4 on (v, w) in sub-steps, conductances from their exact solution,
// spike test / reset / refractory clamp after every sub-step. Mirrors spikeflow::cpu::adex.
//
// The conductance of each channel is an alpha pair (g, y): over a time s it goes to
// (exp(-s/tau) (g + s y), exp(-s/tau) y). With y = 0 this is the exponential synapse, so the
// exp kernel passes y = 0 and the same code serves both.
#import population
#import math

// Per-neuron constants of one step (kernel parameters and this step's total current).
struct AdexConsts {
    e_l: f32,
    v_reset: f32,
    v_spike: f32,
    v_thresh: f32,
    inv_delta_t: f32,
    g_l: f32,
    g_l_delta_t: f32,
    inv_cm: f32,
    a: f32,
    b: f32,
    inv_tau_w: f32,
    decay_w: f32,
    e_e: f32,
    e_i: f32,
    half_e: f32,
    half_i: f32,
    h: f32,
    h_half: f32,
    h_sixth: f32,
    n_refrac: f32,
    substeps: u32,
    i_total: f32,
}

// The state one neuron carries through a step.
struct AdexState {
    v: f32,
    w: f32,
    g_e: f32,
    y_e: f32,
    g_i: f32,
    y_i: f32,
    refr: u32,
    spiked: bool,
}

// dv/dt (mV/ms); the exponential sees min(v, v_spike), so its argument is bounded. The sum
// starts from the terms that are not products: Mesa's NIR rewrites (p1 + p2) + x, p1 and p2
// products, into p1 + (p2 + x) (fuse, reassociate, unfuse on llvmpipe), which the CPU
// mirror's left-to-right sum would not follow; a sum that starts with x never takes that form.
fn adex_dv(c: AdexConsts, v: f32, w: f32, g_e: f32, g_i: f32) -> f32 {
    let spike_current = c.g_l_delta_t * sf_exp((min(v, c.v_spike) - c.v_thresh) * c.inv_delta_t);
    return (c.i_total - w + c.g_l * (c.e_l - v) + spike_current + g_e * (c.e_e - v) + g_i * (c.e_i - v)) * c.inv_cm;
}

// dw/dt (nA/ms).
fn adex_dw(c: AdexConsts, v: f32, w: f32) -> f32 {
    return (c.a * (v - c.e_l) - w) * c.inv_tau_w;
}

// Advance one neuron by one step (c.substeps sub-steps of c.h ms).
fn adex_step(c: AdexConsts, s_in: AdexState) -> AdexState {
    var s = s_in;
    for (var j = 0u; j < c.substeps; j++) {
        // Exact conductances at the sub-step's midpoint and end.
        let ge_mid = c.half_e * (s.g_e + c.h_half * s.y_e);
        let ye_mid = c.half_e * s.y_e;
        let ge_end = c.half_e * (ge_mid + c.h_half * ye_mid);
        let ye_end = c.half_e * ye_mid;
        let gi_mid = c.half_i * (s.g_i + c.h_half * s.y_i);
        let yi_mid = c.half_i * s.y_i;
        let gi_end = c.half_i * (gi_mid + c.h_half * yi_mid);
        let yi_end = c.half_i * yi_mid;
        if (s.refr > 0u) {
            // Clamped at v_reset: w relaxes exactly towards a (v - v_rest).
            s.refr = s.refr - 1u;
            let w_inf = c.a * (s.v - c.e_l);
            s.w = w_inf + (s.w - w_inf) * c.decay_w;
        } else {
            let v0 = s.v;
            let w0 = s.w;
            let k1v = adex_dv(c, v0, w0, s.g_e, s.g_i);
            let k1w = adex_dw(c, v0, w0);
            let v1 = v0 + c.h_half * k1v;
            let w1 = w0 + c.h_half * k1w;
            let k2v = adex_dv(c, v1, w1, ge_mid, gi_mid);
            let k2w = adex_dw(c, v1, w1);
            let v2 = v0 + c.h_half * k2v;
            let w2 = w0 + c.h_half * k2w;
            let k3v = adex_dv(c, v2, w2, ge_mid, gi_mid);
            let k3w = adex_dw(c, v2, w2);
            let v3 = v0 + c.h * k3v;
            let w3 = w0 + c.h * k3w;
            let k4v = adex_dv(c, v3, w3, ge_end, gi_end);
            let k4w = adex_dw(c, v3, w3);
            var v_new = v0 + c.h_sixth * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
            s.w = w0 + c.h_sixth * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
            if (v_new >= c.v_spike) {
                // Dead sub-steps after this one: round(n - 1 + f), f the crossing's fraction.
                s.refr = refractory_after_spike(v0, v_new, c.v_spike, c.n_refrac);
                v_new = c.v_reset;
                s.w = s.w + c.b;
                s.spiked = true;
            }
            s.v = v_new;
        }
        s.g_e = ge_end;
        s.y_e = ye_end;
        s.g_i = gi_end;
        s.y_i = yi_end;
    }
    return s;
}

// Kernel parameter rows shared by both AdEx kernels; mirror spikeflow::model::adex::k.
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

// The per-neuron constants of this step.
fn adex_consts(i: u32, i_total: f32) -> AdexConsts {
    return AdexConsts(
        kp(K_E_L, i), kp(K_V_RESET, i), kp(K_V_SPIKE, i), kp(K_V_THRESH, i), kp(K_INV_DELTA_T, i),
        kp(K_G_L, i), kp(K_G_L_DELTA_T, i), kp(K_INV_CM, i), kp(K_A, i), kp(K_B, i), kp(K_INV_TAU_W, i),
        kp(K_DECAY_W, i), kp(K_E_REV_E, i), kp(K_E_REV_I, i), kp(K_HALF_E, i), kp(K_HALF_I, i), kp(K_H, i),
        kp(K_H_HALF, i), kp(K_H_SIXTH, i), kp(K_REFRAC, i), u32(kp(K_SUBSTEPS, i)), i_total,
    );
}
