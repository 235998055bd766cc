//! The host ↔ kernel interface: `#[repr(C)]` structs that WGSL reads and the constants both
//! sides share. Every struct names the WGSL struct it mirrors; `tests/shaders.rs` checks sizes
//! and offsets against naga's layout of the shaders.

use bytemuck::{Pod, Zeroable};

/// Status bit: a fixed-point input accumulator would have overflowed i32.
pub const STATUS_RING_SATURATED: u32 = 1;
/// Status bit: a state variable became NaN or infinite.
pub const STATUS_NOT_FINITE: u32 = 2;
/// Words of the status buffer: [flags, first non-finite global neuron].
pub const STATUS_WORDS: usize = 2;

/// PopInfo flag: set bits of the spike-record bitmask.
pub const FLAG_RECORD_SPIKES: u32 = 1;
/// PopInfo flag: append spikes to the spike list (the population has outgoing synapses).
pub const FLAG_APPEND_SPIKES: u32 = 2;
/// PopInfo flag: this population's kernel resets the other parity's spike counter.
pub const FLAG_RESET_COUNTS: u32 = 4;
/// PopInfo flag: sample recorded state variables.
pub const FLAG_RECORD_VARS: u32 = 8;

/// Words before the spike lists in the spike buffer: two indirect-dispatch triples
/// (x = min(count, MAX_DISPATCH), 1, 1) each followed by the full count.
pub const SPIKE_HEADER_WORDS: usize = 8;
/// Most workgroups of one indirect propagate dispatch (WebGPU's per-dimension limit).
pub const MAX_DISPATCH: u32 = 65_535;
/// Threads per workgroup of every kernel.
pub const WORKGROUP_SIZE: u32 = 64;
/// Bytes between consecutive [`StepParams`] in the uniform buffer (dynamic-offset alignment).
pub const STEP_PARAMS_STRIDE: u64 = 256;

/// Per-step values. Mirrors `StepParams` in `shaders/shared/step.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct StepParams {
    /// Global step index: this step advances t = step·dt to (step+1)·dt.
    pub step: u32,
    /// step & 1: which spike list this step writes.
    pub parity: u32,
    /// First step of the current chunk (submission).
    pub chunk_start: u32,
    /// step - chunk_start: row of the spike-record bitmask.
    pub k: u32,
}

impl StepParams {
    /// The parameters of `step` inside the chunk starting at `chunk_start`.
    pub fn new(step: u32, chunk_start: u32) -> Self {
        Self { step, parity: step & 1, chunk_start, k: step - chunk_start }
    }
}

/// Per-population constants. Mirrors `PopInfo` in `shaders/shared/population.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PopInfo {
    /// First global index.
    pub offset: u32,
    /// Neurons.
    pub n: u32,
    /// Neurons in the global index space.
    pub n_total: u32,
    /// Ring slots.
    pub ring_len: u32,
    /// Words of one bitmask row.
    pub spike_words: u32,
    /// FLAG_* bits.
    pub flags: u32,
    /// First float of this population's region in the chunk's record buffer.
    pub rec_base: u32,
    /// Recorded neurons.
    pub rec_neurons: u32,
    /// Recorded variables.
    pub rec_nvars: u32,
    /// Sampling interval, steps.
    pub rec_interval: u32,
    /// State indices of the recorded variables, 8 bits each (up to 4).
    pub rec_vars: u32,
    /// Stimulus table start or u32::MAX.
    pub stim_base: u32,
    /// 1/scale of excitatory input.
    pub inv_scale_e: f32,
    /// 1/scale of inhibitory input.
    pub inv_scale_i: f32,
    /// Philox key, low word.
    pub key0: u32,
    /// Philox key, high word.
    pub key1: u32,
}

/// Network constants of the propagate kernel. Mirrors `NetInfo` in `shaders/propagate.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct NetInfo {
    /// Neurons in the global index space.
    pub n_total: u32,
    /// Ring slots.
    pub ring_len: u32,
    /// Bits of the packed target.
    pub target_bits: u32,
    /// (1 << target_bits) - 1.
    pub target_mask: u32,
}

/// Most state variables one population can record at once.
pub const MAX_RECORDED_VARS: usize = 4;
