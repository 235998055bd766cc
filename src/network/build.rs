//! Building a [`NetworkSpec`] into flat arrays: the layout both back ends run on.
//!
//! * Neurons of all populations share one global index space; each population starts at a
//!   multiple of 32 so that its spike bits are whole words of the recording bitmask.
//! * Connectivity is one CSR over global presynaptic indices. A synapse is 8 bytes: a packed
//!   u32 `delay_steps << target_bits | channel * n_total + post` and an i32 fixed-point weight.
//!   Synapses with dynamics (STDP, Tsodyks–Markram, rate rules) form a second CSR of the same
//!   format with per-synapse state, built by [`super::plastic`].
//! * Inputs arrive through a ring of `ring_len` slots × 2 channels (excitatory, inhibitory) ×
//!   `n_total` i32 accumulators. Weights are fixed point with one power-of-two scale per
//!   (population, channel), chosen so that even every synapse of a neuron landing in one slot
//!   cannot overflow i32; integer addition makes the sum independent of thread order.

use super::assemble::{self, CsrFill, CsrRows};
use super::construct::{self, ConstructRunner};
use super::current_source::kind as stim_kind;
use super::plastic::{build_plastic, PlasticNet, PlasticProjection};
use super::synapses::SynapseType;
use super::{BuildError, CurrentSource, NetworkSpec, PopulationView, Receptor};
use crate::abi::{PoissonInputEntry, PLASTIC_RULE_MASK};
use crate::model::spike_source_array::SpikeSourceArray;
use crate::model::{time_to_step, CellType, ModelSpec, Param, ParamTable};
use crate::random::{seed_key, Rng, Stream};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI32, AtomicU32};

/// Marks "none" in u32 tables.
pub const NONE: u32 = u32::MAX;
/// Words of one stimulus record.
pub const STIM_RECORD_WORDS: usize = 8;

/// One synapse as read back by [`crate::Simulation::connections`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynapseRecord {
    /// Index in the presynaptic population.
    pub pre: u32,
    /// Index in the postsynaptic population.
    pub post: u32,
    /// Weight as stored (fixed point), in nA or µS.
    pub weight: f64,
    /// Delay in ms (a whole number of steps).
    pub delay: f64,
}

/// A built projection: its endpoints, its synapses as built, and where they are stored.
#[derive(Debug, Clone)]
pub struct BuiltProjection {
    /// Label.
    pub label: String,
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    /// Receptor.
    pub receptor: Receptor,
    /// The synapse type.
    pub synapse: SynapseType,
    /// Per synapse: its index in [`BuiltNetwork::weight`] (static) or in the plastic arrays of
    /// [`BuiltNetwork::plastic`] (dynamic synapse types).
    pub slots: Vec<u32>,
    /// Per synapse: (position in the pre view, position in the post view).
    pub view_pos: Vec<(u32, u32)>,
    /// Sizes of the pre and post views.
    pub view_len: (usize, usize),
    /// The pre view: position → index in the presynaptic population.
    pub pre_idx: Vec<u32>,
    /// The post view: position → index in the postsynaptic population.
    pub post_idx: Vec<u32>,
    /// Per synapse: its delay in steps.
    pub delay_steps: Vec<u32>,
    /// Time step, ms.
    pub dt: f64,
    /// Fixed-point scale of the target (population, channel).
    pub scale: f64,
    /// Index of its rule in [`PlasticNet::rules`] (dynamic synapse types with synapses).
    pub rule: Option<usize>,
    /// Kernel-assembled: where its synapses lie in the CSR until `slots`, `view_pos` and
    /// `delay_steps` are decoded from it ([`BuiltProjection::decode`]).
    pub csr_rows: Option<CsrRows>,
}

impl BuiltProjection {
    /// Projection `proj` between the views `pre_idx`, `post_idx`, without synapses yet.
    fn of(label: &str, proj: &super::Projection, pre_idx: Vec<u32>, post_idx: Vec<u32>, dt: f64, scale: f64) -> Self {
        Self {
            label: label.to_string(),
            pre: proj.pre.pop.index(),
            post: proj.post.pop.index(),
            receptor: proj.receptor,
            synapse: proj.synapse.clone(),
            slots: Vec::new(),
            view_pos: Vec::new(),
            view_len: (pre_idx.len(), post_idx.len()),
            pre_idx,
            post_idx,
            delay_steps: Vec::new(),
            dt,
            scale,
            rule: None,
            csr_rows: None,
        }
    }

    /// Whether its synapses live in the plastic arrays.
    pub fn is_dynamic(&self) -> bool {
        self.synapse.is_dynamic()
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.csr_rows.as_ref().map_or(self.view_pos.len(), CsrRows::len)
    }

    /// Whether it has no synapse.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decodes a kernel-assembled projection's per-synapse lists from the packed synapses
    /// `syn` (read back from the engine); nothing to do otherwise.
    pub fn decode(&mut self, syn: &[u32], target_bits: u32) {
        if let Some(rows) = self.csr_rows.take() {
            (self.slots, self.view_pos, self.delay_steps) = rows.decode(syn, target_bits);
        }
    }

    /// Synapse `k`'s (pre, post) indices in their populations.
    pub fn endpoints(&self, k: usize) -> (u32, u32) {
        let (a, b) = self.view_pos[k];
        (self.pre_idx[a as usize], self.post_idx[b as usize])
    }

    /// Synapse `k` with weight `weight` (connection order).
    pub fn record(&self, k: usize, weight: f64) -> SynapseRecord {
        let (pre, post) = self.endpoints(k);
        SynapseRecord { pre, post, weight, delay: f64::from(self.delay_steps[k]) * self.dt }
    }
}

/// Recording layout of one population.
#[derive(Debug, Clone, Default)]
pub struct PopRecording {
    /// Whether its spikes go to the bitmask.
    pub spikes: bool,
    /// Recorded state indices.
    pub vars: Vec<u32>,
    /// Recorded neurons (local indices, sorted); `rec_map` gives each its slot.
    pub neurons: Vec<u32>,
    /// Sampling interval in steps.
    pub interval: u32,
}

/// A built population.
#[derive(Debug, Clone)]
pub struct BuiltPopulation {
    /// Label.
    pub label: String,
    /// Cell type with its parameters as given.
    pub cell: CellType,
    /// The model.
    pub spec: &'static ModelSpec,
    /// First global index (multiple of 32).
    pub offset: u32,
    /// Number of neurons.
    pub n: u32,
    /// Per-neuron PyNN parameters.
    pub table: ParamTable,
    /// Derived kernel parameters `[K][n]`.
    pub kparams: Vec<f32>,
    /// State `[S][n]`.
    pub state: Vec<f32>,
    /// One counter per neuron.
    pub counters: Vec<u32>,
    /// Model-specific table (spike times), at least one word.
    pub extra: Vec<u32>,
    /// 1/scale of the excitatory and inhibitory fixed-point inputs.
    pub inv_scale: [f32; 2],
    /// Fixed-point scale of each input channel.
    pub scale: [f64; 2],
    /// Whether its spikes go to the spike list: a projection leaves it, or a learning rule
    /// needs its spikes as postsynaptic ones.
    pub has_outgoing: bool,
    /// Recording.
    pub record: PopRecording,
    /// First word of its stimulus table in `stim`, or [`NONE`].
    pub stim_base: u32,
}

/// The built network: everything both back ends need, as flat arrays.
#[derive(Debug, Clone)]
pub struct BuiltNetwork {
    /// Wall time of drawing the projections' connectivity, weights and delays (with their
    /// checks; on the GPU back end the random connectors are drawn by the `construct` kernel), s.
    pub draw_s: f64,
    /// Time step, ms.
    pub dt: f64,
    /// Seed.
    pub seed: u64,
    /// Philox key.
    pub key: [u32; 2],
    /// Neurons in the global index space (padded; multiple of 32).
    pub n_total: u32,
    /// Ring slots (max delay in steps + 1).
    pub ring_len: u32,
    /// Shortest delay of any synapse in steps (≥ 1; `u32::MAX` without synapses): spikes
    /// cannot influence each other sooner, which bounds the steps one dispatch may advance.
    pub min_delay: u32,
    /// Bits of the packed target index.
    pub target_bits: u32,
    /// Populations.
    pub pops: Vec<BuiltPopulation>,
    /// Projections.
    pub projections: Vec<BuiltProjection>,
    /// CSR row pointers over global presynaptic indices (n_total + 1).
    pub row_ptr: Vec<u32>,
    /// Packed (delay, channel, target) per synapse (empty when the GPU's `construct` kernel
    /// assembled the CSR: it lives on the device only).
    pub syn: Vec<u32>,
    /// Fixed-point weights per synapse (likewise).
    pub weight: Vec<i32>,
    /// Synapses with dynamics and their kernels' arrays.
    pub plastic: PlasticNet,
    /// Current-source table.
    pub stim: Vec<u32>,
    /// Global neuron → recording slot, or [`NONE`].
    pub rec_map: Vec<u32>,
    /// Poisson inputs, one entry per run of consecutive target neurons.
    pub poisson: Vec<PoissonInputEntry>,
    /// Kernel assembly: the CSR passes that fill `syn` and `weight` (left empty until then)
    /// on the engine's side ([`super::assemble`]).
    pub csr_fills: Vec<CsrFill>,
    /// Whether the static CSR was assembled by the `construct` kernel (or its mirror).
    pub kernel_assembled: bool,
}

impl BuiltNetwork {
    /// Synapses in total (static and plastic).
    pub fn n_synapses(&self) -> usize {
        self.n_static_synapses() + self.plastic.n_synapses()
    }

    /// Static synapses (walked by `propagate`).
    pub fn n_static_synapses(&self) -> usize {
        self.row_ptr.last().copied().unwrap_or(0) as usize
    }

    /// Whether the static CSR is still to be filled by its kernel passes.
    pub fn csr_pending(&self) -> bool {
        !self.csr_fills.is_empty()
    }

    /// Runs the CSR passes on the host (the kernel's mirror): fills `syn` and `weight`.
    pub fn assemble_on_host(&mut self) {
        if self.csr_fills.is_empty() {
            return;
        }
        (self.syn, self.weight) = super::assemble::fill_on_host(&std::mem::take(&mut self.csr_fills), &self.row_ptr);
    }

    /// Decodes kernel-assembled projections' per-synapse lists from the packed synapses `syn`.
    pub fn decode_projections(&mut self, syn: &[u32]) {
        let bits = self.target_bits;
        for p in &mut self.projections {
            p.decode(syn, bits);
        }
    }

    /// Whether some projection's per-synapse lists are still to be decoded.
    pub fn lists_pending(&self) -> bool {
        self.projections.iter().any(|p| p.csr_rows.is_some())
    }

    /// Neurons in total (not counting padding).
    pub fn n_neurons(&self) -> usize {
        self.pops.iter().map(|p| p.n as usize).sum()
    }

    /// Words of the spike bitmask per step.
    pub fn spike_words(&self) -> u32 {
        self.n_total / 32
    }

    /// Largest delay in steps.
    pub fn max_delay_steps(&self) -> u32 {
        self.ring_len - 1
    }

    /// The constants of the CPU back end's `poisson_input` pass.
    pub fn poisson_info(&self) -> crate::abi::PoissonInfo {
        crate::abi::PoissonInfo {
            n_entries: self.poisson.len() as u32,
            n_total: self.n_total,
            ring_len: self.ring_len,
            key0: self.key[0],
            key1: self.key[1],
            ..Default::default()
        }
    }
}

/// PyNN's weight rules: finite; conductance weights ≥ 0 for either receptor; current weights
/// ≥ 0 for excitatory and ≤ 0 for inhibitory synapses. Returns the broken rule.
pub(crate) fn check_weight(post: &ModelSpec, receptor: Receptor, w: f64) -> Result<(), String> {
    if !w.is_finite() {
        return Err("must be finite".into());
    }
    match (post.conductance_based, receptor) {
        (true, _) if w < 0.0 => Err(format!("conductance weights (µS) onto {} must be ≥ 0 for either receptor", post.cell_type)),
        (false, Receptor::Excitatory) if w < 0.0 => Err(format!("excitatory weights onto current-based {} must be ≥ 0", post.cell_type)),
        (false, Receptor::Inhibitory) if w > 0.0 => {
            Err(format!("inhibitory weights onto current-based {} must be ≤ 0 (PyNN's sign convention)", post.cell_type))
        }
        _ => Ok(()),
    }
}

/// Resolve and check one population's parameters (also used by `set`).
pub(crate) fn resolve_params(
    label: &str,
    cell: &CellType,
    n: usize,
    pop_index: usize,
    seed: u64,
    dt: f64,
) -> Result<ParamTable, BuildError> {
    let spec = cell.spec();
    let mut values = Vec::with_capacity(spec.params.len());
    for (p, (param, ps)) in cell.params().iter().zip(spec.params).enumerate() {
        let mut rng = Rng::new(seed, Stream::Parameter { pop: pop_index as u32, param: p as u32 });
        values
            .push(param.resolve(n, &mut rng).map_err(|e| BuildError::invalid(format!("population '{label}'.{}", ps.name), e.to_string()))?);
    }
    let table = ParamTable { spec, values };
    cell.validate(&table, dt).map_err(|source| BuildError::Model { population: label.to_string(), source })?;
    Ok(table)
}

/// Build the network. `dt` in ms. With `kernel_assembly` the static CSR of a qualifying
/// network is left to the engine's `construct` kernel (`BuiltNetwork::csr_fills`, see
/// [`super::assemble`]).
pub(crate) fn build(
    spec: &NetworkSpec,
    dt: f64,
    seed: u64,
    runner: &dyn ConstructRunner,
    kernel_assembly: bool,
) -> Result<BuiltNetwork, BuildError> {
    let t_build = std::time::Instant::now();
    // 1. Global layout.
    let mut offset: u64 = 0;
    let mut offsets = Vec::with_capacity(spec.pops.len());
    for p in &spec.pops {
        offsets.push(offset);
        offset += (p.size as u64).div_ceil(32) * 32;
    }
    let n_total = offset.max(32);
    if n_total > (1 << 30) {
        return Err(BuildError::TooLarge { what: "neurons (padded)".into(), needed: n_total, limit: 1 << 30, hint: String::new() });
    }
    let n_total = n_total as u32;

    // 2. Populations.
    let mut pops = Vec::with_capacity(spec.pops.len());
    for (pi, p) in spec.pops.iter().enumerate() {
        let n = p.size;
        let table = resolve_params(&p.label, &p.cell, n, pi, seed, dt)?;
        let mspec = p.cell.spec();
        let kparams = p.cell.derive(&table, dt);
        let mut state = p.cell.initial_state(&table);
        for (name, value) in &p.initial {
            let what = format!("population '{}'.initial_values.{name}", p.label);
            let si = mspec.state_index(name).ok_or_else(|| {
                let known: Vec<_> = mspec.state.iter().map(|s| s.name).collect();
                BuildError::invalid(&what, format!("{} has no state variable '{name}' (it has: {})", mspec.cell_type, known.join(", ")))
            })?;
            let mut rng = Rng::new(seed, Stream::Initial { pop: pi as u32, var: si as u32 });
            let vals = value.resolve(n, &mut rng).map_err(|e| BuildError::invalid(&what, e.to_string()))?;
            if let Some(bad) = vals.iter().find(|v| !v.is_finite()) {
                return Err(BuildError::invalid(&what, format!("must be finite (got {bad})")));
            }
            state[si] = vals;
        }
        let extra = match &p.cell {
            CellType::SpikeSourceArray(a) => compile_spike_array(&p.label, a, n, dt)?,
            _ => vec![0],
        };
        pops.push(BuiltPopulation {
            label: p.label.clone(),
            cell: p.cell.clone(),
            spec: mspec,
            offset: offsets[pi] as u32,
            n: n as u32,
            table,
            kparams,
            state: state.iter().flat_map(|s| s.iter().map(|&v| v as f32)).collect(),
            counters: vec![0; n],
            extra,
            inv_scale: [1.0; 2],
            scale: [1.0; 2],
            has_outgoing: false,
            record: PopRecording::default(),
            stim_base: NONE,
        });
    }

    // 3. Projections: connectivity, weights, delays.
    // Per synapse only its view positions, weight and delay (20 bytes): population and global
    // indices come from the views' index maps when needed.
    struct RawProj {
        pre_idx: Vec<u32>,
        post_idx: Vec<u32>,
        pre_off: u32,
        post_off: u32,
        view_pos: Vec<(u32, u32)>,
        w: Vec<f64>,
        d: Vec<u32>,
    }
    impl RawProj {
        fn pre_global(&self, k: usize) -> u32 {
            self.pre_off + self.pre_idx[self.view_pos[k].0 as usize]
        }
        fn post_global(&self, k: usize) -> u32 {
            self.post_off + self.post_idx[self.view_pos[k].1 as usize]
        }
    }
    let mut raws = Vec::with_capacity(spec.projections.len());
    let mut max_delay = 1u32;
    let mut min_delay = u32::MAX;
    let mut bound = vec![0f64; 2 * n_total as usize];
    // Connectivity, weights and delays of each projection come from its own Philox streams, so
    // projections are drawn in parallel (same result as in sequence); errors are then reported
    // in projection order, as a sequential build would.
    let draw = |ji: usize| -> Result<Drawn, BuildError> {
        let (proj, label) = &spec.projections[ji];
        let what = |field: &str| format!("projection '{label}'.{field}");
        let pre_idx = proj.pre.indices().map_err(|e| BuildError::invalid(what("pre"), e.to_string()))?;
        let post_idx = proj.post.indices().map_err(|e| BuildError::invalid(what("post"), e.to_string()))?;
        let (pre_pop, post_pop) = (proj.pre.pop.index(), proj.post.pop.index());
        let post_spec = pops[post_pop].spec;
        if !post_spec.receives_input {
            return Err(BuildError::invalid(
                what("post"),
                format!("{} cells have no synapses; a projection cannot target '{}'", post_spec.cell_type, pops[post_pop].label),
            ));
        }
        proj.synapse.validate(dt).map_err(|(field, rule)| BuildError::invalid(what(&field), rule))?;
        let delay_param = proj.synapse.delay().cloned().unwrap_or(Param::Const(dt));
        // Random connectors the `construct` kernel can draw go to `runner` (host mirror or
        // GPU, the same synapses); the others are drawn here from sequential streams.
        let plan =
            construct::plan(ji, &proj.connector, proj.synapse.weight(), &delay_param, &pre_idx, &post_idx, pre_pop == post_pop, seed);
        let (gen, drawn_w, drawn_d) = match plan {
            Some(plan) => {
                let plan = plan.map_err(|source| BuildError::Connector { projection: label.clone(), source })?;
                let drawn = construct::execute(&plan, runner).map_err(|e| BuildError::invalid(what("connector"), e))?;
                (drawn.gen, drawn.w, drawn.d)
            }
            None => {
                let mut rng = Rng::new(seed, Stream::Connector { proj: ji as u32 });
                let gen = proj
                    .connector
                    .generate(&pre_idx, &post_idx, pre_pop == post_pop, &mut rng)
                    .map_err(|source| BuildError::Connector { projection: label.clone(), source })?;
                (gen, None, None)
            }
        };
        let m = gen.pairs.len();
        let mut w = match drawn_w {
            Some(w) => w,
            None => {
                let mut wrng = Rng::new(seed, Stream::Weight { proj: ji as u32 });
                proj.synapse.weight().resolve(m, &mut wrng).map_err(|e| BuildError::invalid(what("weight"), e.to_string()))?
            }
        };
        let mut d_ms = match drawn_d {
            Some(d) => d,
            None => {
                let mut drng = Rng::new(seed, Stream::Delay { proj: ji as u32 });
                delay_param.resolve(m, &mut drng).map_err(|e| BuildError::invalid(what("delay"), e.to_string()))?
            }
        };
        if let Some(ws) = &gen.weights {
            for (k, v) in ws.iter().enumerate() {
                if let Some(v) = v {
                    w[k] = *v;
                }
            }
        }
        if let Some(ds) = &gen.delays {
            for (k, v) in ds.iter().enumerate() {
                if let Some(v) = v {
                    d_ms[k] = *v;
                }
            }
        }
        // Per-synapse checks here, projection by projection in parallel (errors are still
        // reported in projection order).
        for (k, &wk) in w.iter().enumerate() {
            check_weight(post_spec, proj.receptor, wk)
                .map_err(|rule| BuildError::invalid(what("weight"), format!("{rule} (synapse {k} has {wk})")))?;
        }
        // A learning rule's weights start and stay in [w_min, w_max]; the bounds obey the sign
        // rules of the target, and the fixed-point scale must hold the larger of them.
        let bounds = proj.synapse.bounds();
        if let Some((w_min, w_max)) = bounds {
            let prefix = proj.synapse.bounds_prefix();
            for (name, b) in [("w_min", w_min), ("w_max", w_max)] {
                check_weight(post_spec, proj.receptor, b)
                    .map_err(|rule| BuildError::invalid(what(&format!("{prefix}{name}")), format!("{rule} (got {b})")))?;
            }
            if let Some((k, wk)) = w.iter().enumerate().find(|(_, wk)| !(w_min..=w_max).contains(*wk)) {
                return Err(BuildError::invalid(
                    what("weight"),
                    format!("must be in [w_min, w_max] = [{w_min}, {w_max}] of its {} (synapse {k} has {wk})", proj.synapse.name()),
                ));
            }
        }
        let mut d_steps = Vec::with_capacity(d_ms.len());
        for (k, &dk) in d_ms.iter().enumerate() {
            if !dk.is_finite() || dk < dt * (1.0 - 1e-9) {
                return Err(BuildError::invalid(what("delay"), format!("must be finite and ≥ dt = {dt} ms (synapse {k} has {dk})")));
            }
            let steps = (dk / dt).round();
            if steps > f64::from(1u32 << 24) {
                return Err(BuildError::invalid(what("delay"), format!("must be < 2^24 steps (synapse {k} has {dk} ms)")));
            }
            d_steps.push(steps as u32);
        }
        Ok(Drawn { pre_idx, post_idx, gen, w, d_steps })
    };
    // Kernel assembly: counts and ranges from the device; no synapse comes to the host.
    let kernel = if kernel_assembly { assemble::plan_network(spec, &pops, dt, seed, runner)? } else { None };
    let drawn = if kernel.is_some() { Vec::new() } else { in_parallel(spec.projections.len(), draw) };
    for (ji, kp) in kernel.iter().flatten().enumerate() {
        let proj = &spec.projections[ji].0;
        let (pre_pop, post_pop) = (proj.pre.pop.index(), proj.post.pop.index());
        if kp.synapses == 0 {
            continue;
        }
        max_delay = max_delay.max(kp.steps.1);
        min_delay = min_delay.min(kp.steps.0);
        let lo = proj.receptor.channel() as usize * n_total as usize + (pops[post_pop].offset + kp.post_first) as usize;
        for (b, &c) in bound[lo..lo + kp.post_counts.len()].iter_mut().zip(&kp.post_counts) {
            if c > 0 {
                *b += f64::from(c) * kp.reach;
            }
        }
        pops[pre_pop].has_outgoing = true;
    }
    let draw_s = t_build.elapsed().as_secs_f64();
    for ((proj, _), drawn) in spec.projections.iter().zip(drawn) {
        let Drawn { pre_idx, post_idx, gen, w, d_steps } = drawn?;
        let (pre_pop, post_pop) = (proj.pre.pop.index(), proj.post.pop.index());
        let m = gen.pairs.len();
        let bounds = proj.synapse.bounds();
        for &steps in &d_steps {
            max_delay = max_delay.max(steps);
            min_delay = min_delay.min(steps);
        }
        let ch = proj.receptor.channel() as usize;
        let (pre_off, post_off) = (pops[pre_pop].offset, pops[post_pop].offset);
        let raw = RawProj {
            pre_idx: pre_idx.iter().map(|&i| i as u32).collect(),
            post_idx: post_idx.iter().map(|&i| i as u32).collect(),
            pre_off,
            post_off,
            view_pos: gen.pairs,
            w,
            d: d_steps,
        };
        // The fixed-point scale bounds each synapse by the largest weight of its projection
        // (its learning rule's larger bound): a neuron's bound is Σ over projections of its
        // synapses' count × that reach, computable from counts alone on the device.
        let reach = bounds.map_or_else(|| raw.w.iter().fold(0.0, |a: f64, w| a.max(w.abs())), |(lo, hi)| lo.abs().max(hi.abs()));
        let lo = ch * n_total as usize + post_off as usize;
        let targets = &mut bound[lo..lo + pops[post_pop].n as usize];
        add_reach(targets, (0..m).map(|k| raw.post_global(k) - post_off), reach);
        if m > 0 {
            pops[pre_pop].has_outgoing = true;
            if proj.synapse.learns() {
                pops[post_pop].has_outgoing = true;
            }
        }
        raws.push(raw);
    }

    // Poisson inputs: at most k_max events of |weight| per step onto each target neuron.
    struct PoissonRun {
        input: usize,
        pop: usize,
        first: u32,
        n: u32,
    }
    let mut poisson_runs = Vec::new();
    for (ii, (input, view)) in spec.poisson_inputs.iter().enumerate() {
        let pi = view.pop.index();
        let idx = view.indices().map_err(|e| BuildError::invalid(format!("poisson input into '{}'", pops[pi].label), e.to_string()))?;
        let ch = input.receptor.channel() as usize;
        let reach = f64::from(super::poisson_input::k_max(input.rate * dt * 1e-3)) * input.weight.abs();
        let off = pops[pi].offset;
        for &i in &idx {
            bound[ch * n_total as usize + off as usize + i] += reach;
        }
        // One table entry per run of consecutive neurons.
        let mut k = 0;
        while k < idx.len() {
            let mut end = k + 1;
            while end < idx.len() && idx[end] == idx[end - 1] + 1 {
                end += 1;
            }
            poisson_runs.push(PoissonRun { input: ii, pop: pi, first: off + idx[k] as u32, n: (end - k) as u32 });
            k = end;
        }
    }

    // 4. Fixed-point scales per (population, channel): 2^e with e one less than the largest
    //    exponent for which the bound onto any neuron of the population (Σ over projections of
    //    its synapses' count × the projection's largest |weight|, plus Poisson inputs) stays
    //    below 2^31. The spare bit absorbs the rounding of each weight to an integer (≤ 1/2 per
    //    synapse), so no slot can overflow even if every synapse lands in it at once.
    for p in &mut pops {
        for ch in 0..2 {
            let lo = ch * n_total as usize + p.offset as usize;
            let max_bound = bound[lo..lo + p.n as usize].iter().copied().fold(0.0, f64::max);
            let e = if max_bound > 0.0 { (f64::from(i32::MAX) / max_bound).log2().floor() - 1.0 } else { 0.0 };
            if e < -60.0 {
                let receptor = if ch == 0 { "excitatory" } else { "inhibitory" };
                return Err(BuildError::invalid(
                    format!("population '{}'.{receptor} inputs", p.label),
                    format!("the summed |weight| onto one neuron ({max_bound:e}) exceeds the fixed-point range (2^90)"),
                ));
            }
            let e = e.min(60.0);
            p.scale[ch] = e.exp2();
            p.inv_scale[ch] = (-e).exp2() as f32;
        }
    }

    // 5. Packed synapse format.
    let ring_len = max_delay + 1;
    let target_bits = 32 - (2 * n_total - 1).leading_zeros();
    let delay_bits = 32 - target_bits;
    if u64::from(max_delay) >= 1u64 << delay_bits {
        return Err(BuildError::TooLarge {
            what: format!("the largest delay ({max_delay} steps) in the packed synapse format with {n_total} neurons"),
            needed: u64::from(max_delay),
            limit: (1u64 << delay_bits) - 1,
            hint: " steps; use a larger dt or shorter delays".into(),
        });
    }

    // 6. Static CSR by global presynaptic index, projections in order within a row; synapses
    //    with dynamics go to the plastic CSR.
    let dynamic: Vec<bool> = spec.projections.iter().map(|(p, _)| p.synapse.is_dynamic()).collect();
    let mut row_ptr = vec![0u32; n_total as usize + 1];
    let total_syn: usize =
        raws.iter().map(|r| r.w.len()).sum::<usize>() + kernel.iter().flatten().map(|k| k.synapses as usize).sum::<usize>();
    if total_syn as u64 >= u64::from(u32::MAX) {
        return Err(BuildError::TooLarge {
            what: "synapses".into(),
            needed: total_syn as u64,
            limit: u64::from(u32::MAX) - 1,
            hint: String::new(),
        });
    }
    // Each static projection's synapses per presynaptic neuron (of its population), counted
    // projection by projection in parallel.
    let pre_range = |ji: usize| {
        let p = &pops[spec.projections[ji].0.pre.pop.index()];
        (p.offset, p.n as usize)
    };
    let counts: Vec<Vec<u32>> = in_parallel(spec.projections.len(), |ji| {
        if dynamic[ji] {
            return Vec::new();
        }
        if let Some(kp) = kernel.as_ref().map(|k| &k[ji]) {
            let mut c = vec![0u32; pre_range(ji).1];
            c[kp.pre_first as usize..kp.pre_first as usize + kp.row_counts.len()].copy_from_slice(&kp.row_counts);
            return c;
        }
        let (r, (off, n)) = (&raws[ji], pre_range(ji));
        let mut c = vec![0u32; n];
        for k in 0..r.w.len() {
            c[(r.pre_global(k) - off) as usize] += 1;
        }
        c
    });
    for (ji, c) in counts.iter().enumerate().filter(|(ji, _)| !dynamic[*ji]) {
        let off = pre_range(ji).0 as usize;
        for (i, &ci) in c.iter().enumerate() {
            row_ptr[off + i + 1] += ci;
        }
    }
    for i in 0..n_total as usize {
        row_ptr[i + 1] += row_ptr[i];
    }
    let n_static = row_ptr[n_total as usize] as usize;
    // Within a row the projections follow in order: projection j's first slot in row i is the
    // row's start plus the earlier projections' synapses from neuron i.
    let mut fill = row_ptr.clone();
    let cursors: Vec<Vec<u32>> = counts
        .iter()
        .enumerate()
        .map(|(ji, c)| {
            if dynamic[ji] {
                return Vec::new();
            }
            let off = pre_range(ji).0 as usize;
            let start = fill[off..off + c.len()].to_vec();
            for (f, &ci) in fill[off..off + c.len()].iter_mut().zip(c) {
                *f += ci;
            }
            start
        })
        .collect();
    drop(counts);
    // Kernel assembly: each projection's CSR pass, and where its rows lie for decoding.
    let mut csr_fills = Vec::new();
    let mut kernel_rows = Vec::new();
    for (ji, kp) in kernel.iter().flatten().enumerate() {
        let proj = &spec.projections[ji].0;
        let post = &pops[proj.post.pop.index()];
        let ch = proj.receptor.channel();
        let scale = post.scale[ch as usize];
        let rows = kp.pre_first as usize..kp.pre_first as usize + kp.row_counts.len();
        let offsets = cursors[ji][rows].to_vec();
        let target_base = ch * n_total + post.offset + kp.post_first;
        let thresholds = if kp.params.d_kind != crate::abi::DIST_NONE && kp.synapses > 0 {
            assemble::delay_thresholds(dt, kp.steps.0, kp.steps.1)
        } else {
            Vec::new()
        };
        let params = crate::abi::ConstructParams {
            mode: crate::abi::CONSTRUCT_MODE_CSR,
            target_bits,
            target_base,
            w_fixed: kp.w_const.map_or(0, |w| super::plastic::fixed_weight(&proj.synapse, w, scale)),
            w_scale: scale as f32,
            d_steps: kp.steps.0,
            n_thresholds: thresholds.len() as u32,
            ..kp.params
        };
        if kp.synapses > 0 {
            csr_fills.push(assemble::CsrFill {
                params,
                first_row: pops[proj.pre.pop.index()].offset + kp.pre_first,
                offsets: offsets.clone(),
                counts: kp.row_counts.clone(),
                thresholds,
            });
        }
        kernel_rows.push(assemble::CsrRows { offsets, counts: kp.row_counts.clone(), target_base });
    }
    // The projections fill their (disjoint) slots in parallel; relaxed atomic stores are plain
    // stores on the usual targets and keep this free of unsafe code.
    let n_host = if kernel.is_some() { 0 } else { n_static };
    let syn_slots: Vec<AtomicU32> = std::iter::repeat_with(|| AtomicU32::new(0)).take(n_host).collect();
    let weight_slots: Vec<AtomicI32> = std::iter::repeat_with(|| AtomicI32::new(0)).take(n_host).collect();
    let filled: Vec<(Vec<u32>, Vec<i32>)> = in_parallel(raws.len(), |ji| {
        let (r, proj) = (&raws[ji], &spec.projections[ji].0);
        let ch = proj.receptor.channel();
        let scale = pops[proj.post.pop.index()].scale[ch as usize];
        let (mut slots, mut fixed_w) = (Vec::new(), Vec::new());
        if dynamic[ji] {
            // Fixed-point weights are kept for the plastic arrays only.
            fixed_w = r.w.iter().map(|&w| super::plastic::fixed_weight(&proj.synapse, w, scale)).collect();
        } else {
            let off = pre_range(ji).0;
            let mut cursor = cursors[ji].clone();
            slots.reserve_exact(r.w.len());
            for k in 0..r.w.len() {
                let slot = &mut cursor[(r.pre_global(k) - off) as usize];
                syn_slots[*slot as usize].store((r.d[k] << target_bits) | (ch * n_total + r.post_global(k)), Relaxed);
                weight_slots[*slot as usize].store(super::plastic::fixed_weight(&proj.synapse, r.w[k], scale), Relaxed);
                slots.push(*slot);
                *slot += 1;
            }
        }
        (slots, fixed_w)
    });
    drop(cursors);
    let syn: Vec<u32> = syn_slots.into_iter().map(AtomicU32::into_inner).collect();
    let weight: Vec<i32> = weight_slots.into_iter().map(AtomicI32::into_inner).collect();
    let mut projections = Vec::with_capacity(raws.len());
    let mut fixed_weights = Vec::with_capacity(raws.len());
    for ((ji, r), (slots, fixed_w)) in raws.iter_mut().enumerate().zip(filled) {
        let (proj, label) = &spec.projections[ji];
        let scale = pops[proj.post.pop.index()].scale[proj.receptor.channel() as usize];
        fixed_weights.push(fixed_w);
        // The weights are stored now; plastic projections keep their delays for build_plastic.
        r.w = Vec::new();
        let delay_steps = if dynamic[ji] { r.d.clone() } else { std::mem::take(&mut r.d) };
        projections.push(BuiltProjection {
            slots,
            view_pos: if dynamic[ji] { r.view_pos.clone() } else { std::mem::take(&mut r.view_pos) },
            delay_steps,
            ..BuiltProjection::of(label, proj, r.pre_idx.clone(), r.post_idx.clone(), dt, scale)
        });
    }
    for ((ji, kp), rows) in kernel.iter().flatten().enumerate().zip(kernel_rows) {
        let (proj, label) = &spec.projections[ji];
        let (np, nq) = (kp.params.np, kp.params.nq);
        let scale = pops[proj.post.pop.index()].scale[proj.receptor.channel() as usize];
        let (pre_idx, post_idx) = ((kp.pre_first..kp.pre_first + np).collect(), (kp.post_first..kp.post_first + nq).collect());
        projections.push(BuiltProjection {
            csr_rows: (!rows.is_empty()).then_some(rows),
            ..BuiltProjection::of(label, proj, pre_idx, post_idx, dt, scale)
        });
    }
    let plastic_ids: Vec<usize> = (0..raws.len()).filter(|&ji| dynamic[ji]).collect();
    // A plastic synapse's meta word holds its rule (one per plastic projection) and dendritic
    // class in 16 bits each.
    let rule_limit = u64::from(PLASTIC_RULE_MASK) + 1;
    if plastic_ids.len() as u64 > rule_limit {
        return Err(BuildError::TooLarge {
            what: "plastic projections".into(),
            needed: plastic_ids.len() as u64,
            limit: rule_limit,
            hint: " (merge projections that share a rule)".into(),
        });
    }
    let dendritic: std::collections::BTreeSet<u32> = plastic_ids
        .iter()
        .flat_map(|&ji| raws[ji].d.iter().map(move |&d| super::plastic::dendritic_steps(&spec.projections[ji].0.synapse, d)))
        .collect();
    if dendritic.len() as u64 >= rule_limit {
        return Err(BuildError::TooLarge {
            what: "distinct dendritic delays of STDP synapses".into(),
            needed: dendritic.len() as u64 + 1,
            limit: rule_limit,
            hint: " (round delays to a coarser grid)".into(),
        });
    }
    let globals: Vec<(Vec<u32>, Vec<u32>)> = plastic_ids
        .iter()
        .map(|&ji| {
            let r = &raws[ji];
            ((0..r.d.len()).map(|k| r.pre_global(k)).collect(), (0..r.d.len()).map(|k| r.post_global(k)).collect())
        })
        .collect();
    let inputs: Vec<PlasticProjection> = plastic_ids
        .iter()
        .zip(&globals)
        .map(|(&ji, (pre_global, post_global))| {
            let (r, proj) = (&raws[ji], &spec.projections[ji].0);
            let (pre, post) = (&pops[proj.pre.pop.index()], &pops[proj.post.pop.index()]);
            PlasticProjection {
                synapse: &proj.synapse,
                pre: pre_global,
                post: post_global,
                weight: &fixed_weights[ji],
                delay: &r.d,
                channel: proj.receptor.channel(),
                scale: projections[ji].scale,
                pre_pop: (pre.offset, pre.n),
                post_pop: (post.offset, post.n),
            }
        })
        .collect();
    let (plastic, plastic_slots) = build_plastic(&inputs, n_total, target_bits, dt);
    for (k, (&ji, slots)) in plastic_ids.iter().zip(plastic_slots).enumerate() {
        projections[ji].slots = slots;
        if plastic.is_active() {
            projections[ji].rule = Some(k);
        }
    }

    // Poisson input table, weights in the targets' fixed point.
    let poisson: Vec<PoissonInputEntry> = poisson_runs
        .iter()
        .map(|r| {
            let input = &spec.poisson_inputs[r.input].0;
            let ch = input.receptor.channel();
            let lambda = input.rate * dt * 1e-3;
            PoissonInputEntry {
                first: r.first,
                n: r.n,
                channel: ch,
                k_max: super::poisson_input::k_max(lambda),
                w_fixed: (input.weight * pops[r.pop].scale[ch as usize]).round_ties_even() as i32,
                lambda: lambda as f32,
                p0: (-lambda).exp() as f32,
                start: time_to_step(input.start, dt),
                stop: if input.stop.is_finite() { time_to_step(input.stop, dt) } else { u32::MAX },
                stream: r.input as u32,
                pad0: 0,
                pad1: 0,
            }
        })
        .collect();

    // 7. Current sources.
    let stim = compile_stimuli(spec, &mut pops, dt)?;

    // 8. Recording.
    let mut rec_map = vec![NONE; n_total as usize];
    for (pi, req) in spec.recording.iter().enumerate() {
        let p = &mut pops[pi];
        p.record.spikes = !req.spikes.is_empty();
        p.record.vars = req.vars.iter().map(|&v| v as u32).collect();
        if !req.vars.is_empty() {
            p.record.neurons = req.var_neurons.iter().map(|&i| i as u32).collect();
            let interval = req.interval.unwrap_or(dt);
            let steps = (interval / dt).round();
            if !(interval.is_finite() && steps >= 1.0 && ((interval / dt) - steps).abs() < 1e-6) {
                return Err(BuildError::invalid(
                    format!("population '{}'.record.sampling_interval", p.label),
                    format!("must be a whole multiple of dt = {dt} ms (got {interval})"),
                ));
            }
            p.record.interval = steps as u32;
            for (slot, &i) in p.record.neurons.iter().enumerate() {
                rec_map[(p.offset + i) as usize] = slot as u32;
            }
        }
    }

    Ok(BuiltNetwork {
        draw_s,
        dt,
        seed,
        key: seed_key(seed),
        n_total,
        ring_len,
        min_delay,
        target_bits,
        pops,
        projections,
        row_ptr,
        syn,
        weight,
        plastic,
        stim,
        rec_map,
        poisson,
        csr_fills,
        kernel_assembled: kernel.is_some(),
    })
}

/// Adds `count × reach` to `bound[post]` for each target's count of synapses among `posts`
/// (one product per target, so the sum does not depend on the synapses' order).
fn add_reach(bound: &mut [f64], posts: impl Iterator<Item = u32>, reach: f64) {
    let mut count = vec![0u32; bound.len()];
    for p in posts {
        count[p as usize] += 1;
    }
    for (b, c) in bound.iter_mut().zip(count) {
        if c > 0 {
            *b += f64::from(c) * reach;
        }
    }
}

/// One projection's connectivity, weights (nA or µS) and delays (ms) as drawn.
struct Drawn {
    pre_idx: Vec<usize>,
    post_idx: Vec<usize>,
    gen: super::connectors::Generated,
    w: Vec<f64>,
    /// Delays in steps.
    d_steps: Vec<u32>,
}

/// `f(0), …, f(n − 1)` on up to `available_parallelism` threads (at most 16, as the construct runner), in index order.
pub(crate) fn in_parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 16).min(n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parts: Vec<Vec<(usize, T)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    let mut all: Vec<(usize, T)> = parts.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

fn compile_spike_array(label: &str, a: &SpikeSourceArray, n: usize, dt: f64) -> Result<Vec<u32>, BuildError> {
    a.compile(n, dt).map_err(|source| BuildError::Model { population: label.to_string(), source })
}

/// The stimulus table: per population with sources, `n + 1` offsets into a list of record
/// positions, the list, then 8-word records and step tables (see `shaders/shared/stimulus.wgsl`).
fn compile_stimuli(spec: &NetworkSpec, pops: &mut [BuiltPopulation], dt: f64) -> Result<Vec<u32>, BuildError> {
    let mut stim = vec![0u32]; // word 0 unused: no table starts at 0
    for (pi, pop) in pops.iter_mut().enumerate() {
        let sources: Vec<(usize, &CurrentSource, &PopulationView)> =
            spec.sources.iter().enumerate().filter(|(_, (_, v))| v.pop.index() == pi).map(|(si, (s, v))| (si, s, v)).collect();
        if sources.is_empty() {
            continue;
        }
        if !pop.spec.receives_input {
            return Err(BuildError::invalid(
                format!("current source into population '{}'", pop.label),
                format!("{} cells have no membrane to inject into", pop.spec.cell_type),
            ));
        }
        let n = pop.n as usize;
        // Per neuron: which sources.
        let mut per_neuron: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, (_, _, view)) in sources.iter().enumerate() {
            let idx = view
                .indices()
                .map_err(|e| BuildError::invalid(format!("current source into population '{}'", pop.label), e.to_string()))?;
            for i in idx {
                per_neuron[i].push(k);
            }
        }
        let base = stim.len();
        let list_start = base + n + 1;
        let list_len: usize = per_neuron.iter().map(Vec::len).sum();
        let records_start = list_start + list_len;
        let mut offsets = Vec::with_capacity(n + 1);
        let mut list = Vec::with_capacity(list_len);
        for ks in &per_neuron {
            offsets.push((list_start + list.len()) as u32);
            list.extend(ks.iter().map(|&k| (records_start + k * STIM_RECORD_WORDS) as u32));
        }
        offsets.push((list_start + list.len()) as u32);
        stim.extend(offsets);
        stim.extend(list);
        let mut tables: Vec<u32> = Vec::new();
        let tables_start = records_start + sources.len() * STIM_RECORD_WORDS;
        for (si, src, _) in &sources {
            let what = format!("current source #{si} ({}) into '{}'", src.name(), pop.label);
            let window = |start: f64, stop: f64| -> Result<(u32, u32), BuildError> {
                if !(start.is_finite() && start >= 0.0) {
                    return Err(BuildError::invalid(format!("{what}.start"), format!("must be finite and ≥ 0 (got {start})")));
                }
                if stop.is_nan() || stop < start {
                    return Err(BuildError::invalid(format!("{what}.stop"), format!("must be ≥ start (got {stop})")));
                }
                Ok((time_to_step(start, dt), time_to_step(stop, dt)))
            };
            let rec: [u32; STIM_RECORD_WORDS] = match **src {
                CurrentSource::DCSource { amplitude, start, stop } => {
                    if !amplitude.is_finite() {
                        return Err(BuildError::invalid(format!("{what}.amplitude"), format!("must be finite (got {amplitude})")));
                    }
                    let (a, b) = window(start, stop)?;
                    [stim_kind::DC, a, b, (amplitude as f32).to_bits(), 0, 0, 0, *si as u32]
                }
                CurrentSource::StepCurrentSource { ref times, ref amplitudes } => {
                    if times.len() != amplitudes.len() {
                        return Err(BuildError::invalid(
                            format!("{what}.amplitudes"),
                            format!("must have one value per time ({} times, {} amplitudes)", times.len(), amplitudes.len()),
                        ));
                    }
                    if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
                        return Err(BuildError::invalid(format!("{what}.times"), format!("must be finite and ≥ 0 (got {t})")));
                    }
                    if let Some(w) = times.windows(2).find(|w| w[1] <= w[0]) {
                        return Err(BuildError::invalid(
                            format!("{what}.times"),
                            format!("must be strictly increasing ({} then {})", w[0], w[1]),
                        ));
                    }
                    if let Some(a) = amplitudes.iter().find(|a| !a.is_finite()) {
                        return Err(BuildError::invalid(format!("{what}.amplitudes"), format!("must be finite (got {a})")));
                    }
                    let at = tables_start + tables.len();
                    for (t, a) in times.iter().zip(amplitudes) {
                        tables.push(time_to_step(*t, dt));
                        tables.push((*a as f32).to_bits());
                    }
                    [stim_kind::STEP, 0, u32::MAX, 0, 0, times.len() as u32, at as u32, *si as u32]
                }
                CurrentSource::NoisyCurrentSource { mean, stdev, start, stop, dt: ndt } => {
                    if !mean.is_finite() {
                        return Err(BuildError::invalid(format!("{what}.mean"), format!("must be finite (got {mean})")));
                    }
                    if !(stdev.is_finite() && stdev >= 0.0) {
                        return Err(BuildError::invalid(format!("{what}.stdev"), format!("must be finite and ≥ 0 (got {stdev})")));
                    }
                    let ndt = ndt.unwrap_or(dt);
                    let steps = (ndt / dt).round();
                    if !(ndt.is_finite() && steps >= 1.0 && ((ndt / dt) - steps).abs() < 1e-6) {
                        return Err(BuildError::invalid(
                            format!("{what}.dt"),
                            format!("must be a whole multiple of the simulation dt = {dt} ms (got {ndt})"),
                        ));
                    }
                    let (a, b) = window(start, stop)?;
                    [stim_kind::NOISY, a, b, (mean as f32).to_bits(), (stdev as f32).to_bits(), steps as u32, 0, *si as u32]
                }
            };
            stim.extend(rec);
        }
        stim.extend(tables);
        pop.stim_base = base as u32;
    }
    Ok(stim)
}
