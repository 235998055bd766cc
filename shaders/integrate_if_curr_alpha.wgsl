// IF_curr_alpha: exact integration of one step (src/model/if_curr_alpha.rs has the equations).
// CPU mirror: spikeflow::cpu::integrate_if_curr_alpha.
#import population

// Kernel parameter rows; mirror spikeflow::model::if_curr_alpha::k.
const K_V_REST: u32 = 0u;
const K_V_RESET: u32 = 1u;
const K_V_THRESH: u32 = 2u;
const K_I_OFFSET: u32 = 3u;
const K_P33M1: u32 = 4u;
const K_P30: u32 = 5u;
const K_P31E: u32 = 6u;
const K_P32E: u32 = 7u;
const K_P31I: u32 = 8u;
const K_P32I: u32 = 9u;
const K_P11E: u32 = 10u;
const K_P21E: u32 = 11u;
const K_P11I: u32 = 12u;
const K_P21I: u32 = 13u;
const K_JUMP_E: u32 = 14u;
const K_JUMP_I: u32 = 15u;
const K_REFRAC: u32 = 16u;

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    var v = state[i];
    var i_e = state[n + i];
    var i_i = state[2u * n + i];
    var d_e = state[3u * n + i] + take_input(base, gi, 0u) * kp(K_JUMP_E, i);
    var d_i = state[4u * n + i] + take_input(base, gi, 1u) * kp(K_JUMP_I, i);
    let i_total = kp(K_I_OFFSET, i) + external_current(i, gi);
    var refr = counters[i];
    let v_old = v;
    if (refr == 0u) {
        v = v + kp(K_P30, i) * i_total + kp(K_P31E, i) * d_e + kp(K_P32E, i) * i_e + kp(K_P31I, i) * d_i + kp(K_P32I, i) * i_i + kp(K_P33M1, i) * (v - kp(K_V_REST, i));
    } else {
        refr = refr - 1u;
    }
    i_e = kp(K_P21E, i) * d_e + kp(K_P11E, i) * i_e;
    d_e = kp(K_P11E, i) * d_e;
    i_i = kp(K_P21I, i) * d_i + kp(K_P11I, i) * i_i;
    d_i = kp(K_P11I, i) * d_i;

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
    state[3u * n + i] = d_e;
    state[4u * n + i] = d_i;
    counters[i] = refr;
}
