// HH_cond_exp (Traub-Miles Hodgkin-Huxley, exponential conductances): RK4 in sub-steps
// (src/model/hh_cond_exp.rs). CPU mirror: spikeflow::cpu::integrate_hh_cond_exp.
#import population
#import math

// Kernel parameter rows; mirror spikeflow::model::hh_cond_exp::k.
const K_G_NA: u32 = 0u;
const K_G_K: u32 = 1u;
const K_G_LEAK: u32 = 2u;
const K_INV_CM: u32 = 3u;
const K_V_OFFSET: u32 = 4u;
const K_E_NA: u32 = 5u;
const K_E_K: u32 = 6u;
const K_E_LEAK: u32 = 7u;
const K_E_REV_E: u32 = 8u;
const K_E_REV_I: u32 = 9u;
const K_HALF_E: u32 = 10u;
const K_HALF_I: u32 = 11u;
const K_I_OFFSET: u32 = 12u;
const K_H: u32 = 13u;
const K_H_HALF: u32 = 14u;
const K_H_SIXTH: u32 = 15u;
const K_SUBSTEPS: u32 = 16u;

// A spike is an upward crossing of this potential (mV); there is no reset.
const HH_SPIKE_CROSSING: f32 = 0.0;

struct HhConsts {
    g_na: f32,
    g_k: f32,
    g_leak: f32,
    inv_cm: f32,
    v_offset: f32,
    e_na: f32,
    e_k: f32,
    e_leak: f32,
    e_e: f32,
    e_i: f32,
    i_total: f32,
}

// u / (exp(u) - 1), with its series 1 - u/2 + u^2/12 - u^4/720 where |u| < 0.1 (no 0/0 at u = 0,
// no cancellation in exp(u) - 1). Literals are f32 values written out to 9 digits, as in math.wgsl.
fn hh_bernoulli(u: f32) -> f32 {
    if (abs(u) < 0.100000001) {
        let u2 = u * u;
        return 1.0 - 0.5 * u + u2 * (0.0833333358 - u2 * 0.00138888892);
    }
    return u / (sf_exp(u) - 1.0);
}

// d(v, m, h, n)/dt for state y = (v, m, h, n) and synaptic conductances g_e, g_i.
fn hh_rhs(c: HhConsts, y: vec4<f32>, g_e: f32, g_i: f32) -> vec4<f32> {
    let v = y.x;
    let m = y.y;
    let h = y.z;
    let n = y.w;
    let u = v - c.v_offset;
    // 0.32 (13 - u) / (exp((13 - u)/4) - 1) = 1.28 B((13 - u)/4), and likewise for beta_m, alpha_n.
    let alpha_m = 1.27999997 * hh_bernoulli((13.0 - u) * 0.25);
    let beta_m = 1.39999998 * hh_bernoulli((u - 40.0) * 0.200000003);
    let alpha_h = 0.128000006 * sf_exp((17.0 - u) * 0.055555556);
    let beta_h = 4.0 / (1.0 + sf_exp((40.0 - u) * 0.200000003));
    let alpha_n = 0.159999996 * hh_bernoulli((15.0 - u) * 0.200000003);
    let beta_n = 0.5 * sf_exp((10.0 - u) * 0.0250000004);
    let n2 = n * n;
    // The sum starts from the one term that is not a product: Mesa's NIR rewrites
    // (p1 + p2) + x, p1 and p2 products, into p1 + (p2 + x) (it fuses, reassociates and, on
    // llvmpipe, unfuses again), which the CPU mirror's left-to-right sum would not follow.
    let i_sum = c.i_total + g_e * (c.e_e - v) + g_i * (c.e_i - v) + c.g_leak * (c.e_leak - v) + c.g_k * (n2 * n2) * (c.e_k - v)
        + c.g_na * (m * m * m * h) * (c.e_na - v);
    let dv = i_sum * c.inv_cm;
    // dx/dt = alpha (1 - x) - beta x, written (x_inf - x) / tau_x = (alpha / r - x) r, r = alpha + beta:
    // a product, like dv, so that the RK4 sums of the k's below keep their written order on
    // Mesa (see i_sum; alpha - r x would be a sum of two products).
    let r_m = alpha_m + beta_m;
    let r_h = alpha_h + beta_h;
    let r_n = alpha_n + beta_n;
    return vec4<f32>(dv, (alpha_m / r_m - m) * r_m, (alpha_h / r_h - h) * r_h, (alpha_n / r_n - n) * r_n);
}

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    // State rows: v, gsyn_exc, gsyn_inh, m, h, n.
    var g_e = state[n + i] + take_input(base, gi, 0u);
    var g_i = state[2u * n + i] + take_input(base, gi, 1u);
    var y = vec4<f32>(state[i], state[3u * n + i], state[4u * n + i], state[5u * n + i]);
    let c = HhConsts(
        kp(K_G_NA, i), kp(K_G_K, i), kp(K_G_LEAK, i), kp(K_INV_CM, i), kp(K_V_OFFSET, i), kp(K_E_NA, i),
        kp(K_E_K, i), kp(K_E_LEAK, i), kp(K_E_REV_E, i), kp(K_E_REV_I, i),
        kp(K_I_OFFSET, i) + external_current(i, gi),
    );
    let half_e = kp(K_HALF_E, i);
    let half_i = kp(K_HALF_I, i);
    let h = kp(K_H, i);
    let h_half = kp(K_H_HALF, i);
    let h_sixth = kp(K_H_SIXTH, i);
    let substeps = u32(kp(K_SUBSTEPS, i));
    var crossed = false;
    for (var j = 0u; j < substeps; j++) {
        // Exact conductances at the sub-step's midpoint and end.
        let ge_mid = g_e * half_e;
        let ge_end = ge_mid * half_e;
        let gi_mid = g_i * half_i;
        let gi_end = gi_mid * half_i;
        let k1 = hh_rhs(c, y, g_e, g_i);
        let k2 = hh_rhs(c, y + h_half * k1, ge_mid, gi_mid);
        let k3 = hh_rhs(c, y + h_half * k2, ge_mid, gi_mid);
        let k4 = hh_rhs(c, y + h * k3, ge_end, gi_end);
        let y_new = y + h_sixth * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        if (y.x < HH_SPIKE_CROSSING && y_new.x >= HH_SPIKE_CROSSING) {
            crossed = true;
        }
        y = y_new;
        g_e = ge_end;
        g_i = gi_end;
    }
    if (crossed) {
        emit_spike(gi);
    }
    check_finite(y.x, gi);
    state[i] = y.x;
    state[n + i] = g_e;
    state[2u * n + i] = g_i;
    state[3u * n + i] = y.y;
    state[4u * n + i] = y.z;
    state[5u * n + i] = y.w;
}
