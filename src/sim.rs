//! [`Simulation`]: the PyNN-shaped front door (`setup`, `Population`, `Projection`, `record`,
//! `run`, `get_data`, `set`, `reset`).

use crate::abi::{PlasticState, RULE_FLAG_ENABLED, STATUS_NOT_FINITE, STATUS_RING_SATURATED};
use crate::backend::{Backend, Engine, EngineError};
use crate::cpu::CpuEngine;
use crate::engine::construct::LazyGpuRunner;
use crate::engine::{GpuContext, GpuEngine};
use crate::model::{CellType, Param};
use crate::network::assemble::CsrAssembly;
use crate::network::build::{build, check_weight, resolve_params, BuiltNetwork, SynapseRecord};
use crate::network::construct::HostRunner;
use crate::network::weights::{resolve, stored_weights, to_array, to_fixed};
use crate::network::{
    BuildError, CurrentSource, DenseMatrix, MultipleSynapses, NetworkSpec, PoissonInput, Population, PopulationId, PopulationSpec,
    PopulationView, Projection, ProjectionId, RecordRequest, Stimulus, WeightError, WeightValues,
};
use crate::record::{segment, ChunkLayout, Recorder, Segment};
use std::time::Instant;
use thiserror::Error;

/// Every error spikeflow's API returns.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum Error {
    /// The network description is invalid.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The back end failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Weights that cannot be set.
    #[error(transparent)]
    Weight(#[from] WeightError),
    /// A call with a bad argument: `what` names it, `rule` says what is wrong.
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument or field.
        what: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A kernel reported a fixed-point input accumulator overflow.
    #[error(
        "synaptic input overflowed its 32-bit fixed-point accumulator during steps {from}..{to}; weights this large cannot be represented"
    )]
    InputSaturated {
        /// First step of the chunk.
        from: u64,
        /// End of the chunk.
        to: u64,
    },
    /// A kernel found NaN or infinity in a state variable.
    #[error("state of population '{population}' neuron {neuron} became NaN or infinite during steps {from}..{to}")]
    NotFinite {
        /// Population label.
        population: String,
        /// Neuron index (the lowest affected).
        neuron: usize,
        /// First step of the chunk.
        from: u64,
        /// End of the chunk.
        to: u64,
    },
}

fn invalid(what: impl Into<String>, rule: impl Into<String>) -> Error {
    Error::Invalid { what: what.into(), rule: rule.into() }
}

fn set_flag(flags: &mut u32, flag: u32, on: bool) {
    if on {
        *flags |= flag;
    } else {
        *flags &= !flag;
    }
}

/// Set projection `pi`'s weights in the stored arrays (static fixed-point weights, plastic
/// state), checked and converted by [`to_fixed`].
fn apply_weights(
    net: &BuiltNetwork,
    pi: usize,
    values: &WeightValues,
    static_w: &mut [i32],
    plastic: &mut [PlasticState],
) -> Result<(), Error> {
    let bp = &net.projections[pi];
    let new = resolve(bp, values, &stored_weights(bp, static_w, plastic))?;
    let fixed = to_fixed(net, pi, &new, static_w, plastic)?;
    for (&j, f) in bp.slots.iter().zip(fixed) {
        if bp.is_dynamic() {
            plastic[j as usize].weight = f;
        } else {
            static_w[j as usize] = f;
        }
    }
    Ok(())
}

/// Builds a [`Simulation`] (PyNN's `setup(timestep=..., ...)`).
#[must_use = "call build() to get a Simulation"]
#[derive(Debug, Clone)]
pub struct SimulationBuilder {
    dt: f64,
    seed: u64,
    backend: Backend,
    gpu: Option<GpuContext>,
    steps_per_submission: u32,
    max_steps_per_dispatch: u32,
    progress: bool,
    csr_assembly: CsrAssembly,
}

impl Default for SimulationBuilder {
    fn default() -> Self {
        Self {
            dt: 0.1,
            seed: 0,
            backend: Backend::Gpu,
            gpu: None,
            steps_per_submission: 1000,
            max_steps_per_dispatch: crate::abi::MAX_STEPS_PER_DISPATCH,
            progress: false,
            csr_assembly: CsrAssembly::Auto,
        }
    }
}

impl SimulationBuilder {
    /// Time step in ms (PyNN's `timestep`, default 0.1).
    pub fn dt(mut self, dt: f64) -> Self {
        self.dt = dt;
        self
    }

    /// Seed of every random number of the run (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Back end (default GPU).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Run on this device instead of finding one (GPU back end).
    pub fn gpu_context(mut self, ctx: GpuContext) -> Self {
        self.gpu = Some(ctx);
        self
    }

    /// Most steps recorded into one queue submission (default 1000).
    pub fn steps_per_submission(mut self, steps: u32) -> Self {
        self.steps_per_submission = steps;
        self
    }

    /// Most steps one kernel dispatch advances (default and maximum
    /// [`MAX_STEPS_PER_DISPATCH`](crate::abi::MAX_STEPS_PER_DISPATCH)); a network advances
    /// min(this, shortest delay in steps + 1) steps per dispatch, one with plastic synapses
    /// one ([`crate::backend::steps_per_dispatch`]). The results do not depend on it; 1 gives
    /// the step-by-step schedule.
    pub fn max_steps_per_dispatch(mut self, steps: u32) -> Self {
        self.max_steps_per_dispatch = steps;
        self
    }

    /// Show a progress bar on stderr during `run` when stderr is a terminal.
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }

    /// Where the static CSR is assembled (default [`CsrAssembly::Auto`]: by the `construct`
    /// kernel on a GPU when every projection qualifies, see [`crate::network::assemble`]; on
    /// the host on the CPU back end and on CPU adapters such as llvmpipe).
    /// The synapses, and so the results, do not depend on it.
    pub fn csr_assembly(mut self, assembly: CsrAssembly) -> Self {
        self.csr_assembly = assembly;
        self
    }

    /// Check the settings and create the simulation. The GPU back end finds its adapter here
    /// and fails (never falls back silently) if there is none.
    pub fn build(self) -> Result<Simulation, Error> {
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(invalid("setup.dt", format!("must be finite and > 0 ms (got {})", self.dt)));
        }
        if self.steps_per_submission == 0 {
            return Err(invalid("setup.steps_per_submission", "must be ≥ 1"));
        }
        let max_per_dispatch = crate::abi::MAX_STEPS_PER_DISPATCH;
        if !(1..=max_per_dispatch).contains(&self.max_steps_per_dispatch) {
            return Err(invalid(
                "setup.max_steps_per_dispatch",
                format!("must be in 1..={max_per_dispatch} (got {})", self.max_steps_per_dispatch),
            ));
        }
        let gpu = match (self.backend, self.gpu) {
            (Backend::Gpu, Some(ctx)) => Some(ctx),
            (Backend::Gpu, None) => Some(GpuContext::new()?),
            (Backend::Cpu, _) => None,
        };
        Ok(Simulation {
            dt: self.dt,
            seed: self.seed,
            backend: self.backend,
            gpu,
            steps_per_submission: self.steps_per_submission,
            max_steps_per_dispatch: self.max_steps_per_dispatch,
            progress: self.progress,
            csr_assembly: self.csr_assembly,
            spec: NetworkSpec::default(),
            overrides: Vec::new(),
            weight_overrides: Vec::new(),
            learning: Vec::new(),
            build_phases: None,
            record_views: Vec::new(),
            running: None,
        })
    }
}

/// Timing of one `run` call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunReport {
    /// Steps simulated.
    pub steps: u64,
    /// Biological time simulated, ms.
    pub bio_ms: f64,
    /// Seconds spent building the network and back end (first run only).
    pub build_s: f64,
    /// Seconds spent simulating (including readback).
    pub sim_s: f64,
    /// Queue submissions (chunks).
    pub chunks: u64,
}

struct Running {
    net: BuiltNetwork,
    engine: Box<dyn Engine>,
    layout: ChunkLayout,
    recorder: Recorder,
    step: u64,
}

/// What a user asked to record of a view, kept to filter results.
#[derive(Debug, Clone)]
struct RecordView {
    pop: usize,
    neurons: Vec<usize>,
    spikes: bool,
    vars: Vec<usize>,
}

/// A spiking network simulation: build it like a PyNN script, run it on the GPU or CPU.
pub struct Simulation {
    dt: f64,
    seed: u64,
    backend: Backend,
    gpu: Option<GpuContext>,
    steps_per_submission: u32,
    max_steps_per_dispatch: u32,
    progress: bool,
    csr_assembly: CsrAssembly,
    spec: NetworkSpec,
    overrides: Vec<(PopulationView, String, Param)>,
    /// `set_weights` calls, replayed after a rebuild.
    weight_overrides: Vec<(usize, WeightValues)>,
    /// Per projection: whether its learning rule is on.
    learning: Vec<bool>,
    record_views: Vec<RecordView>,
    running: Option<Running>,
    /// Where the last build's time went.
    build_phases: Option<BuildPhases>,
}

/// Where a build's wall time went (seconds): `draw_s` drawing connectivity, weights and delays
/// (the `construct` kernel on the GPU back end, its host mirror on the CPU one), `assemble_s`
/// the rest of the network build on the host (fixed-point scales, the CSR, tables),
/// `backend_s` creating the back end (on the GPU: buffers, uploads, pipelines). With kernel
/// assembly (`CsrAssembly`) `draw_s` is the count and stats passes (and the construct
/// kernel's compilation, on first use) and `backend_s` includes the CSR pass that writes the
/// synapses, waited for. Creating the GPU context (`SimulationBuilder::build`) is not a phase.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildPhases {
    /// Drawing the projections, s.
    pub draw_s: f64,
    /// The rest of the network build, s.
    pub assemble_s: f64,
    /// Creating the back end, s.
    pub backend_s: f64,
    /// Of `backend_s`: creating the engine's pipelines (0 on the CPU back end; drivers that
    /// compile at first dispatch, such as lavapipe, compile in the first run instead).
    #[serde(default)]
    pub pipelines_s: f64,
    /// Of `backend_s`: the CSR passes of kernel assembly on the device, until finished (0
    /// without them, and on the CPU back end, where the mirror runs in `assemble_s`).
    #[serde(default)]
    pub csr_s: f64,
}

impl Simulation {
    /// PyNN's `setup()`: start describing a simulation.
    pub fn builder() -> SimulationBuilder {
        SimulationBuilder::default()
    }

    /// Time step, ms.
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// Seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Back end.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The device the simulation runs on: the adapter's name, or "cpu".
    pub fn adapter_name(&self) -> String {
        match &self.gpu {
            Some(ctx) => ctx.adapter_name(),
            None => "cpu".into(),
        }
    }

    /// Simulated time so far, ms.
    pub fn time(&self) -> f64 {
        self.running.as_ref().map_or(0.0, |r| r.step as f64 * self.dt)
    }

    fn frozen(&self, what: &str) -> Result<(), Error> {
        if self.running.is_some() {
            Err(invalid(what, "the network is fixed once it has run; call reset() first to change its structure"))
        } else {
            Ok(())
        }
    }

    fn check_pop(&self, what: &str, pop: PopulationId) -> Result<&PopulationSpec, Error> {
        match self.spec.pops.get(pop.index()) {
            Some(p) if p.size == pop.size() => Ok(p),
            _ => Err(invalid(what, format!("population #{} does not belong to this simulation", pop.index()))),
        }
    }

    fn view_indices(&self, what: &str, view: &PopulationView) -> Result<Vec<usize>, Error> {
        self.check_pop(what, view.pop)?;
        view.indices().map_err(|e| invalid(what, e.to_string()))
    }

    /// Create a population (PyNN's `Population(size, cell_type, label=...)`).
    pub fn create(&mut self, population: Population) -> Result<PopulationId, Error> {
        self.frozen("create")?;
        let index = self.spec.pops.len();
        let label = population.label.clone().unwrap_or_else(|| format!("population{index}"));
        let what = format!("population '{label}'");
        if population.size == 0 {
            return Err(invalid(format!("{what}.size"), "must be ≥ 1"));
        }
        if population.size > u32::MAX as usize / 2 {
            return Err(invalid(format!("{what}.size"), format!("must be < 2^31 (got {})", population.size)));
        }
        if self.spec.pops.iter().any(|p| p.label == label) {
            return Err(invalid(format!("{what}.label"), "must be unique in the simulation"));
        }
        // Validate now so the error points at this call (values are drawn again at build).
        resolve_params(&label, &population.cell, population.size, index, self.seed, self.dt)?;
        if let CellType::SpikeSourceArray(a) = &population.cell {
            a.compile(population.size, self.dt).map_err(|source| BuildError::Model { population: label.clone(), source })?;
        }
        let spec = population.cell.spec();
        for (name, _) in &population.initial {
            if spec.state_index(name).is_none() {
                let known: Vec<_> = spec.state.iter().map(|s| s.name).collect();
                return Err(invalid(
                    format!("{what}.initial_values.{name}"),
                    format!("{} has no state variable '{name}' (it has: {})", spec.cell_type, known.join(", ")),
                ));
            }
        }
        self.spec.pops.push(PopulationSpec { label, size: population.size, cell: population.cell, initial: population.initial });
        self.spec.recording.push(RecordRequest::default());
        Ok(PopulationId { index: index as u32, size: population.size as u32 })
    }

    /// Label of a population.
    pub fn label(&self, pop: PopulationId) -> Result<&str, Error> {
        Ok(&self.check_pop("label", pop)?.label)
    }

    /// Add a projection (PyNN's `Projection(pre, post, connector, synapse, receptor_type)`).
    pub fn connect(&mut self, projection: Projection) -> Result<ProjectionId, Error> {
        self.frozen("connect")?;
        let index = self.spec.projections.len();
        let pre_label = self.check_pop("projection.pre", projection.pre.pop)?.label.clone();
        let post = self.check_pop("projection.post", projection.post.pop)?;
        let label = projection.label.clone().unwrap_or_else(|| format!("{pre_label}->{}", post.label));
        let what = |f: &str| format!("projection '{label}'.{f}");
        let post_spec = post.cell.spec();
        if !post_spec.receives_input {
            return Err(invalid(
                what("post"),
                format!("{} cells have no synapses; a projection cannot target '{}'", post_spec.cell_type, post.label),
            ));
        }
        self.view_indices(&what("pre"), &projection.pre)?;
        self.view_indices(&what("post"), &projection.post)?;
        // Rule parameters, constant weights and delays are checked here, random ones when the
        // network is built.
        projection.synapse.validate(self.dt).map_err(|(field, rule)| invalid(what(&field), rule))?;
        if let Some((w_min, w_max)) = projection.synapse.bounds() {
            for (name, b) in [("w_min", w_min), ("w_max", w_max)] {
                check_weight(post_spec, projection.receptor, b)
                    .map_err(|rule| invalid(what(&format!("{}{name}", projection.synapse.bounds_prefix())), format!("{rule} (got {b})")))?;
            }
        }
        if let Param::Const(w) = *projection.synapse.weight() {
            check_weight(post_spec, projection.receptor, w).map_err(|rule| invalid(what("weight"), format!("{rule} (got {w})")))?;
            if let Some((w_min, w_max)) = projection.synapse.bounds() {
                if !(w_min..=w_max).contains(&w) {
                    return Err(invalid(
                        what("weight"),
                        format!("must be in [w_min, w_max] = [{w_min}, {w_max}] of its {} (got {w})", projection.synapse.name()),
                    ));
                }
            }
        }
        if let Some(&Param::Const(d)) = projection.synapse.delay() {
            if !d.is_finite() || d < self.dt * (1.0 - 1e-9) {
                return Err(invalid(what("delay"), format!("must be finite and ≥ dt = {} ms (got {d})", self.dt)));
            }
        }
        self.spec.projections.push((projection, label));
        self.learning.push(true);
        Ok(ProjectionId(index as u32))
    }

    /// Inject a current source into neurons (PyNN's `source.inject_into(view)`).
    pub fn inject(&mut self, source: CurrentSource, target: impl Into<PopulationView>) -> Result<(), Error> {
        self.frozen("inject")?;
        let target = target.into();
        let label = self.check_pop("inject", target.pop)?.label.clone();
        self.view_indices(&format!("current source into '{label}'"), &target)?;
        let spec = self.spec.pops[target.pop.index()].cell.spec();
        if !spec.receives_input {
            return Err(invalid(
                format!("current source into '{label}'"),
                format!("{} cells have no membrane to inject into", spec.cell_type),
            ));
        }
        self.spec.sources.push((source, target));
        Ok(())
    }

    /// Independent Poisson event trains onto every neuron of `target` (NEST's
    /// `poisson_generator` connected one-to-one, Brian2's `PoissonInput`): each step, each
    /// neuron receives k ~ Poisson(rate·dt) events of `input.weight` on `input.receptor`. Far
    /// cheaper than a `SpikeSourcePoisson` population with OneToOne synapses: nothing spikes or
    /// propagates. The rate must be finite, ≥ 0 and at most 30 events per step.
    pub fn add_poisson_input(&mut self, input: PoissonInput, target: impl Into<PopulationView>) -> Result<(), Error> {
        self.frozen("add_poisson_input")?;
        let target = target.into();
        let label = self.check_pop("add_poisson_input", target.pop)?.label.clone();
        let what = format!("poisson input into '{label}'");
        self.view_indices(&what, &target)?;
        let cell = &self.spec.pops[target.pop.index()].cell;
        let spec = cell.spec();
        if !spec.receives_input {
            return Err(invalid(what, format!("{} cells have no synapses", spec.cell_type)));
        }
        let per_step = input.rate * self.dt * 1e-3;
        if !(input.rate.is_finite() && input.rate >= 0.0) || per_step > crate::network::poisson_input::MAX_EVENTS_PER_STEP {
            return Err(invalid(
                format!("{what}.rate"),
                format!(
                    "must be finite, ≥ 0 Hz and at most {} events per step ({} Hz at dt = {} ms) (got {})",
                    crate::network::poisson_input::MAX_EVENTS_PER_STEP,
                    crate::network::poisson_input::MAX_EVENTS_PER_STEP / (self.dt * 1e-3),
                    self.dt,
                    input.rate
                ),
            ));
        }
        check_weight(spec, input.receptor, input.weight)
            .map_err(|rule| invalid(format!("{what}.weight"), format!("{rule} (got {})", input.weight)))?;
        if !(input.start.is_finite() && input.start >= 0.0 && input.stop > input.start) {
            return Err(invalid(
                format!("{what}.start"),
                format!("must be finite, ≥ 0 and < stop (got start {}, stop {})", input.start, input.stop),
            ));
        }
        self.spec.poisson_inputs.push((input, target));
        Ok(())
    }

    /// pyN's stimulus dictionaries: each a DC step `amplitude` in [start, stop) into `neurons`.
    pub fn stimulate(&mut self, pop: PopulationId, stimuli: &[Stimulus]) -> Result<(), Error> {
        for s in stimuli {
            self.inject(CurrentSource::dc_between(s.amplitude, s.start, s.stop), pop.view(s.neurons.iter().copied()))?;
        }
        Ok(())
    }

    /// Record `variables` ("spikes", "v", "gsyn_exc", ...) of `target` every step.
    pub fn record(&mut self, target: impl Into<PopulationView>, variables: &[&str]) -> Result<(), Error> {
        self.record_sampled(target, variables, None)
    }

    /// Record with a sampling interval for state variables (ms, a multiple of dt).
    pub fn record_sampled(
        &mut self,
        target: impl Into<PopulationView>,
        variables: &[&str],
        sampling_interval: Option<f64>,
    ) -> Result<(), Error> {
        self.frozen("record")?;
        let target = target.into();
        let pop = target.pop.index();
        let label = self.check_pop("record", target.pop)?.label.clone();
        let neurons = self.view_indices(&format!("record '{label}'"), &target)?;
        let spec = self.spec.pops[pop].cell.spec();
        let mut vars = Vec::new();
        let mut spikes = false;
        for &v in variables {
            if v == "spikes" {
                spikes = true;
            } else if let Some(i) = spec.state_index(v) {
                vars.push(i);
            } else {
                let mut known: Vec<_> = spec.state.iter().map(|s| s.name).collect();
                known.insert(0, "spikes");
                return Err(invalid(
                    format!("record '{label}'"),
                    format!("{} cannot record '{v}' (recordable: {})", spec.cell_type, known.join(", ")),
                ));
            }
        }
        if let Some(iv) = sampling_interval {
            let steps = iv / self.dt;
            if !(iv.is_finite() && steps >= 1.0 - 1e-9 && (steps - steps.round()).abs() < 1e-6) {
                return Err(invalid(
                    format!("record '{label}'.sampling_interval"),
                    format!("must be a whole multiple of dt = {} ms (got {iv})", self.dt),
                ));
            }
        }
        let req = &mut self.spec.recording[pop];
        if !vars.is_empty() {
            if let (Some(old), Some(new)) = (req.interval, sampling_interval) {
                if (old - new).abs() > 1e-12 {
                    return Err(invalid(
                        format!("record '{label}'.sampling_interval"),
                        format!("one sampling interval per population (already {old} ms, got {new} ms)"),
                    ));
                }
            }
            if sampling_interval.is_some() {
                req.interval = sampling_interval;
            }
            let all_vars: std::collections::BTreeSet<usize> = req.vars.iter().chain(&vars).copied().collect();
            if all_vars.len() > crate::abi::MAX_RECORDED_VARS {
                return Err(invalid(
                    format!("record '{label}'"),
                    format!("at most {} state variables per population", crate::abi::MAX_RECORDED_VARS),
                ));
            }
            req.vars = all_vars;
            req.var_neurons.extend(neurons.iter().copied());
        }
        if spikes {
            req.spikes.extend(neurons.iter().copied());
        }
        self.record_views.push(RecordView { pop, neurons, spikes, vars });
        Ok(())
    }

    /// Set the initial value of a state variable of a whole population (before the first run).
    pub fn initialize(&mut self, pop: PopulationId, variable: &str, value: impl Into<Param>) -> Result<(), Error> {
        self.frozen("initialize")?;
        let p = self.check_pop("initialize", pop)?;
        let spec = p.cell.spec();
        if spec.state_index(variable).is_none() {
            let known: Vec<_> = spec.state.iter().map(|s| s.name).collect();
            return Err(invalid(
                format!("population '{}'.initial_values.{variable}", p.label),
                format!("{} has no state variable '{variable}' (it has: {})", spec.cell_type, known.join(", ")),
            ));
        }
        self.spec.pops[pop.index()].initial.push((variable.to_string(), value.into()));
        Ok(())
    }

    /// Set a parameter of neurons (PyNN's `population.set(name=value)`), also between runs:
    /// the derived kernel constants are recomputed and uploaded; no pipeline is rebuilt.
    /// For `SpikeSourceArray`, `spike_times` is set with [`Simulation::set_spike_times`].
    pub fn set(&mut self, target: impl Into<PopulationView>, param: &str, value: impl Into<Param>) -> Result<(), Error> {
        let target = target.into();
        let value = value.into();
        let p = self.check_pop("set", target.pop)?;
        let label = p.label.clone();
        let spec = p.cell.spec();
        spec.param_index(param).map_err(|e| invalid(format!("set on population '{label}'"), e.to_string()))?;
        let neurons = self.view_indices(&format!("set on population '{label}'"), &target)?;
        if let Param::Array(a) = &value {
            if a.len() != neurons.len() {
                return Err(invalid(
                    format!("population '{label}'.{param}"),
                    format!("array has {} values, the view has {} neurons", a.len(), neurons.len()),
                ));
            }
        }
        if let Some(run) = &mut self.running {
            let pi = target.pop.index();
            let bp = &mut run.net.pops[pi];
            let pidx = spec.param_index(param).map_err(|e| invalid("set", e.to_string()))?;
            let mut rng = crate::random::Rng::new(
                self.seed ^ 0x5e7_5e7 ^ (run.step << 16),
                crate::random::Stream::Parameter { pop: pi as u32, param: pidx as u32 },
            );
            let values =
                value.resolve(neurons.len(), &mut rng).map_err(|e| invalid(format!("population '{label}'.{param}"), e.to_string()))?;
            let mut table = bp.table.clone();
            for (k, &i) in neurons.iter().enumerate() {
                table.values[pidx][i] = values[k];
            }
            bp.cell.validate(&table, self.dt).map_err(|source| BuildError::Model { population: label.clone(), source })?;
            bp.kparams = bp.cell.derive(&table, self.dt);
            bp.table = table;
            let (kp, extra) = (bp.kparams.clone(), bp.extra.clone());
            let (_, counters) = run.engine.read_population(pi)?;
            run.engine.write_population(pi, &kp, &extra, &counters)?;
        } else {
            // Before the first run: check the rule against the resolved table right away.
            let pi = target.pop.index();
            let p = &self.spec.pops[pi];
            let mut table = resolve_params(&p.label, &p.cell, p.size, pi, self.seed, self.dt)?;
            let pidx = spec.param_index(param).map_err(|e| invalid("set", e.to_string()))?;
            let mut rng = crate::random::Rng::new(self.seed, crate::random::Stream::Parameter { pop: pi as u32, param: pidx as u32 });
            let values =
                value.resolve(neurons.len(), &mut rng).map_err(|e| invalid(format!("population '{label}'.{param}"), e.to_string()))?;
            for (k, &i) in neurons.iter().enumerate() {
                table.values[pidx][i] = values[k];
            }
            p.cell.validate(&table, self.dt).map_err(|source| BuildError::Model { population: label.clone(), source })?;
        }
        self.overrides.push((target, param.to_string(), value));
        Ok(())
    }

    /// Replace the spike times of a `SpikeSourceArray` population (also between runs).
    pub fn set_spike_times(&mut self, pop: PopulationId, times: crate::model::spike_source_array::SpikeTimes) -> Result<(), Error> {
        let p = self.check_pop("set_spike_times", pop)?;
        let label = p.label.clone();
        let CellType::SpikeSourceArray(_) = &p.cell else {
            return Err(invalid(format!("population '{label}'.spike_times"), format!("{} has no spike_times", p.cell.spec().cell_type)));
        };
        let new = crate::model::SpikeSourceArray { spike_times: times };
        let extra = new.compile(pop.size(), self.dt).map_err(|source| BuildError::Model { population: label.clone(), source })?;
        if let Some(run) = &mut self.running {
            let pi = pop.index();
            // Cursors start at the first spike not yet due.
            let step = run.step as u32;
            let counters: Vec<u32> = (0..pop.size())
                .map(|i| {
                    let (a, b) = (extra[i] as usize, extra[i + 1] as usize);
                    (a + extra[a..b].partition_point(|&s| s < step)) as u32
                })
                .collect();
            let bp = &mut run.net.pops[pi];
            bp.extra = extra.clone();
            bp.cell = CellType::SpikeSourceArray(new.clone());
            let kp = bp.kparams.clone();
            run.engine.write_population(pi, &kp, &extra, &counters)?;
        }
        self.spec.pops[pop.index()].cell = CellType::SpikeSourceArray(new);
        Ok(())
    }

    /// Per-neuron values of a parameter (PyNN's `population.get(name)`).
    pub fn get(&mut self, target: impl Into<PopulationView>, param: &str) -> Result<Vec<f64>, Error> {
        let target = target.into();
        let neurons = self.view_indices("get", &target)?;
        self.ensure_built()?;
        let run = self.running.as_ref().ok_or_else(|| invalid("get", "network not built"))?;
        let bp = &run.net.pops[target.pop.index()];
        let idx = bp.spec.param_index(param).map_err(|e| invalid(format!("get on population '{}'", bp.label), e.to_string()))?;
        Ok(neurons.iter().map(|&i| bp.table.values[idx][i]).collect())
    }

    /// Current values of a state variable (read back from the device).
    pub fn get_state(&mut self, target: impl Into<PopulationView>, variable: &str) -> Result<Vec<f32>, Error> {
        let target = target.into();
        let neurons = self.view_indices("get_state", &target)?;
        self.ensure_built()?;
        let run = self.running.as_mut().ok_or_else(|| invalid("get_state", "network not built"))?;
        let bp = &run.net.pops[target.pop.index()];
        let si = bp.spec.state_index(variable).ok_or_else(|| {
            invalid(format!("get_state on population '{}'", bp.label), format!("{} has no state variable '{variable}'", bp.spec.cell_type))
        })?;
        let n = bp.n as usize;
        let (state, _) = run.engine.read_population(target.pop.index())?;
        Ok(neurons.iter().map(|&i| state[si * n + i]).collect())
    }

    fn ensure_built(&mut self) -> Result<f64, Error> {
        if self.running.is_some() {
            return Ok(0.0);
        }
        let t0 = Instant::now();
        // Random connectors are drawn where the network will run: by the `construct` kernel on
        // the GPU back end, by its host mirror on the CPU one (the same synapses).
        // The CSR of a qualifying network is assembled by the `construct` kernel on the GPU
        // (or its mirror, when asked for on the CPU back end); weights set before the first
        // build are applied to host-assembled lists.
        let kernel = match self.csr_assembly {
            // On a CPU adapter (llvmpipe) the kernel's three passes cost more than one pass and
            // host assembly (BENCHMARKS.md); on a GPU nothing crosses to the host.
            CsrAssembly::Auto => {
                self.backend == Backend::Gpu && self.gpu.as_ref().is_some_and(|g| g.info.device_type != wgpu::DeviceType::Cpu)
            }
            CsrAssembly::Kernel => true,
            CsrAssembly::Host => false,
        } && self.weight_overrides.is_empty();
        let mut net = match (self.backend, &self.gpu) {
            (Backend::Gpu, Some(ctx)) => build(&self.spec, self.dt, self.seed, &LazyGpuRunner::new(ctx), kernel)?,
            _ => build(&self.spec, self.dt, self.seed, &HostRunner::default(), kernel)?,
        };
        if self.backend == Backend::Cpu {
            net.assemble_on_host();
        }
        // Apply `set` calls made before the first run, in order.
        for (view, param, value) in &self.overrides {
            let pi = view.pop.index();
            let bp = &mut net.pops[pi];
            let pidx = bp.spec.param_index(param).map_err(|e| invalid("set", e.to_string()))?;
            let neurons = view.indices().map_err(|e| invalid("set", e.to_string()))?;
            let mut rng = crate::random::Rng::new(self.seed, crate::random::Stream::Parameter { pop: pi as u32, param: pidx as u32 });
            let values =
                value.resolve(neurons.len(), &mut rng).map_err(|e| invalid(format!("population '{}'.{param}", bp.label), e.to_string()))?;
            for (k, &i) in neurons.iter().enumerate() {
                bp.table.values[pidx][i] = values[k];
            }
            bp.cell.validate(&bp.table, self.dt).map_err(|source| BuildError::Model { population: bp.label.clone(), source })?;
            bp.kparams = bp.cell.derive(&bp.table, self.dt);
        }
        for p in &mut net.pops {
            if let CellType::SpikeSourceArray(_) = p.cell {
                p.counters = p.extra[..p.n as usize].to_vec();
            }
        }
        // Learning switched off, and weights set, before the rebuild.
        for (pi, &on) in self.learning.iter().enumerate() {
            if let Some(r) = net.projections[pi].rule {
                set_flag(&mut net.plastic.rules[r].flags, RULE_FLAG_ENABLED, on);
            }
        }
        let (mut static_w, mut plastic) = (std::mem::take(&mut net.weight), std::mem::take(&mut net.plastic.state));
        for (pi, values) in &self.weight_overrides {
            apply_weights(&net, *pi, values, &mut static_w, &mut plastic)?;
        }
        (net.weight, net.plastic.state) = (static_w, plastic);
        let max_bytes: u64 = 64 << 20;
        let layout = ChunkLayout::new(&net, self.steps_per_submission, max_bytes, self.max_steps_per_dispatch);
        let network_s = t0.elapsed().as_secs_f64();
        let (mut pipelines_s, mut csr_s) = (0.0, 0.0);
        let engine: Box<dyn Engine> = match self.backend {
            Backend::Cpu => Box::new(CpuEngine::new(&net, layout.clone())),
            Backend::Gpu => {
                let ctx = self.gpu.clone().ok_or_else(|| invalid("run", "no GPU context"))?;
                let engine = GpuEngine::new(ctx, &net, layout.clone())?;
                (pipelines_s, csr_s) = engine.build_times;
                Box::new(engine)
            }
        };
        let recorder = Recorder::new(&net);
        let total_s = t0.elapsed().as_secs_f64();
        self.build_phases = Some(BuildPhases {
            draw_s: net.draw_s,
            assemble_s: network_s - net.draw_s,
            backend_s: total_s - network_s,
            pipelines_s,
            csr_s,
        });
        self.running = Some(Running { net, engine, layout, recorder, step: 0 });
        Ok(total_s)
    }

    /// Where the last build's time went (after `build_now` or the first `run`).
    pub fn build_phases(&self) -> Option<BuildPhases> {
        self.build_phases
    }

    /// Build the network and back end now (otherwise the first `run` does). Returns seconds.
    pub fn build_now(&mut self) -> Result<f64, Error> {
        self.ensure_built()
    }

    /// Advance the simulation by `duration` ms (PyNN's `run`); call again to continue.
    pub fn run(&mut self, duration: f64) -> Result<RunReport, Error> {
        if !(duration.is_finite() && duration >= 0.0) {
            return Err(invalid("run.duration", format!("must be finite and ≥ 0 ms (got {duration})")));
        }
        let steps_f = (duration / self.dt).round();
        if (duration / self.dt - steps_f).abs() > 1e-6 {
            return Err(invalid("run.duration", format!("must be a whole number of steps of dt = {} ms (got {duration})", self.dt)));
        }
        let build_s = self.ensure_built()?;
        let progress = self.progress;
        let run = self.running.as_mut().ok_or_else(|| invalid("run", "network not built"))?;
        let steps = steps_f as u64;
        if run.step + steps > u64::from(u32::MAX) {
            return Err(invalid(
                "run.duration",
                format!("the simulation may last at most 2^32 - 1 steps ({} ms)", f64::from(u32::MAX) * self.dt),
            ));
        }
        let bar = if progress && steps > 0 {
            let bar = indicatif::ProgressBar::new(steps);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(bar)
        } else {
            None
        };
        let t0 = Instant::now();
        let mut done = 0u64;
        let mut chunks = 0u64;
        while done < steps {
            let n = (steps - done).min(u64::from(run.engine.chunk_steps())) as u32;
            let first = run.step as u32;
            let chunk = run.engine.run_chunk(first, n)?;
            let (from, to) = (run.step, run.step + u64::from(n));
            if chunk.status[0] & STATUS_RING_SATURATED != 0 {
                return Err(Error::InputSaturated { from, to });
            }
            if chunk.status[0] & STATUS_NOT_FINITE != 0 {
                let gi = chunk.status[1];
                let (population, neuron) = run
                    .net
                    .pops
                    .iter()
                    .find(|p| gi >= p.offset && gi < p.offset + p.n)
                    .map_or((String::from("?"), gi as usize), |p| (p.label.clone(), (gi - p.offset) as usize));
                return Err(Error::NotFinite { population, neuron, from, to });
            }
            run.recorder.absorb(&run.net, &run.layout, &chunk);
            run.step += u64::from(n);
            done += u64::from(n);
            chunks += 1;
            if let Some(bar) = &bar {
                bar.set_position(done);
                let bio = run.step as f64 * self.dt;
                let wall = t0.elapsed().as_secs_f64();
                bar.set_message(format!("{bio:.0} ms biological, {:.2}× real time", wall / (done as f64 * self.dt / 1000.0)));
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        Ok(RunReport { steps, bio_ms: steps as f64 * self.dt, build_s, sim_s: t0.elapsed().as_secs_f64(), chunks })
    }

    /// Back to t = 0 with the initial state (PyNN's `reset()`); the network is kept and the
    /// same seed gives the same run again. Recorded data is discarded.
    pub fn reset(&mut self) {
        self.running = None;
    }

    /// What `target` recorded so far (PyNN's `get_data().segments[0]`).
    pub fn get_data(&self, target: impl Into<PopulationView>) -> Result<Segment, Error> {
        let target = target.into();
        let neurons = self.view_indices("get_data", &target)?;
        let pop = target.pop.index();
        let views: Vec<&RecordView> = self.record_views.iter().filter(|r| r.pop == pop).collect();
        if views.is_empty() {
            return Err(invalid(
                "get_data",
                format!("nothing was recorded of population '{}'; call record() before run()", self.spec.pops[pop].label),
            ));
        }
        let Some(run) = &self.running else {
            return Err(invalid("get_data", "the simulation has not run yet"));
        };
        // Membership masks: a linear search per neuron made this quadratic in the population size.
        let size = self.spec.pops[pop].size;
        let masks: Vec<Vec<bool>> = views
            .iter()
            .map(|v| {
                let mut m = vec![false; size];
                v.neurons.iter().filter(|&&i| i < size).for_each(|&i| m[i] = true);
                m
            })
            .collect();
        let spikes_of = |i: usize| views.iter().zip(&masks).any(|(v, m)| v.spikes && m[i]);
        let vars_of = |var: usize, i: usize| views.iter().zip(&masks).any(|(v, m)| v.vars.contains(&var) && m[i]);
        Ok(segment(&run.net, &run.recorder.pops[pop], pop, &neurons, &spikes_of, &vars_of, self.time()))
    }

    fn check_projection(&self, what: &str, projection: ProjectionId) -> Result<usize, Error> {
        if projection.index() >= self.spec.projections.len() {
            return Err(invalid(what, format!("projection #{} does not belong to this simulation", projection.index())));
        }
        Ok(projection.index())
    }

    /// Builds the network if needed, and decodes kernel-assembled projections' per-synapse
    /// lists from the CSR (read back once).
    fn ensure_lists(&mut self, what: &str) -> Result<&mut Running, Error> {
        self.ensure_built()?;
        let run = self.running.as_mut().ok_or_else(|| invalid(what, "network not built"))?;
        if run.net.lists_pending() {
            let syn = run.engine.read_syn_words()?;
            run.net.decode_projections(&syn);
        }
        Ok(run)
    }

    /// The stored weights of projection `pi` (connection order), read back from the device.
    fn current_weights(&mut self, what: &str, pi: usize) -> Result<Vec<f64>, Error> {
        let run = self.ensure_lists(what)?;
        let (static_w, plastic) = run.engine.read_synapses()?;
        Ok(stored_weights(&run.net.projections[pi], &static_w, &plastic))
    }

    /// The synapses of a projection with their current weights, read back from the device
    /// (PyNN's `get(["weight", "delay"], format="list")`): population indices, the weight as
    /// stored (fixed point: `round(w·scale)/scale`), the delay. Builds the network if needed.
    pub fn connections(&mut self, projection: ProjectionId) -> Result<Vec<SynapseRecord>, Error> {
        let pi = self.check_projection("connections", projection)?;
        let weights = self.current_weights("connections", pi)?;
        let run = self.running.as_ref().ok_or_else(|| invalid("connections", "network not built"))?;
        let bp = &run.net.projections[pi];
        Ok(weights.into_iter().enumerate().map(|(k, weight)| bp.record(k, weight)).collect())
    }

    /// `attribute` ("weight" or "delay") of a projection as a `pre view × post view` array
    /// with NaN for unconnected pairs (PyNN's `get(attribute, format="array",
    /// multiple_synapses=...)`); weights are read back from the device.
    pub fn connection_array(
        &mut self,
        projection: ProjectionId,
        attribute: &str,
        multiple: MultipleSynapses,
    ) -> Result<DenseMatrix, Error> {
        let pi = self.check_projection("connection_array", projection)?;
        let values = match attribute {
            "weight" => self.current_weights("connection_array", pi)?,
            "delay" => {
                let run = self.ensure_lists("connection_array")?;
                let bp = &run.net.projections[pi];
                bp.delay_steps.iter().map(|&d| f64::from(d) * bp.dt).collect()
            }
            other => return Err(invalid("connection_array", format!("unknown attribute '{other}' (expected \"weight\" or \"delay\")"))),
        };
        let run = self.running.as_ref().ok_or_else(|| invalid("connection_array", "network not built"))?;
        Ok(to_array(&run.net.projections[pi], &values, multiple))
    }

    /// Set a projection's weights (PyNN's `projection.set(weight=...)`), before the first run
    /// or between runs: a constant, one value per synapse, `(pre, post, weight)` triples or a
    /// dense array. Weights are stored in fixed point (read them back for the stored value);
    /// each must obey the receptor's sign rule and its learning rule's `[w_min, w_max]`, and the
    /// summed |weight| onto each target neuron must fit the fixed-point scale chosen at build —
    /// otherwise an error, never clipping. The values also hold after [`Simulation::reset`].
    pub fn set_weights(&mut self, projection: ProjectionId, values: impl Into<WeightValues>) -> Result<(), Error> {
        let pi = self.check_projection("set_weights", projection)?;
        let values = values.into();
        let run = self.ensure_lists("set_weights")?;
        let (mut static_w, mut plastic) = run.engine.read_synapses()?;
        apply_weights(&run.net, pi, &values, &mut static_w, &mut plastic)?;
        run.engine.write_synapses(&static_w, &plastic)?;
        self.weight_overrides.push((pi, values));
        Ok(())
    }

    /// Switch a projection's learning (STDP or rate rule) on or off, before or between runs;
    /// no pipeline is rebuilt. While off, weights stay as they are and traces keep following
    /// the spikes. Tsodyks–Markram synapses have no learning to switch.
    pub fn set_plasticity(&mut self, projection: ProjectionId, enabled: bool) -> Result<(), Error> {
        let pi = self.check_projection("set_plasticity", projection)?;
        let (proj, label) = &self.spec.projections[pi];
        if !proj.synapse.learns() {
            return Err(invalid(
                format!("projection '{label}'.set_plasticity"),
                format!("its {} has no learning rule (STDPMechanism and AntiHebbianSynapse have)", proj.synapse.name()),
            ));
        }
        self.learning[pi] = enabled;
        if let Some(run) = &mut self.running {
            if let Some(r) = run.net.projections[pi].rule {
                set_flag(&mut run.net.plastic.rules[r].flags, RULE_FLAG_ENABLED, enabled);
                run.engine.write_rules(&run.net.plastic.rules)?;
            }
        }
        Ok(())
    }

    /// Whether a projection's learning is on.
    pub fn plasticity_enabled(&self, projection: ProjectionId) -> Result<bool, Error> {
        let pi = self.check_projection("plasticity_enabled", projection)?;
        Ok(self.spec.projections[pi].0.synapse.learns() && self.learning[pi])
    }

    /// Neurons (without padding) and synapses, building the network if needed.
    pub fn size(&mut self) -> Result<(usize, usize), Error> {
        self.ensure_built()?;
        let run = self.running.as_ref().ok_or_else(|| invalid("size", "network not built"))?;
        Ok((run.net.n_neurons(), run.net.n_synapses()))
    }

    /// The built network (after the first run or `build_now`).
    pub fn network(&self) -> Option<&BuiltNetwork> {
        self.running.as_ref().map(|r| &r.net)
    }

    /// Steps recorded into one queue submission.
    pub fn steps_per_submission(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.layout.steps)
    }

    /// Steps one kernel dispatch advances (after the first run or `build_now`).
    pub fn steps_per_dispatch(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.engine.steps_per_dispatch())
    }
}
