//! Mirror of `shaders/shared/plastic.wgsl`: the plastic kernels' buffers and pure helpers, the
//! same f32 operations in the same order (design: [`crate::network::plastic`]).

use super::math::sf_exp;
use crate::abi::{NeuronTrace, PlasticInfo, PlasticRule, PlasticState, PLASTIC_SCHED_HEADER_WORDS, RULE_STDP_MULTIPLICATIVE};
use crate::network::build::BuiltNetwork;

/// Mirrors `MAX_DECAY_EXPONENT`.
const MAX_DECAY_EXPONENT: f32 = 60.0;

/// The plastic kernels' buffers (the GPU binds the same arrays).
#[derive(Debug, Clone, Default)]
pub struct PlasticBuffers {
    /// Constants.
    pub info: PlasticInfo,
    /// Schedule: dispatch header, delay classes, prefix sums.
    pub sched: Vec<u32>,
    /// Spike history: `hist_len` counts, then `hist_len × n_total` ids.
    pub hist: Vec<u32>,
    /// Plastic CSR row pointers.
    pub row_ptr: Vec<u32>,
    /// `(packed, rule)` per synapse.
    pub meta: Vec<u32>,
    /// Per-synapse state.
    pub state: Vec<PlasticState>,
    /// Postsynaptic index row pointers.
    pub post_ptr: Vec<u32>,
    /// Postsynaptic index entries.
    pub post_syn: Vec<u32>,
    /// `(synapse, pre)` of rate-rule synapses.
    pub rate_syn: Vec<u32>,
    /// Rules.
    pub rules: Vec<PlasticRule>,
    /// Neuron traces.
    pub traces: Vec<NeuronTrace>,
}

impl PlasticBuffers {
    /// The buffers of `net`'s plastic synapses, as the GPU back end uploads them.
    pub fn new(net: &BuiltNetwork) -> Self {
        let p = &net.plastic;
        Self {
            info: p.info(net.n_total, net.ring_len, net.target_bits),
            sched: p.sched_init(),
            hist: vec![0; p.hist_words(net.n_total)],
            row_ptr: p.row_ptr.clone(),
            meta: p.meta.clone(),
            state: p.state.clone(),
            post_ptr: p.post_ptr.clone(),
            post_syn: p.post_syn.clone(),
            rate_syn: p.rate_syn.clone(),
            rules: p.rules.clone(),
            traces: p.traces.clone(),
        }
    }
}

impl PlasticBuffers {
    /// Mirrors `sched_dclass_at`: where the dendritic classes start in the schedule.
    pub fn dclass_at(&self) -> usize {
        PLASTIC_SCHED_HEADER_WORDS + 2 * self.info.n_classes as usize + 1
    }

    /// Mirrors `sched_dprefix_at`: where the dendritic classes' prefix sums start.
    pub fn dprefix_at(&self) -> usize {
        self.dclass_at() + self.info.n_dclasses as usize
    }

    /// Mirrors `post_trace_index`.
    pub fn post_trace_index(&self, r: &PlasticRule, gi: u32, k: u32) -> usize {
        (r.post_trace + (gi - r.post_offset) * self.info.n_dclasses + k) as usize
    }
}

/// Mirrors `fence`: Rust neither fuses nor reassociates float operations, so the identity is
/// enough on the CPU.
#[inline(always)]
pub fn fence(x: f32) -> f32 {
    x
}

/// Mirrors `u32_to_f32`.
#[inline]
pub fn u32_to_f32(x: u32) -> f32 {
    (x >> 12) as f32 * 4096.0 + (x & 0xFFF) as f32
}

/// Mirrors `i32_to_f32`.
#[inline]
pub fn i32_to_f32(x: i32) -> f32 {
    (x >> 12) as f32 * 4096.0 + (x & 0xFFF) as f32
}

/// Mirrors `decay`.
#[inline]
pub fn decay(c: f32, steps: u32) -> f32 {
    let x = c * u32_to_f32(steps);
    if x > MAX_DECAY_EXPONENT {
        return 0.0;
    }
    sf_exp(-x)
}

/// Mirrors `apply_dw`.
#[inline]
pub fn apply_dw(w: i32, dw: f32, w_min: i32, w_max: i32) -> i32 {
    let d = dw.max(-i32_to_f32(w - w_min)).min(i32_to_f32(w_max - w));
    (w + d.round_ties_even() as i32).clamp(w_min, w_max)
}

/// Mirrors `stdp_depress`.
#[inline]
pub fn stdp_depress(r: &PlasticRule, w: i32, y: f32) -> i32 {
    let mut dw = -(r.a_minus * y);
    if r.kind == RULE_STDP_MULTIPLICATIVE {
        dw = -(fence(r.a_minus * i32_to_f32(w - r.w_min)) * y);
    }
    apply_dw(w, dw, r.w_min, r.w_max)
}

/// Mirrors `stdp_potentiate`.
#[inline]
pub fn stdp_potentiate(r: &PlasticRule, w: i32, x: f32) -> i32 {
    let mut dw = r.a_plus * x;
    if r.kind == RULE_STDP_MULTIPLICATIVE {
        dw = fence(r.a_plus * i32_to_f32(r.w_max - w)) * x;
    }
    apply_dw(w, dw, r.w_min, r.w_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_correctly() {
        for x in [0i32, 1, -1, 4095, 4096, -4097, (1 << 24) + 1, (1 << 30) - 1, -(1 << 30) + 3, i32::MAX, i32::MIN] {
            assert_eq!(i32_to_f32(x), x as f32, "{x}");
        }
        for x in [0u32, 4097, (1 << 24) + 1, (1 << 25) + 3, u32::MAX] {
            assert_eq!(u32_to_f32(x), x as f32, "{x}");
        }
    }

    #[test]
    fn weight_changes_stay_in_bounds() {
        assert_eq!(apply_dw(10, 1e30, 0, 100), 100);
        assert_eq!(apply_dw(10, -1e30, 0, 100), 0);
        assert_eq!(apply_dw(10, 2.5, 0, 100), 12); // ties to even
        assert_eq!(apply_dw(-(1 << 30), 3e9, -(1 << 30), 1 << 30), 1 << 30);
        assert_eq!(decay(0.1, 0), 1.0);
        assert_eq!(decay(0.1, 601), 0.0);
    }
}
