//! Mirror of `shaders/plastic_rate.wgsl`.

use super::plastic::{apply_dw, decay, fence, PlasticBuffers};
use crate::abi::{StepParams, PLASTIC_RULE_MASK, RULE_FLAG_ENABLED};

/// The anti-Hebbian rate rule on every rate-rule synapse whose rule is due and enabled.
pub fn plastic_rate(step: &StepParams, b: &mut PlasticBuffers) {
    let t = step.step + 1;
    for i in 0..b.info.n_rate as usize {
        let (q, pre) = (b.rate_syn[2 * i] as usize, b.rate_syn[2 * i + 1]);
        let (packed, rule) = (b.meta[2 * q], b.meta[2 * q + 1]);
        let r = b.rules[(rule & PLASTIC_RULE_MASK) as usize];
        if r.flags & RULE_FLAG_ENABLED == 0 || !t.is_multiple_of(r.period) {
            continue;
        }
        let post = (packed & b.info.target_mask) % b.info.n_total;
        let tp = b.traces[(r.pre_trace + pre - r.pre_offset) as usize];
        let tq = b.traces[(r.post_trace + post - r.post_offset) as usize];
        let r_pre = tp.value * decay(r.c_rate, t - tp.last);
        let r_post = tq.value * decay(r.c_rate, t - tq.last);
        let w = b.state[q].weight;
        b.state[q].weight = apply_dw(w, -(fence(r.rate_eta * r_pre) * r_post), r.w_min, r.w_max);
    }
}
