//! Mirror of `shaders/spike_source_array.wgsl`.

use super::population::*;

/// One step of a SpikeSourceArray population.
pub fn spike_source_array(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let s = g.step.step;
    for i in 0..pop.n as usize {
        let gi = pop.offset + i as u32;
        let end = b.extra[i + 1];
        let mut c = b.counters[i];
        while c < end && b.extra[c as usize] < s {
            c += 1;
        }
        if c < end && b.extra[c as usize] == s {
            emit_spike(g, &pop, gi);
            c += 1;
        }
        b.counters[i] = c;
    }
}
