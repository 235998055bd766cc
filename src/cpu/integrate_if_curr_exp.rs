//! Mirror of `shaders/integrate_if_curr_exp.wgsl`.

use super::population::*;
use crate::model::if_curr_exp::k;

/// One step of every neuron of an IF_curr_exp population (the loop plays the GPU threads).
pub fn integrate_if_curr_exp(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    for i in 0..n {
        let gi = pop.offset + i as u32;
        record_sample(g, b, i as u32, gi);

        let mut v = b.state[i];
        let mut i_e = b.state[n + i] + take_input(g, &pop, gi, 0);
        let mut i_i = b.state[2 * n + i] + take_input(g, &pop, gi, 1);
        let i_total = b.kp(k::I_OFFSET, i) + external_current(g, &pop, i as u32, gi);
        let mut refr = b.counters[i];
        let v_old = v;
        if refr == 0 {
            v = v + b.kp(k::P20, i) * i_total + b.kp(k::P21E, i) * i_e + b.kp(k::P21I, i) * i_i + b.kp(k::P22M1, i) * (v - b.kp(k::V_REST, i));
        } else {
            refr -= 1;
        }
        i_e *= b.kp(k::P11E, i);
        i_i *= b.kp(k::P11I, i);

        let v_thresh = b.kp(k::V_THRESH, i);
        if v >= v_thresh {
            refr = refractory_after_spike(v_old, v, v_thresh, b.kp(k::REFRAC, i));
            v = b.kp(k::V_RESET, i);
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v, gi);
        b.state[i] = v;
        b.state[n + i] = i_e;
        b.state[2 * n + i] = i_i;
        b.counters[i] = refr;
    }
}
