//! Mirror of `shaders/plastic_window.wgsl`.

use super::plastic::PlasticBuffers;
use crate::abi::{StepParams, MAX_DISPATCH, PLASTIC_SCHED_HEADER_WORDS};

/// Mirrors `arriving`.
fn arriving(b: &PlasticBuffers, s: u32, d: u32, now: u32) -> u32 {
    if d == 0 {
        now
    } else if d <= s {
        b.hist[((s - d) % b.info.hist_len) as usize]
    } else {
        0
    }
}

/// Mirrors `scan_classes` (integer results: the workgroup scan is a plain loop).
fn scan_classes(b: &mut PlasticBuffers, s: u32, classes_at: usize, n: usize, prefix_at: usize, now: u32) -> u32 {
    let mut carry = 0u32;
    for k in 0..n {
        let c = arriving(b, s, b.sched[classes_at + k], now);
        b.sched[prefix_at + k] = carry;
        carry += c;
    }
    b.sched[prefix_at + n] = carry;
    carry
}

/// Prefix sums of the spikes reaching plastic synapses per axonal and dendritic class, the
/// dispatch sizes of `plastic_arrive` and `plastic_post`, and this step's history count cleared.
pub fn plastic_window(step: &StepParams, spikes: &[u32], b: &mut PlasticBuffers) {
    let s = step.step;
    let (m, nd) = (b.info.n_classes as usize, b.info.n_dclasses as usize);
    let prefix_at = PLASTIC_SCHED_HEADER_WORDS + m;
    let dclass_at = prefix_at + m + 1;
    let count_now = spikes[(step.parity * 4 + 3) as usize];
    let total = scan_classes(b, s, PLASTIC_SCHED_HEADER_WORDS, m, prefix_at, count_now);
    let post_total = scan_classes(b, s, dclass_at, nd, dclass_at + nd, 0);
    b.hist[(s % b.info.hist_len) as usize] = 0;
    b.sched[0] = groups(total.max(count_now), b.info.arrive_threads).min(MAX_DISPATCH);
    b.sched[3] = total;
    b.sched[4] = count_now;
    b.sched[5] = groups(count_now + post_total, b.info.post_threads).min(MAX_DISPATCH);
    b.sched[8] = post_total;
}

/// Mirrors `groups`.
#[allow(clippy::manual_div_ceil)] // written as the shader writes it
fn groups(items: u32, threads: u32) -> u32 {
    let per_group = 64 / threads;
    (items + per_group - 1) / per_group
}
