// Per-dispatch values, one 256-byte slot per block of a chunk, bound with a dynamic offset.
// A block is n_sub consecutive steps from `step` (spikeflow::backend::steps_per_dispatch).
// Mirrors spikeflow::abi::StepParams.
struct StepParams {
    step: u32,        // the block's first step: it advances t = step*dt to (step+1)*dt
    parity: u32,      // which spike list the block writes (alternates block by block)
    chunk_start: u32, // first step of the current submission
    k: u32,           // step - chunk_start: row of the spike-record bitmask
    n_sub: u32,       // steps in the block
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> step_params: StepParams;
