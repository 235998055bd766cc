//! Mirror of `shaders/plastic_window.wgsl`.

use super::plastic::PlasticBuffers;
use crate::abi::{StepParams, MAX_DISPATCH, PLASTIC_SCHED_HEADER_WORDS};

/// Prefix sums of the arriving spikes per delay class, the dispatch size of `plastic_arrive`,
/// and this step's history count cleared (integer results: the workgroup scan is a plain loop).
pub fn plastic_window(step: &StepParams, spikes: &[u32], b: &mut PlasticBuffers) {
    let s = step.step;
    let h = b.info.hist_len;
    let m = b.info.n_classes as usize;
    let prefix_at = PLASTIC_SCHED_HEADER_WORDS + m;
    let mut carry = 0u32;
    for k in 0..m {
        let d = b.sched[PLASTIC_SCHED_HEADER_WORDS + k];
        let c = if d <= s { b.hist[((s - d) % h) as usize] } else { 0 };
        b.sched[prefix_at + k] = carry;
        carry += c;
    }
    let count_now = spikes[(step.parity * 4 + 3) as usize];
    b.sched[prefix_at + m] = carry;
    b.hist[(s % h) as usize] = 0;
    b.sched[0] = groups(carry.max(count_now), b.info.arrive_threads).min(MAX_DISPATCH);
    b.sched[3] = carry;
    b.sched[4] = count_now;
    b.sched[5] = groups(count_now, b.info.post_threads).min(MAX_DISPATCH);
}

/// Mirrors `groups`.
#[allow(clippy::manual_div_ceil)] // written as the shader writes it
fn groups(items: u32, threads: u32) -> u32 {
    let per_group = 64 / threads;
    (items + per_group - 1) / per_group
}
