//! Mirror of `shaders/shared/poisson_input.wgsl`: each step, every target neuron of each
//! Poisson input receives k ~ Poisson(lambda) events, k · w_fixed added to this step's ring
//! slot. On the GPU each integrate thread adds its own neuron's events as it takes its input
//! (no pass of its own); here a pass over the entries before the integrate kernels — the same
//! draws and the same integer sums in any order.

use crate::abi::{PoissonInfo, PoissonInputEntry, StepParams};
use crate::random::{kernel_stream, philox4x32, u01_f32};

/// Mirrors `poisson_count`: k ~ Poisson(lambda) by inversion of `u`, at most `k_max`.
pub fn poisson_count(u: f32, e: &PoissonInputEntry) -> u32 {
    let (mut k, mut p, mut cdf) = (0u32, e.p0, e.p0);
    while !(u < cdf || k >= e.k_max) {
        k += 1;
        p = (p * e.lambda) / k as f32;
        cdf += p;
    }
    k
}

/// The kernel for one block: every step of it, in order.
pub fn poisson_input(sp: &StepParams, info: &PoissonInfo, entries: &[PoissonInputEntry], ring: &mut [i32]) {
    for sub in 0..sp.n_sub {
        poisson_input_step(sp.step + sub, info, entries, ring);
    }
}

/// The events of step `s`.
fn poisson_input_step(s: u32, info: &PoissonInfo, entries: &[PoissonInputEntry], ring: &mut [i32]) {
    let base = ((s % info.ring_len) * 2 * info.n_total) as usize;
    for e in entries {
        if s < e.start || s >= e.stop {
            continue;
        }
        let slot = base + (e.channel * info.n_total) as usize;
        for gi in e.first..e.first + e.n {
            let r = philox4x32([s, gi, kernel_stream::POISSON_INPUT | e.stream, 0], [info.key0, info.key1]);
            let k = poisson_count(u01_f32(r[0]), e);
            if k > 0 {
                let at = &mut ring[slot + gi as usize];
                *at = at.wrapping_add((k as i32).wrapping_mul(e.w_fixed));
            }
        }
    }
}
