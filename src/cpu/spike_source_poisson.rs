//! Mirror of `shaders/spike_source_poisson.wgsl`.

use super::population::*;
use crate::model::spike_source_poisson::k;
use crate::random::{kernel_stream, philox4x32, u01_f32};

/// One step of a SpikeSourcePoisson population.
pub fn spike_source_poisson(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let s = g.step.step;
    for i in 0..pop.n as usize {
        let gi = pop.offset + i as u32;
        if s >= b.kp(k::START, i).to_bits() && s < b.kp(k::STOP, i).to_bits() {
            let r = philox4x32([s, gi, kernel_stream::POISSON, 0], [pop.key0, pop.key1]);
            if u01_f32(r[0]) < b.kp(k::PROB, i) {
                emit_spike(g, &pop, gi);
            }
        }
    }
}
