// SpikeSourceArray: emit the spikes listed for this step. `extra` holds per-neuron offsets
// (n + 1) then the sorted emission steps; `counters` is each neuron's cursor.
// CPU mirror: spikeflow::cpu::spike_source_array.
#import population

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let s = this_step();
    let end = extra[i + 1u];
    var c = counters[i];
    while (c < end && extra[c] < s) {
        c = c + 1u;
    }
    if (c < end && extra[c] == s) {
        emit_spike(gi);
        c = c + 1u;
    }
    counters[i] = c;
}
