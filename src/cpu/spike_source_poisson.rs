//! Mirror of `shaders/spike_source_poisson.wgsl`.

use super::math::{philox4x32_x8, LANES};
use super::population::*;
use crate::model::spike_source_poisson::k;
use crate::random::{kernel_stream, philox4x32, u01_f32};

/// One step of a SpikeSourcePoisson population. Sources are drawn 8 at a time
/// ([`philox4x32_x8`], the same bits as one call per source) and emitted in index order.
pub fn spike_source_poisson(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let s = g.step.step;
    let n = pop.n as usize;
    let active = |b: &PopBuffers, i: usize| s >= b.kp(k::START, i).to_bits() && s < b.kp(k::STOP, i).to_bits();
    let mut i0 = 0;
    while i0 + LANES <= n {
        if (i0..i0 + LANES).any(|i| active(b, i)) {
            let gi0 = pop.offset + i0 as u32;
            let r = philox4x32_x8(
                [[s; LANES], std::array::from_fn(|l| gi0 + l as u32), [kernel_stream::POISSON; LANES], [0; LANES]],
                [pop.key0, pop.key1],
            );
            for (l, &x) in r[0].iter().enumerate() {
                let i = i0 + l;
                if active(b, i) && u01_f32(x) < b.kp(k::PROB, i) {
                    emit_spike(g, &pop, gi0 + l as u32);
                }
            }
        }
        i0 += LANES;
    }
    for i in i0..n {
        let gi = pop.offset + i as u32;
        if active(b, i) {
            let r = philox4x32([s, gi, kernel_stream::POISSON, 0], [pop.key0, pop.key1]);
            if u01_f32(r[0]) < b.kp(k::PROB, i) {
                emit_spike(g, &pop, gi);
            }
        }
    }
}
