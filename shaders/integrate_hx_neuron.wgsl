// HXNeuron (BrainScaleS-2 circuit, biological-unit kernel parameters computed on the host from
// the circuit's transfer functions; src/model/hx_neuron.rs): the AdEx RK4 sub-step scheme with
// current- or conductance-based exponential inputs per channel and adaptation around v_ref.
// Reuses the AdEx rows, AdexConsts and adex_dv of shared/adex.wgsl.
// CPU mirror: spikeflow::cpu::integrate_hx_neuron.
#import population
#import math
#import adex

// HXNeuron's own rows after the AdEx ones; mirror spikeflow::model::hx_neuron::k.
const K_W_SCALE_E: u32 = 22u;
const K_W_SCALE_I: u32 = 23u;
const K_COBA_E: u32 = 24u;
const K_COBA_I: u32 = 25u;
const K_V_REF: u32 = 26u;

// dw/dt (nA/ms) around the adaptation's own reference potential.
fn hx_dw(c: AdexConsts, v_ref: f32, v: f32, w: f32) -> f32 {
    return (c.a * (v - v_ref) - w) * c.inv_tau_w;
}

// dv/dt at one RK4 stage with synaptic inputs x_e, x_i at that stage's time: a CUBA channel's
// input is a current added to the step's current (a sum of plain terms, never of products:
// see adex_dv), a COBA channel's a conductance.
fn hx_dv(c: AdexConsts, coba_e: bool, coba_i: bool, v: f32, w: f32, x_e: f32, x_i: f32) -> f32 {
    var s = c;
    s.i_total = c.i_total + (select(x_e, 0.0, coba_e) + select(x_i, 0.0, coba_i));
    return adex_dv(s, v, w, select(0.0, x_e, coba_e), select(0.0, x_i, coba_i));
}

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    // State rows: v, adaptation, exc_synin, inh_synin. Arriving hardware weights are scaled
    // by the circuit's weight scale (nA or µS per weight LSB; negative for CUBA inhibition).
    var v = state[i];
    var w = state[n + i];
    var x_e = state[2u * n + i] + take_input(base, gi, 0u) * kp(K_W_SCALE_E, i);
    var x_i = state[3u * n + i] + take_input(base, gi, 1u) * kp(K_W_SCALE_I, i);
    var refr = counters[i];
    var spiked = false;
    let c = adex_consts(i, kp(K_I_OFFSET, i) + external_current(i, gi));
    let coba_e = kp(K_COBA_E, i) > 0.5;
    let coba_i = kp(K_COBA_I, i) > 0.5;
    let v_ref = kp(K_V_REF, i);

    for (var j = 0u; j < c.substeps; j++) {
        // Exact synaptic inputs at the sub-step's midpoint and end.
        let xe_mid = c.half_e * x_e;
        let xe_end = c.half_e * xe_mid;
        let xi_mid = c.half_i * x_i;
        let xi_end = c.half_i * xi_mid;
        if (refr > 0u) {
            // Clamped at v_reset: w relaxes exactly towards a (v - v_ref).
            refr = refr - 1u;
            let w_inf = c.a * (v - v_ref);
            w = w_inf + (w - w_inf) * c.decay_w;
        } else {
            let v0 = v;
            let w0 = w;
            let k1v = hx_dv(c, coba_e, coba_i, v0, w0, x_e, x_i);
            let k1w = hx_dw(c, v_ref, v0, w0);
            let v1 = v0 + c.h_half * k1v;
            let w1 = w0 + c.h_half * k1w;
            let k2v = hx_dv(c, coba_e, coba_i, v1, w1, xe_mid, xi_mid);
            let k2w = hx_dw(c, v_ref, v1, w1);
            let v2 = v0 + c.h_half * k2v;
            let w2 = w0 + c.h_half * k2w;
            let k3v = hx_dv(c, coba_e, coba_i, v2, w2, xe_mid, xi_mid);
            let k3w = hx_dw(c, v_ref, v2, w2);
            let v3 = v0 + c.h * k3v;
            let w3 = w0 + c.h * k3w;
            let k4v = hx_dv(c, coba_e, coba_i, v3, w3, xe_end, xi_end);
            let k4w = hx_dw(c, v_ref, v3, w3);
            var v_new = v0 + c.h_sixth * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
            w = w0 + c.h_sixth * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
            if (v_new >= c.v_spike) {
                refr = refractory_after_spike(v0, v_new, c.v_spike, c.n_refrac);
                v_new = c.v_reset;
                w = w + c.b;
                spiked = true;
            }
            v = v_new;
        }
        x_e = xe_end;
        x_i = xi_end;
    }

    if (spiked) {
        emit_spike(gi);
    }
    check_finite(v, gi);
    check_finite(w, gi);
    state[i] = v;
    state[n + i] = w;
    state[2u * n + i] = x_e;
    state[3u * n + i] = x_i;
    counters[i] = refr;
}
