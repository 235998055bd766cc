//! What a back end does, and the step schedule both back ends follow.

use crate::abi::{PlasticRule, PlasticState};
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
    /// Add this step's Poisson input events to the ring slot the integrate kernels take (the CPU
    /// back end; the GPU draws them inside `Integrate`, see `engine::gpu_schedule`).
    PoissonInput,
    /// Run kernel group `group`'s kernel over all its populations ([`kernel_groups`]): take
    /// their inputs, integrate, threshold, reset, emit spikes.
    Integrate {
        /// Index into [`kernel_groups`].
        group: usize,
    },
    /// Deliver the step's spikes along static synapses into the delay ring.
    Propagate,
    /// Plastic synapses: find the spikes that reach their synapses at the end of the step.
    PlasticWindow,
    /// Plastic synapses: presynaptic arrivals (STDP depression, Tsodyks–Markram) and delivery.
    PlasticArrive,
    /// Plastic synapses: postsynaptic spikes (STDP potentiation) and neuron traces.
    PlasticPost,
    /// The rate rule, on the steps where one is due.
    PlasticRate,
}

/// Populations integrated by one dispatch: each run of consecutive populations (in creation
/// order, so also in the global index space) with the same kernel, except that a kernel reading
/// a per-population table ([`ModelSpec::reads_table`]) gets a dispatch per population.
/// Consecutive, so that thread i of the dispatch is global neuron `offset + i` and neighbouring
/// threads read neighbouring words (the padding of up to 31 indices between populations gives
/// idle threads).
///
/// [`ModelSpec::reads_table`]: crate::model::ModelSpec::reads_table
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelGroup {
    /// The kernel (WGSL file and CPU mirror).
    pub kernel: &'static str,
    /// Population indices, ascending.
    pub pops: Vec<usize>,
}

/// The network's kernel groups, in creation order (so population 0, whose kernel clears the
/// next step's spike counter, is thread 0 of group 0). Merging populations of one model into
/// one dispatch is what keeps the dispatches per step few: the PD14 microcircuit's eight
/// populations are one.
pub fn kernel_groups(net: &BuiltNetwork) -> Vec<KernelGroup> {
    let mut groups: Vec<KernelGroup> = Vec::new();
    for (i, p) in net.pops.iter().enumerate() {
        match groups.last_mut() {
            Some(g) if g.kernel == p.spec.kernel && !p.spec.reads_table => g.pops.push(i),
            _ => groups.push(KernelGroup { kernel: p.spec.kernel, pops: vec![i] }),
        }
    }
    groups
}

/// Steps one dispatch may advance (a **block**), at most `limit` and
/// [`MAX_STEPS_PER_DISPATCH`].
///
/// A spike emitted in step s arrives at the start of step s + 1 + d, d ≥ `min_delay` ≥ 1, so
/// the neurons of a block of min_delay + 1 steps never see a spike of the same block: each
/// integrate dispatch runs the block's steps one after another per neuron, and one propagate
/// after it delivers all the block's spikes (each list entry carries its step within the
/// block). The result is the same as step by step, to the bit; only the number of dispatches
/// changes (tests/blocks.rs). A block never spans more steps than the ring has slots.
/// Networks with plastic synapses run one step per dispatch (their
/// kernels work step by step), as do networks of 2^28 neurons or more (the entry's step field).
///
/// [`MAX_STEPS_PER_DISPATCH`]: crate::abi::MAX_STEPS_PER_DISPATCH
pub fn steps_per_dispatch(net: &BuiltNetwork, limit: u32) -> u32 {
    if net.plastic.is_active() || u64::from(net.n_total) >= 1u64 << crate::abi::SPIKE_SUB_SHIFT {
        return 1;
    }
    // A block's Poisson inputs fill one ring slot per step before its integrate dispatches:
    // at most ring_len steps (with synapses min_delay + 1 ≤ ring_len anyway).
    net.min_delay.saturating_add(1).min(net.ring_len).min(crate::abi::MAX_STEPS_PER_DISPATCH).min(limit).max(1)
}

/// The schedule of one block of [`steps_per_dispatch`] steps (one step with plastic synapses),
/// in order (Brian2-style explicit list):
/// 0. the Poisson inputs of every step of the block into the ring (when there are);
/// 1. every kernel group's kernel (input arrival, state update, threshold, reset, spike
///    emission, recording; [`kernel_groups`]) over the block's steps, in the order of their
///    first populations;
/// 2. propagation of the spikes emitted in the block along static synapses (when there are);
/// 3. with plastic synapses (see [`crate::network::plastic`]): `PlasticWindow`, then
///    `PlasticArrive` (spikes of earlier steps reaching their synapses at t = (step+1)·dt:
///    depression, short-term dynamics, delivery into the ring), then `PlasticPost` (spikes of
///    this step as postsynaptic spikes: potentiation, traces; when there are STDP synapses or
///    rate rules), then `PlasticRate` (when there are rate rules; the engines dispatch it
///    only on steps where [`crate::network::plastic::PlasticNet::rate_due`]).
///
/// Spikes of step s arrive at step s + 1 + delay at the earliest, so populations within a step
/// — and, by the choice of the block's length, within a block — are independent and their
/// order does not matter for the result. The plastic stages must
/// run in this order: depression at T sees the postsynaptic traces before the spikes stamped
/// T, potentiation sees the presynaptic traces after the arrivals at T, the rate rule sees
/// the traces after this step's spikes.
pub fn step_schedule(net: &BuiltNetwork) -> Vec<Stage> {
    let mut stages = Vec::new();
    if !net.poisson.is_empty() {
        stages.push(Stage::PoissonInput);
    }
    stages.extend((0..kernel_groups(net).len()).map(|group| Stage::Integrate { group }));
    if net.n_static_synapses() > 0 {
        stages.push(Stage::Propagate);
    }
    let plastic = &net.plastic;
    if plastic.is_active() {
        stages.push(Stage::PlasticWindow);
        stages.push(Stage::PlasticArrive);
        if plastic.has_post_work() {
            stages.push(Stage::PlasticPost);
        }
        if plastic.n_rate() > 0 {
            stages.push(Stage::PlasticRate);
        }
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
    /// Fixed-point weights of the static synapses and the state of the plastic ones.
    fn read_synapses(&mut self) -> Result<(Vec<i32>, Vec<PlasticState>), EngineError>;
    /// The static synapses' packed (delay, channel, target) words, in CSR order.
    fn read_syn_words(&mut self) -> Result<Vec<u32>, EngineError>;
    /// Replace the static weights and the plastic synapses' state (between runs).
    fn write_synapses(&mut self, weight: &[i32], plastic: &[PlasticState]) -> Result<(), EngineError>;
    /// Replace the plastic rules (learning switched on or off between runs).
    fn write_rules(&mut self, rules: &[PlasticRule]) -> Result<(), EngineError>;
    /// Most steps per chunk.
    fn chunk_steps(&self) -> u32;
    /// Steps one dispatch advances (the layout's, or fewer where the device's limits demand).
    fn steps_per_dispatch(&self) -> u32;
}
