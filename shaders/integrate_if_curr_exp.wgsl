// IF_curr_exp: exact integration of one step (src/model/if_curr_exp.rs has the equations).
// CPU mirror: spikeflow::cpu::integrate_if_curr_exp.
#import population

// Kernel parameter rows; mirror spikeflow::model::if_curr_exp::k.
const K_V_REST: u32 = 0u;
const K_V_RESET: u32 = 1u;
const K_V_THRESH: u32 = 2u;
const K_I_OFFSET: u32 = 3u;
const K_P22M1: u32 = 4u;
const K_P21E: u32 = 5u;
const K_P21I: u32 = 6u;
const K_P11E: u32 = 7u;
const K_P11I: u32 = 8u;
const K_P20: u32 = 9u;
const K_REFRAC: u32 = 10u;

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    var v = state[i];
    var i_e = state[n + i] + take_input(base, gi, 0u);
    var i_i = state[2u * n + i] + take_input(base, gi, 1u);
    let i_total = kp(K_I_OFFSET, i) + external_current(i, gi);
    var refr = counters[i];
    let v_old = v;
    if (refr == 0u) {
        v = v + kp(K_P20, i) * i_total + kp(K_P21E, i) * i_e + kp(K_P21I, i) * i_i + kp(K_P22M1, i) * (v - kp(K_V_REST, i));
    } else {
        refr = refr - 1u;
    }
    i_e = i_e * kp(K_P11E, i);
    i_i = i_i * kp(K_P11I, i);

    let v_thresh = kp(K_V_THRESH, i);
    if (v >= v_thresh) {
        refr = refractory_after_spike(v_old, v, v_thresh, kp(K_REFRAC, i));
        v = kp(K_V_RESET, i);
        emit_spike(gi);
    }
    check_finite(v, gi);
    state[i] = v;
    state[n + i] = i_e;
    state[2u * n + i] = i_i;
    counters[i] = refr;
}
