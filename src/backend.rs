//! What a back end does, and the step schedule both back ends follow.

use crate::network::build::BuiltNetwork;
use crate::record::ChunkData;
use thiserror::Error;

/// Which back end runs the kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The WGSL kernels on the best adapter wgpu finds (a GPU, or lavapipe on a CPU).
    #[default]
    Gpu,
    /// The CPU mirrors of the kernels, in plain Rust.
    Cpu,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "gpu" => Ok(Backend::Gpu),
            "cpu" => Ok(Backend::Cpu),
            other => Err(format!("unknown backend '{other}': expected gpu or cpu")),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Gpu => "gpu",
            Backend::Cpu => "cpu",
        })
    }
}

/// Errors of the back ends.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum EngineError {
    /// wgpu found no adapter.
    #[error(
        "no GPU adapter found (install a Vulkan driver, e.g. `apt-get install mesa-vulkan-drivers` for lavapipe, or use Backend::Cpu): {0}"
    )]
    NoAdapter(String),
    /// The adapter refused the device.
    #[error("the adapter refused the device: {0}")]
    RequestDevice(String),
    /// A buffer is larger than one storage binding may be on this adapter.
    #[error("buffer '{buffer}' needs {bytes} bytes, more than this adapter's max_storage_buffer_binding_size of {limit} bytes; the network is too large for this device")]
    BufferTooLarge {
        /// Buffer label.
        buffer: String,
        /// Bytes needed.
        bytes: u64,
        /// The adapter's limit.
        limit: u64,
    },
    /// wgpu reported an error (validation, out of memory, device lost).
    #[error("GPU error: {0}")]
    Gpu(String),
}

/// One stage of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Run population `pop`'s kernel: take its inputs, integrate, threshold, reset, emit spikes.
    Integrate {
        /// Population index.
        pop: usize,
    },
    /// Deliver the step's spikes into the delay ring.
    Propagate,
}

/// The schedule of one step, in order (Brian2-style explicit list):
/// 1. every population's kernel (input arrival, state update, threshold, reset, spike emission,
///    recording), in creation order;
/// 2. propagation of the spikes emitted in this step (when there are synapses).
///
/// Spikes of step s arrive at step s + 1 + delay at the earliest, so populations within a step
/// are independent and their order does not matter for the result.
pub fn step_schedule(net: &BuiltNetwork) -> Vec<Stage> {
    let mut stages: Vec<Stage> = (0..net.pops.len()).map(|pop| Stage::Integrate { pop }).collect();
    if net.n_synapses() > 0 {
        stages.push(Stage::Propagate);
    }
    stages
}

/// A back end instance that owns a built network's state.
pub(crate) trait Engine {
    /// Run `steps` steps from `first_step`, returning what was recorded.
    fn run_chunk(&mut self, first_step: u32, steps: u32) -> Result<ChunkData, EngineError>;
    /// Replace population `pop`'s kernel parameters (and model table and counters).
    fn write_population(&mut self, pop: usize, kparams: &[f32], extra: &[u32], counters: &[u32]) -> Result<(), EngineError>;
    /// Current state `[S][n]` and counters of population `pop`.
    fn read_population(&mut self, pop: usize) -> Result<(Vec<f32>, Vec<u32>), EngineError>;
    /// Most steps per chunk.
    fn chunk_steps(&self) -> u32;
}
