//! Mirror of `shaders/plastic_post.wgsl`.

use super::plastic::{decay, fence, stdp_potentiate, PlasticBuffers};
use crate::abi::*;
use crate::network::build::NONE;

/// Mirrors `bump`.
fn bump(traces: &mut [NeuronTrace], e: u32, inc: f32, c: f32, reset: bool, t: u32) {
    let tr = traces[e as usize];
    let mut v = inc;
    if !reset {
        v = fence(tr.value * decay(c, t - tr.last)) + inc;
    }
    traces[e as usize] = NeuronTrace { value: v, last: t };
}

/// Mirrors `update_traces`.
fn update_traces(b: &mut PlasticBuffers, gi: u32, t: u32) {
    for r in &b.rules {
        if r.kind == RULE_ANTI_HEBBIAN {
            if gi.wrapping_sub(r.pre_offset) < r.pre_n {
                bump(&mut b.traces, r.pre_trace + gi - r.pre_offset, r.rate_inc, r.c_rate, false, t);
            }
            if gi.wrapping_sub(r.post_offset) < r.post_n {
                bump(&mut b.traces, r.post_trace + gi - r.post_offset, r.rate_inc, r.c_rate, false, t);
            }
        } else if r.post_trace != NONE && gi.wrapping_sub(r.post_offset) < r.post_n {
            bump(&mut b.traces, r.post_trace + gi - r.post_offset, 1.0, r.c_minus, r.flags & RULE_FLAG_NEAREST != 0, t);
        }
    }
}

/// Potentiation of the incoming STDP synapses of every neuron that spiked in this step, then
/// its traces.
pub fn plastic_post(step: &StepParams, spikes: &[u32], b: &mut PlasticBuffers) {
    let t = step.step + 1;
    let p = step.parity as usize;
    let count = spikes[p * 4 + 3] as usize;
    let base = SPIKE_HEADER_WORDS + p * b.info.n_total as usize;
    for &gi in &spikes[base..base + count] {
        let (beg, end) = (b.post_ptr[gi as usize] as usize, b.post_ptr[gi as usize + 1] as usize);
        for k in beg..end {
            let q = b.post_syn[k] as usize;
            let r = b.rules[b.meta[2 * q + 1] as usize];
            if r.flags & RULE_FLAG_ENABLED != 0 {
                let st = b.state[q];
                let x = st.a * decay(r.c_plus, t - st.last);
                b.state[q].weight = stdp_potentiate(&r, st.weight, x);
            }
        }
        update_traces(b, gi, t);
    }
}
