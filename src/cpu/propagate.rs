//! Mirror of `shaders/propagate.wgsl`. The GPU may split the synapses across up to four buffers
//! at row boundaries (see [`crate::engine::SynSplit`]); here they are one array, with the same result.

use crate::abi::{NetInfo, StepParams, SPIKE_HEADER_WORDS, SPIKE_SUB_SHIFT, STATUS_RING_SATURATED, STATUS_WORDS};

/// The propagate kernel's buffers.
pub struct PropagateBuffers<'a> {
    /// Network constants.
    pub net: &'a NetInfo,
    /// CSR row pointers.
    pub row_ptr: &'a [u32],
    /// Packed synapses.
    pub syn: &'a [u32],
    /// Fixed-point weights.
    pub weight: &'a [i32],
}

/// Deliver this block's spikes into the ring (integer adds: order-independent, like the GPU's atomics).
///
/// The shader's slot `(step + sub + 1 + delay) mod ring_len` is computed as `first + delay`,
/// less `ring_len` when that reaches it (`first = (step + sub + 1) mod ring_len`; every delay
/// is below `ring_len`), the same slot without a division per synapse.
pub fn propagate(step: &StepParams, spikes: &[u32], b: &PropagateBuffers, ring: &mut [i32], status: &mut [u32; STATUS_WORDS]) {
    let net = b.net;
    let p = step.parity as usize;
    let count = spikes[p * 4 + 3] as usize;
    let base = SPIKE_HEADER_WORDS + p * net.spike_list_len as usize;
    let ring_len = net.ring_len as usize;
    let stride = 2 * net.n_total as usize;
    let (bits, mask) = (net.target_bits, net.target_mask);
    let mut saturated = false;
    for &entry in &spikes[base..base + count] {
        let (pre, sub) = if step.n_sub > 1 { (entry & ((1 << SPIKE_SUB_SHIFT) - 1), entry >> SPIKE_SUB_SHIFT) } else { (entry, 0) };
        let first = (step.step.wrapping_add(sub + 1) % net.ring_len) as usize;
        let (beg, end) = (b.row_ptr[pre as usize] as usize, b.row_ptr[pre as usize + 1] as usize);
        for (&packed, &w) in b.syn[beg..end].iter().zip(&b.weight[beg..end]) {
            let target_index = (packed & mask) as usize;
            let mut slot = first + (packed >> bits) as usize;
            if slot >= ring_len {
                slot -= ring_len;
            }
            let idx = slot * stride + target_index;
            let (sum, overflow) = ring[idx].overflowing_add(w);
            saturated |= overflow;
            ring[idx] = sum;
        }
    }
    if saturated {
        status[0] |= STATUS_RING_SATURATED;
    }
}
