// SpikeSourcePoisson: one Bernoulli trial per step from Philox at (step, neuron, POISSON, 0).
// CPU mirror: spikeflow::cpu::spike_source_poisson.
#import population

// Kernel parameter rows; mirror spikeflow::model::spike_source_poisson::k.
const K_PROB: u32 = 0u;
const K_START: u32 = 1u;
const K_STOP: u32 = 2u;

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let s = this_step();
    if (s >= bitcast<u32>(kp(K_START, i)) && s < bitcast<u32>(kp(K_STOP, i))) {
        let r = philox4x32(vec4<u32>(s, gi, STREAM_POISSON, 0u), vec2<u32>(pop.key0, pop.key1));
        if (u01(r.x) < kp(K_PROB, i)) {
            emit_spike(gi);
        }
    }
}
