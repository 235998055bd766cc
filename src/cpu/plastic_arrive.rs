//! Mirror of `shaders/plastic_arrive.wgsl`.

use super::plastic::{decay, fence, i32_to_f32, stdp_depress, PlasticBuffers};
use crate::abi::*;

/// Mirrors `lower_bound_delay`.
fn lower_bound_delay(b: &PlasticBuffers, beg: u32, end: u32, d: u32) -> u32 {
    let (mut lo, mut hi) = (beg, end);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if (b.meta[2 * mid as usize] >> b.info.target_bits) < d {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Mirrors `deliver`.
fn deliver(info: &PlasticInfo, packed: u32, w: i32, t: u32, ring: &mut [i32], status: &mut [u32; STATUS_WORDS]) {
    if w == 0 {
        return;
    }
    let idx = ((t % info.ring_len) * 2 * info.n_total + (packed & info.target_mask)) as usize;
    let (sum, overflow) = ring[idx].overflowing_add(w);
    if overflow {
        status[0] |= STATUS_RING_SATURATED;
    }
    ring[idx] = sum;
}

/// Mirrors `arrive`: synapse `j` receives a presynaptic spike at `t`.
fn arrive(b: &mut PlasticBuffers, j: usize, t: u32, ring: &mut [i32], status: &mut [u32; STATUS_WORDS]) {
    let (packed, word) = (b.meta[2 * j], b.meta[2 * j + 1]);
    let r = b.rules[(word & PLASTIC_RULE_MASK) as usize];
    let k = word >> PLASTIC_DCLASS_SHIFT;
    let mut st = b.state[j];
    let mut value = st.weight;
    if r.kind == RULE_TSODYKS_MARKRAM {
        let h = t - st.last;
        let rec = 1.0 + fence(fence(fence(st.b - fence(st.a * st.b)) - 1.0) * decay(r.c_rec, h));
        let mut u = r.tm_u;
        if r.c_facil > 0.0 {
            u = r.tm_u + fence(fence(st.a * (1.0 - r.tm_u)) * decay(r.c_facil, h));
        }
        st.a = u;
        st.b = rec;
        value = (i32_to_f32(st.weight) * fence(u * rec)).round_ties_even() as i32;
    } else if r.kind != RULE_ANTI_HEBBIAN {
        let x = fence(st.a * decay(r.c_plus, t - st.last));
        if r.flags & RULE_FLAG_ENABLED != 0 {
            let post = (packed & b.info.target_mask) % b.info.n_total;
            let tr = b.traces[b.post_trace_index(&r, post, k)];
            let y = tr.value * decay(r.c_minus, t - tr.last);
            st.weight = stdp_depress(&r, st.weight, y);
        }
        st.a = if r.flags & RULE_FLAG_NEAREST != 0 { 1.0 } else { x + 1.0 };
        value = st.weight;
    }
    st.last = t;
    b.state[j] = st;
    let e = b.sched[b.dclass_at() + k as usize];
    deliver(&b.info, packed, value, t + e, ring, status);
}

/// The arrivals at T = step + 1, in the shader's item order (one GPU workgroup per item);
/// step s's spikes of neurons with plastic rows or incoming STDP synapses join the history.
pub fn plastic_arrive(step: &StepParams, spikes: &[u32], b: &mut PlasticBuffers, ring: &mut [i32], status: &mut [u32; STATUS_WORDS]) {
    let s = step.step;
    let t = s + 1;
    let h = b.info.hist_len;
    let n_total = b.info.n_total;
    let m = b.info.n_classes as usize;
    let prefix_at = PLASTIC_SCHED_HEADER_WORDS + m;
    let (total, count_now) = (b.sched[3], b.sched[4]);
    for f in 0..total.max(count_now) {
        if f < count_now {
            let gi = spikes[(SPIKE_HEADER_WORDS as u32 + step.parity * n_total + f) as usize] as usize;
            if b.row_ptr[gi + 1] > b.row_ptr[gi] || b.post_ptr[gi + 1] > b.post_ptr[gi] {
                let count = &mut b.hist[(s % h) as usize];
                let at = *count;
                *count += 1;
                b.hist[(h + (s % h) * n_total + at) as usize] = gi as u32;
            }
        }
        if f < total {
            let (mut lo, mut hi) = (0usize, m);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if b.sched[prefix_at + mid] <= f {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let d = b.sched[PLASTIC_SCHED_HEADER_WORDS + lo];
            let at = f - b.sched[prefix_at + lo];
            let pre = if d == 0 {
                spikes[(SPIKE_HEADER_WORDS as u32 + step.parity * n_total + at) as usize]
            } else {
                b.hist[(h + ((s - d) % h) * n_total + at) as usize]
            } as usize;
            let beg = lower_bound_delay(b, b.row_ptr[pre], b.row_ptr[pre + 1], d);
            let end = lower_bound_delay(b, beg, b.row_ptr[pre + 1], d + 1);
            for j in beg..end {
                arrive(b, j as usize, t, ring, status);
            }
        }
    }
}
