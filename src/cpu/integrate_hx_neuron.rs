//! Mirror of `shaders/integrate_hx_neuron.wgsl`: one loop iteration per GPU thread, the same
//! f32 operations in the same order (no `mul_add`, spikeflow's own `sf_exp`). HX populations
//! hold at most 512 neurons, so this mirror stays the plain per-neuron loop (not split into
//! vectorised passes like the AdEx one).

use super::math::sf_exp;
use super::population::*;
use crate::model::hx_neuron::k;

/// `AdexConsts` of `shaders/shared/adex.wgsl` (the fields this kernel reads).
#[derive(Clone, Copy)]
struct Consts {
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

/// Mirrors `adex_dv` (shared/adex.wgsl), operand for operand.
#[inline(always)]
fn adex_dv(c: &Consts, v: f32, w: f32, g_e: f32, g_i: f32) -> f32 {
    let spike_current = c.g_l_delta_t * sf_exp((v.min(c.v_spike) - c.v_thresh) * c.inv_delta_t);
    (c.i_total - w + c.g_l * (c.e_l - v) + spike_current + g_e * (c.e_e - v) + g_i * (c.e_i - v)) * c.inv_cm
}

/// Mirrors `hx_dw`.
#[inline(always)]
fn hx_dw(c: &Consts, v_ref: f32, v: f32, w: f32) -> f32 {
    (c.a * (v - v_ref) - w) * c.inv_tau_w
}

/// Mirrors `hx_dv`: a CUBA channel's input joins the current, a COBA channel's is a conductance.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn hx_dv(c: &Consts, coba_e: bool, coba_i: bool, v: f32, w: f32, x_e: f32, x_i: f32) -> f32 {
    let mut s = *c;
    s.i_total = c.i_total + ((if coba_e { 0.0 } else { x_e }) + (if coba_i { 0.0 } else { x_i }));
    adex_dv(&s, v, w, if coba_e { x_e } else { 0.0 }, if coba_i { x_i } else { 0.0 })
}

/// One step of every neuron of an HXNeuron population (the loop plays the GPU threads).
pub fn integrate_hx_neuron(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    let slot = sample_slot(g, &pop);
    let base = input_base(g, &pop);
    for i in 0..n {
        let gi = pop.offset + i as u32;
        record_sample(g, b, slot, i as u32, gi);
        let kp = |r: usize| b.kparams[r * n + i];
        let mut v = b.state[i];
        let mut w = b.state[n + i];
        let in_e = take_input(g, &pop, base, gi, 0);
        let in_i = take_input(g, &pop, base, gi, 1);
        let mut x_e = b.state[2 * n + i] + in_e * kp(k::W_SCALE_E);
        let mut x_i = b.state[3 * n + i] + in_i * kp(k::W_SCALE_I);
        let mut refr = b.counters[i];
        let mut spiked = false;
        let c = Consts {
            e_l: kp(k::E_L),
            v_reset: kp(k::V_RESET),
            v_spike: kp(k::V_SPIKE),
            v_thresh: kp(k::V_THRESH),
            inv_delta_t: kp(k::INV_DELTA_T),
            g_l: kp(k::G_L),
            g_l_delta_t: kp(k::G_L_DELTA_T),
            inv_cm: kp(k::INV_CM),
            a: kp(k::A),
            b: kp(k::B),
            inv_tau_w: kp(k::INV_TAU_W),
            decay_w: kp(k::DECAY_W),
            e_e: kp(k::E_REV_E),
            e_i: kp(k::E_REV_I),
            half_e: kp(k::HALF_E),
            half_i: kp(k::HALF_I),
            h: kp(k::H),
            h_half: kp(k::H_HALF),
            h_sixth: kp(k::H_SIXTH),
            n_refrac: kp(k::REFRAC),
            substeps: kp(k::SUBSTEPS) as u32,
            i_total: kp(k::I_OFFSET) + external_current(g, &pop, i as u32, gi),
        };
        let (coba_e, coba_i, v_ref) = (kp(k::COBA_E) > 0.5, kp(k::COBA_I) > 0.5, kp(k::V_REF));
        for _ in 0..c.substeps {
            let xe_mid = c.half_e * x_e;
            let xe_end = c.half_e * xe_mid;
            let xi_mid = c.half_i * x_i;
            let xi_end = c.half_i * xi_mid;
            if refr > 0 {
                refr -= 1;
                let w_inf = c.a * (v - v_ref);
                w = w_inf + (w - w_inf) * c.decay_w;
            } else {
                let (v0, w0) = (v, w);
                let k1v = hx_dv(&c, coba_e, coba_i, v0, w0, x_e, x_i);
                let k1w = hx_dw(&c, v_ref, v0, w0);
                let v1 = v0 + c.h_half * k1v;
                let w1 = w0 + c.h_half * k1w;
                let k2v = hx_dv(&c, coba_e, coba_i, v1, w1, xe_mid, xi_mid);
                let k2w = hx_dw(&c, v_ref, v1, w1);
                let v2 = v0 + c.h_half * k2v;
                let w2 = w0 + c.h_half * k2w;
                let k3v = hx_dv(&c, coba_e, coba_i, v2, w2, xe_mid, xi_mid);
                let k3w = hx_dw(&c, v_ref, v2, w2);
                let v3 = v0 + c.h * k3v;
                let w3 = w0 + c.h * k3w;
                let k4v = hx_dv(&c, coba_e, coba_i, v3, w3, xe_end, xi_end);
                let k4w = hx_dw(&c, v_ref, v3, w3);
                let mut v_new = v0 + c.h_sixth * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
                w = w0 + c.h_sixth * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
                if v_new >= c.v_spike {
                    refr = refractory_after_spike(v0, v_new, c.v_spike, c.n_refrac);
                    v_new = c.v_reset;
                    w += c.b;
                    spiked = true;
                }
                v = v_new;
            }
            x_e = xe_end;
            x_i = xi_end;
        }
        if spiked {
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v, gi);
        check_finite(g, w, gi);
        b.state[i] = v;
        b.state[n + i] = w;
        b.state[2 * n + i] = x_e;
        b.state[3 * n + i] = x_i;
        b.counters[i] = refr;
    }
}
