//! Mirror of `shaders/propagate.wgsl`.

use crate::abi::{NetInfo, StepParams, SPIKE_HEADER_WORDS, STATUS_RING_SATURATED, STATUS_WORDS};

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

/// Deliver this step's spikes into the ring (integer adds: order-independent, like the GPU's atomics).
pub fn propagate(step: &StepParams, spikes: &[u32], b: &PropagateBuffers, ring: &mut [i32], status: &mut [u32; STATUS_WORDS]) {
    let net = b.net;
    let p = step.parity as usize;
    let count = spikes[p * 4 + 3] as usize;
    let base = SPIKE_HEADER_WORDS + p * net.n_total as usize;
    for &pre in &spikes[base..base + count] {
        let (beg, end) = (b.row_ptr[pre as usize] as usize, b.row_ptr[pre as usize + 1] as usize);
        for j in beg..end {
            let packed = b.syn[j];
            let target_index = packed & net.target_mask;
            let delay = packed >> net.target_bits;
            let slot = (step.step + 1 + delay) % net.ring_len;
            let idx = (slot * 2 * net.n_total + target_index) as usize;
            let (sum, overflow) = ring[idx].overflowing_add(b.weight[j]);
            if overflow {
                status[0] |= STATUS_RING_SATURATED;
            }
            ring[idx] = sum;
        }
    }
}
