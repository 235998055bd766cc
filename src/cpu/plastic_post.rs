//! Mirror of `shaders/plastic_post.wgsl`.

use super::plastic::{decay, fence, stdp_potentiate, PlasticBuffers};
use crate::abi::*;
use crate::network::build::NONE;

/// Mirrors `bump`.
fn bump(traces: &mut [NeuronTrace], e: usize, inc: f32, c: f32, reset: bool, t: u32) {
    let tr = traces[e];
    let mut v = inc;
    if !reset {
        v = fence(tr.value * decay(c, t - tr.last)) + inc;
    }
    traces[e] = NeuronTrace { value: v, last: t };
}

/// Mirrors `update_traces`.
fn update_traces(b: &mut PlasticBuffers, gi: u32, k: u32, t: u32) {
    for q in 0..b.rules.len() {
        let r = b.rules[q];
        if r.kind == RULE_ANTI_HEBBIAN {
            if k == 0 && gi.wrapping_sub(r.pre_offset) < r.pre_n {
                bump(&mut b.traces, (r.pre_trace + gi - r.pre_offset) as usize, r.rate_inc, r.c_rate, false, t);
            }
            if k == 0 && gi.wrapping_sub(r.post_offset) < r.post_n {
                bump(&mut b.traces, (r.post_trace + gi - r.post_offset) as usize, r.rate_inc, r.c_rate, false, t);
            }
        } else if r.post_trace != NONE && gi.wrapping_sub(r.post_offset) < r.post_n {
            let e = b.post_trace_index(&r, gi, k);
            bump(&mut b.traces, e, 1.0, r.c_minus, r.flags & RULE_FLAG_NEAREST != 0, t);
        }
    }
}

/// Mirrors `lower_bound_class`.
fn lower_bound_class(b: &PlasticBuffers, beg: u32, end: u32, k: u32) -> u32 {
    let (mut lo, mut hi) = (beg, end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if (b.meta[2 * b.post_syn[mid as usize] as usize + 1] >> PLASTIC_DCLASS_SHIFT) < k {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Potentiation of the incoming STDP synapses reached now by a postsynaptic spike (this
/// step's spikes for dendritic class 0, the history for the others), then the traces.
pub fn plastic_post(step: &StepParams, spikes: &[u32], b: &mut PlasticBuffers) {
    let s = step.step;
    let t = s + 1;
    let p = step.parity as usize;
    let count = spikes[p * 4 + 3];
    let n_items = count + b.sched[8];
    let nd = b.info.n_dclasses as usize;
    let dprefix_at = b.dprefix_at();
    let base = SPIKE_HEADER_WORDS + p * b.info.n_total as usize;
    for f in 0..n_items {
        let (gi, k) = if f < count {
            (spikes[base + f as usize], 0u32)
        } else {
            let g = f - count;
            let (mut lo, mut hi) = (0usize, nd);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if b.sched[dprefix_at + mid] <= g {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let e = b.sched[b.dclass_at() + lo];
            let h = b.info.hist_len;
            (b.hist[(h + ((s - e) % h) * b.info.n_total + (g - b.sched[dprefix_at + lo])) as usize], lo as u32)
        };
        let beg = lower_bound_class(b, b.post_ptr[gi as usize], b.post_ptr[gi as usize + 1], k);
        let end = lower_bound_class(b, beg, b.post_ptr[gi as usize + 1], k + 1);
        for j in beg..end {
            let q = b.post_syn[j as usize] as usize;
            let r = b.rules[(b.meta[2 * q + 1] & PLASTIC_RULE_MASK) as usize];
            if r.flags & RULE_FLAG_ENABLED != 0 {
                let st = b.state[q];
                let x = st.a * decay(r.c_plus, t - st.last);
                b.state[q].weight = stdp_potentiate(&r, st.weight, x);
            }
        }
        update_traces(b, gi, k, t);
    }
}
