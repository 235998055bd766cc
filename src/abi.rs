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

/// Most steps one dispatch advances (a **block**; see [`StepParams::n_sub`]).
pub const MAX_STEPS_PER_DISPATCH: u32 = 16;
/// A spike-list entry of a block of several steps is `gi | sub << SPIKE_SUB_SHIFT` (`sub` the
/// step within the block), so such blocks need fewer than 2^28 neurons.
pub const SPIKE_SUB_SHIFT: u32 = 28;

/// Per-dispatch values: a **block** of `n_sub` consecutive steps from `step` (one step unless
/// the network's shortest delay allows more; see [`crate::backend::steps_per_dispatch`]).
/// Mirrors `StepParams` in `shaders/shared/step.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct StepParams {
    /// Global index of the block's first step: it advances t = step·dt to (step+1)·dt.
    pub step: u32,
    /// Which of the two spike lists the block writes (alternates block by block).
    pub parity: u32,
    /// First step of the current chunk (submission).
    pub chunk_start: u32,
    /// step - chunk_start: row of the spike-record bitmask.
    pub k: u32,
    /// Steps in the block (at least 1).
    pub n_sub: u32,
    /// Padding to 32 bytes.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}

impl StepParams {
    /// The parameters of a one-step block at `step` inside the chunk starting at `chunk_start`.
    pub fn new(step: u32, chunk_start: u32) -> Self {
        Self::block(step, chunk_start, 1, step & 1)
    }

    /// The block of `n_sub` steps from `step`, writing spike list `parity`.
    pub fn block(step: u32, chunk_start: u32, n_sub: u32, parity: u32) -> Self {
        Self { step, parity, chunk_start, k: step - chunk_start, n_sub, pad0: 0, pad1: 0, pad2: 0 }
    }

    /// Step `sub` of the block as a kernel sees it while integrating it (`this_step()` and the
    /// bitmask row `k + sub` of `shaders/shared/population.wgsl`): the CPU mirrors get this.
    pub fn sub_step(&self, sub: u32) -> Self {
        Self { step: self.step + sub, k: self.k + sub, ..*self }
    }
}

/// Per-population constants. Mirrors `PopInfo` in `shaders/shared/population.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PopInfo {
    /// First global index.
    pub offset: u32,
    /// Neurons (on the GPU the kernels read the layout's stride from [`GroupInfo::n`]).
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
    /// The group dispatch's thread index of this population's first neuron (0 on the CPU).
    pub group_first: u32,
    /// One past the dispatch's thread index of its last neuron.
    pub group_end: u32,
    /// Words of one spike list (steps per dispatch × n_total).
    pub spike_list_len: u32,
    /// Padding.
    pub _pad: u32,
    /// First of the population's entries in its kernel group's Poisson-input table (GPU only).
    pub poisson_begin: u32,
    /// One past its last entry there (`poisson_begin`: none).
    pub poisson_end: u32,
    /// Padding to a multiple of 16 bytes.
    pub _pad1: u32,
    /// Padding.
    pub _pad2: u32,
}

/// A kernel group's constants (uniform of the neuron kernels: the same for every thread).
/// Mirrors `GroupInfo` in `shaders/shared/population.wgsl`. Thread i of the group's dispatch is
/// global neuron `offset + i`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct GroupInfo {
    /// Global index of the group's first neuron.
    pub offset: u32,
    /// Threads of the dispatch: the span of global indices of its populations, padding between
    /// them included; the stride of the `[K][n]` and `[S][n]` layouts.
    pub n: u32,
    /// Neurons in the global index space.
    pub n_total: u32,
    /// Ring slots.
    pub ring_len: u32,
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
    /// Words of one spike list (steps per dispatch × n_total).
    pub spike_list_len: u32,
    /// Padding to 32 bytes.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}

/// Most state variables one population can record at once.
pub const MAX_RECORDED_VARS: usize = 4;

/// Network constants of the plastic-synapse kernels (`plastic_window`, `plastic_arrive`,
/// `plastic_post`, `plastic_rate`). Mirrors `PlasticInfo` in `shaders/shared/plastic.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct PlasticInfo {
    /// Neurons in the global index space.
    pub n_total: u32,
    /// Ring slots.
    pub ring_len: u32,
    /// Bits of the packed target.
    pub target_bits: u32,
    /// (1 << target_bits) - 1.
    pub target_mask: u32,
    /// Steps of spike history kept (largest axonal or dendritic plastic delay + 1).
    pub hist_len: u32,
    /// Distinct axonal delays of plastic synapses (delay classes).
    pub n_classes: u32,
    /// Rules (one per plastic projection).
    pub n_rules: u32,
    /// Synapses under a rate rule.
    pub n_rate: u32,
    /// Threads of `plastic_arrive` per arriving (spike, delay class) item: a power of two ≤ 64
    /// near the mean length of a row's delay segment.
    pub arrive_threads: u32,
    /// Threads of `plastic_post` per postsynaptic spike: a power of two ≤ 64 near the mean
    /// number of incoming STDP synapses.
    pub post_threads: u32,
    /// Distinct dendritic delays of plastic synapses (dendritic classes; class 0 is delay 0).
    pub n_dclasses: u32,
    /// Padding.
    pub pad1: u32,
}

/// One plastic projection's rule, with its constants already in the units the kernels use
/// (fixed-point weights, `dt/tau` decay rates). Mirrors `PlasticRule` in
/// `shaders/shared/plastic.wgsl`; which fields a kind reads is said per field.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PlasticRule {
    /// `RULE_*` kind.
    pub kind: u32,
    /// `RULE_FLAG_*` bits.
    pub flags: u32,
    /// Lower weight bound, fixed point (STDP, rate rule).
    pub w_min: i32,
    /// Upper weight bound, fixed point (STDP, rate rule).
    pub w_max: i32,
    /// STDP potentiation amplitude: A_plus·(w_max − w_min) in fixed-point units (additive) or
    /// A_plus (multiplicative).
    pub a_plus: f32,
    /// STDP depression amplitude, as `a_plus`.
    pub a_minus: f32,
    /// dt/tau_plus (STDP).
    pub c_plus: f32,
    /// dt/tau_minus (STDP).
    pub c_minus: f32,
    /// U (Tsodyks–Markram).
    pub tm_u: f32,
    /// dt/tau_rec (Tsodyks–Markram).
    pub c_rec: f32,
    /// dt/tau_facil, or 0 without facilitation (Tsodyks–Markram).
    pub c_facil: f32,
    /// Rate-trace increment per spike, Hz (rate rule).
    pub rate_inc: f32,
    /// dt/tau of the rate traces (rate rule).
    pub c_rate: f32,
    /// eta·interval/1000·scale: fixed-point weight change per Hz² per update (rate rule).
    pub rate_eta: f32,
    /// Steps between updates (rate rule).
    pub period: u32,
    /// First global index of the presynaptic population.
    pub pre_offset: u32,
    /// Neurons of the presynaptic population.
    pub pre_n: u32,
    /// First global index of the postsynaptic population.
    pub post_offset: u32,
    /// Neurons of the postsynaptic population.
    pub post_n: u32,
    /// First [`NeuronTrace`] of the presynaptic population's traces (rate rule), or u32::MAX.
    pub pre_trace: u32,
    /// First [`NeuronTrace`] of the postsynaptic population's traces (STDP, rate rule), or u32::MAX.
    pub post_trace: u32,
    /// Padding.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}

/// Rule kind: STDP with additive weight dependence.
pub const RULE_STDP_ADDITIVE: u32 = 0;
/// Rule kind: STDP with multiplicative weight dependence.
pub const RULE_STDP_MULTIPLICATIVE: u32 = 1;
/// Rule kind: Tsodyks–Markram short-term plasticity.
pub const RULE_TSODYKS_MARKRAM: u32 = 2;
/// Rule kind: the anti-Hebbian rate rule.
pub const RULE_ANTI_HEBBIAN: u32 = 3;
/// Rule flag: weights learn (cleared by `Simulation::set_plasticity(.., false)`).
pub const RULE_FLAG_ENABLED: u32 = 1;
/// Rule flag: STDP with nearest-neighbour pairing.
pub const RULE_FLAG_NEAREST: u32 = 2;
/// Words before the delay classes in the plastic schedule buffer: the indirect-dispatch
/// triple of `plastic_arrive`, the window's item total, this step's spike count, the
/// indirect-dispatch triple of `plastic_post` and its item total from the history.
pub const PLASTIC_SCHED_HEADER_WORDS: usize = 9;
/// The rule index in the second word of a plastic synapse's meta (its dendritic class is in
/// the bits above, `meta.y >> PLASTIC_DCLASS_SHIFT`).
pub const PLASTIC_RULE_MASK: u32 = 0xFFFF;
/// Shift of the dendritic class in the second word of a plastic synapse's meta.
pub const PLASTIC_DCLASS_SHIFT: u32 = 16;

/// Per-synapse state of a plastic synapse. Mirrors `PlasticState` in
/// `shaders/shared/plastic.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PlasticState {
    /// Weight, fixed point (the scale of its target population and channel).
    pub weight: i32,
    /// Step (time in dt) at which the last presynaptic spike reached the synapse.
    pub last: u32,
    /// STDP: the presynaptic trace just after that arrival. Tsodyks–Markram: u.
    pub a: f32,
    /// Tsodyks–Markram: R, the recovered resources. Unused otherwise.
    pub b: f32,
}

/// A neuron's trace: its value just after the neuron's last spike and that spike's time (in
/// dt); the kernels decay it to the time they need. Mirrors `NeuronTrace` in
/// `shaders/shared/plastic.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct NeuronTrace {
    /// Value after the last spike.
    pub value: f32,
    /// Time of the last spike, in steps.
    pub last: u32,
}

/// `ConstructParams::kind`: FixedProbabilityConnector, one item per presynaptic neuron.
pub const CONSTRUCT_FIXED_PROBABILITY: u32 = 0;
/// `ConstructParams::kind`: FixedNumberPreConnector, one item per postsynaptic neuron.
pub const CONSTRUCT_FIXED_NUMBER_PRE: u32 = 1;
/// `ConstructParams::kind`: FixedNumberPostConnector, one item per presynaptic neuron.
pub const CONSTRUCT_FIXED_NUMBER_POST: u32 = 2;
/// `ConstructParams::kind`: FixedTotalNumberConnector with replacement: count mode has one
/// item per synapse (drawing its row), the other modes one per presynaptic row.
pub const CONSTRUCT_FIXED_TOTAL_NUMBER: u32 = 3;
/// `ConstructParams::mode`: count each item's synapses into `counts` (FixedProbability), or
/// each row's (FixedTotalNumber, FixedNumberPre: one count per presynaptic row).
pub const CONSTRUCT_MODE_COUNT: u32 = 0;
/// `ConstructParams::mode`: write each item's synapses (pre, post, weight, delay).
pub const CONSTRUCT_MODE_FILL: u32 = 1;
/// `ConstructParams::mode`: draw each row's synapses and count them per post position, with
/// the weights' and delays' ranges (`stats`), for device-side CSR assembly.
pub const CONSTRUCT_MODE_STATS: u32 = 2;
/// `ConstructParams::mode`: write each row's synapses as stored (packed word, fixed-point
/// weight) at their CSR slots. FixedNumberPre's items are then rows: each sorts the keys the
/// keys pass left in its slots and writes their synapses.
pub const CONSTRUCT_MODE_CSR: u32 = 3;
/// `ConstructParams::mode` (FixedNumberPre, items are postsynaptic neurons): write each
/// synapse's key (post position · n + draw index) at the next free slot of its row.
pub const CONSTRUCT_MODE_KEYS: u32 = 4;
/// Distribution kinds of weights and delays drawn by the construct kernel; `DIST_NONE` means
/// the host supplies the values (a constant or an array).
pub const DIST_NONE: u32 = 0;
/// Uniform(low, high): params (low, high − low).
pub const DIST_UNIFORM: u32 = 1;
/// Normal(mu, sigma): params (mu, sigma).
pub const DIST_NORMAL: u32 = 2;
/// NormalClipped(mu, sigma, low, high), redrawn outside [low, high].
pub const DIST_NORMAL_CLIPPED: u32 = 3;
/// NormalClippedToBoundary(mu, sigma, low, high), clamped.
pub const DIST_NORMAL_CLIPPED_TO_BOUNDARY: u32 = 4;
/// Exponential(beta): params (beta).
pub const DIST_EXPONENTIAL: u32 = 5;
/// UniformInt(low, high): params (low, bits of the span high − low + 1 as u32).
pub const DIST_UNIFORM_INT: u32 = 6;
/// Lognormal(mu, sigma): exp of a normal.
pub const DIST_LOGNORMAL: u32 = 7;

/// One dispatch of the `construct` kernel: a random connector of one projection over items
/// `item_begin..item_end`, with its weight and delay distributions. Mirrors `ConstructParams`
/// in `shaders/construct.wgsl`; the CPU mirror is `spikeflow::cpu::construct`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct ConstructParams {
    /// Connector (`CONSTRUCT_FIXED_*`).
    pub kind: u32,
    /// `CONSTRUCT_MODE_*`.
    pub mode: u32,
    /// Projection index (low 24 bits of the stream word).
    pub proj: u32,
    /// Always 0 (an opaque zero for the kernel's `fence`).
    pub zero: u32,
    /// First item of this dispatch.
    pub item_begin: u32,
    /// One past the last item.
    pub item_end: u32,
    /// Size of the presynaptic view.
    pub np: u32,
    /// Size of the postsynaptic view.
    pub nq: u32,
    /// n of FixedNumberPre/Post.
    pub n: u32,
    /// 1: draw with replacement.
    pub replace: u32,
    /// 1: self-connections are excluded (both views of one population).
    pub no_self: u32,
    /// Post position of pre position i's own neuron: i + self_delta.
    pub self_delta: i32,
    /// FixedProbability p_connect.
    pub p: f32,
    /// 1 / ln(1 − p), computed on the host in f64.
    pub inv_log_q: f32,
    /// Philox key.
    pub key0: u32,
    /// Philox key.
    pub key1: u32,
    /// Weight distribution (`DIST_*`).
    pub w_kind: u32,
    /// Delay distribution (`DIST_*`).
    pub d_kind: u32,
    /// Keys mode: first presynaptic row (view position) of the bound CSR buffer.
    pub row_begin: u32,
    /// Keys mode: one past its last row.
    pub row_end: u32,
    /// CSR and keys modes: global CSR slot of the bound buffer's first synapse.
    pub slot_base: u32,
    /// CSR mode: synapses in the bound buffer (its weights follow its packed words).
    pub split_len: u32,
    /// CSR mode: bits of the packed target index.
    pub target_bits: u32,
    /// CSR mode: packed target of post position 0 (`channel · n_total + first global post`).
    pub target_base: u32,
    /// CSR mode: the fixed-point weight of a constant weight.
    pub w_fixed: i32,
    /// CSR mode: the fixed-point scale (a power of two) of drawn weights.
    pub w_scale: f32,
    /// CSR mode: the delay steps of a constant delay, or of drawn delays below the first
    /// threshold.
    pub d_steps: u32,
    /// CSR mode: thresholds of drawn delays (bound in place of `out_post`).
    pub n_thresholds: u32,
    /// Weight distribution parameters.
    pub w_p: [f32; 4],
    /// Delay distribution parameters.
    pub d_p: [f32; 4],
}

/// One Poisson input: every step in `[start, stop)`, each neuron `first..first + n` (global
/// indices) receives k ~ Poisson(lambda) events of fixed-point weight `w_fixed` on `channel`
/// (k ≤ `k_max`). Mirrors `PoissonInputEntry` in `shaders/shared/poisson_input.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Pod, Zeroable)]
pub struct PoissonInputEntry {
    /// First global neuron.
    pub first: u32,
    /// Neurons.
    pub n: u32,
    /// 0 excitatory, 1 inhibitory.
    pub channel: u32,
    /// Largest count drawn (the truncation has probability < 1e-20).
    pub k_max: u32,
    /// Weight in the target's fixed point.
    pub w_fixed: i32,
    /// Expected events per neuron and step.
    pub lambda: f32,
    /// exp(−lambda) (computed on the host in f64).
    pub p0: f32,
    /// First step.
    pub start: u32,
    /// One past the last step.
    pub stop: u32,
    /// Random stream (the input's index).
    pub stream: u32,
    /// Padding.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
}

/// Constants of the CPU back end's `poisson_input` pass (`cpu::poisson_input`). On the GPU the
/// integrate kernels draw the Poisson events themselves and read these from `GroupInfo` and
/// `PopInfo`; the struct is not shared with WGSL.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct PoissonInfo {
    /// Entries in the table.
    pub n_entries: u32,
    /// Neurons in the global index space.
    pub n_total: u32,
    /// Ring slots.
    pub ring_len: u32,
    /// Philox key.
    pub key0: u32,
    /// Philox key.
    pub key1: u32,
    /// Padding.
    pub pad0: u32,
    /// Padding.
    pub pad1: u32,
    /// Padding.
    pub pad2: u32,
}
