//! Mirror of `shaders/integrate_if_cond_exp.wgsl`.

use super::math::sf_exp;
use super::population::*;
use crate::model::if_cond_exp::k;

/// One step of every neuron of an IF_cond_exp population.
pub fn integrate_if_cond_exp(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    for i in 0..n {
        let gi = pop.offset + i as u32;
        record_sample(g, b, i as u32, gi);

        let mut v = b.state[i];
        let mut g_e = b.state[n + i] + take_input(g, &pop, gi, 0);
        let mut g_i = b.state[2 * n + i] + take_input(g, &pop, gi, 1);
        let i_total = b.kp(k::I_OFFSET, i) + external_current(g, &pop, i as u32, gi);
        let mut refr = b.counters[i];
        let v_old = v;
        if refr == 0 {
            let g_l = b.kp(k::G_L, i);
            let ge_mid = g_e * b.kp(k::HALF_E, i);
            let gi_mid = g_i * b.kp(k::HALF_I, i);
            let g_tot = g_l + ge_mid + gi_mid;
            let v_inf = (g_l * b.kp(k::V_REST, i) + ge_mid * b.kp(k::E_REV_E, i) + gi_mid * b.kp(k::E_REV_I, i) + i_total) / g_tot;
            v = v_inf + (v - v_inf) * sf_exp(-(b.kp(k::DT_OVER_CM, i) * g_tot));
        } else {
            refr -= 1;
        }
        g_e *= b.kp(k::DECAY_E, i);
        g_i *= b.kp(k::DECAY_I, i);

        let v_thresh = b.kp(k::V_THRESH, i);
        if v >= v_thresh {
            refr = refractory_after_spike(v_old, v, v_thresh, b.kp(k::REFRAC, i));
            v = b.kp(k::V_RESET, i);
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v, gi);
        b.state[i] = v;
        b.state[n + i] = g_e;
        b.state[2 * n + i] = g_i;
        b.counters[i] = refr;
    }
}
