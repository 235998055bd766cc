// Per-step values, one 256-byte slot per step of a chunk, bound with a dynamic offset.
// Mirrors spikeflow::abi::StepParams.
struct StepParams {
    step: u32,        // this step advances t = step*dt to (step+1)*dt
    parity: u32,      // step & 1: which spike list this step writes
    chunk_start: u32, // first step of the current submission
    k: u32,           // step - chunk_start: row of the spike-record bitmask
}

@group(0) @binding(0) var<uniform> step_params: StepParams;
