//! [`Session`]: a [`Simulation`] seen as a BrainScaleS-2 chip — hardware time, placement of
//! HXNeuron populations on circuits, results in hardware and biological time, v in mV and CADC
//! LSB, and an optional strict mode with the chip's limits.
//!
//! Time: every time the user gives or gets is **hardware ms** (`run(0.1)` = 0.1 ms hardware =
//! 100 ms biological); the wrapped simulation runs in biological ms (×[`SPEEDUP`]). Spike
//! sources are converted when created (SpikeSourceArray times ×1000; SpikeSourcePoisson rates
//! ÷1000, start and duration ×1000), synaptic delays when connected (×1000).

use super::chip::{cadc, Chip, N_CIRCUITS, SPEEDUP, WEIGHT_MAX};
use crate::engine::GpuContext;
use crate::model::spike_source_array::SpikeTimes;
use crate::model::{CellType, Param};
use crate::network::{PopulationId, PopulationView, ProjectionId, SynapseType};
use crate::record::Segment;
use crate::{Backend, Population, Projection, Simulation, SimulationBuilder};
use serde::Serialize;
use thiserror::Error;

/// Errors of a session.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SessionError {
    /// The simulation refused (its message names the field and rule).
    #[error(transparent)]
    Sim(#[from] crate::Error),
    /// A limit of the chip, enforced in strict mode.
    #[error("strict mode: {what}: {rule}")]
    Strict {
        /// What broke the limit.
        what: String,
        /// The chip's rule.
        rule: String,
    },
    /// Something a BSS-2 session cannot hold.
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument.
        what: String,
        /// The rule.
        rule: String,
    },
}

fn invalid(what: impl Into<String>, rule: impl Into<String>) -> SessionError {
    SessionError::Invalid { what: what.into(), rule: rule.into() }
}

fn strict(what: impl Into<String>, rule: impl Into<String>) -> SessionError {
    SessionError::Strict { what: what.into(), rule: rule.into() }
}

/// Builds a [`Session`].
#[must_use = "call build() to get a Session"]
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    sim: SimulationBuilder,
    chip_seed: Option<u64>,
    strict: bool,
    dt_hw: f64,
}

impl SessionBuilder {
    /// The emulated chip (seed of [`Chip::new`]); without it, the ideal chip.
    pub fn chip(mut self, seed: u64) -> Self {
        self.chip_seed = Some(seed);
        self
    }

    /// Enforce the chip's limits (512 circuits, one recorded membrane per even/odd circuit,
    /// whole 6-bit weights 0–63, static synapses only). Off by default.
    pub fn strict(mut self, on: bool) -> Self {
        self.strict = on;
        self
    }

    /// Back end.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.sim = self.sim.backend(backend);
        self
    }

    /// A GPU device to share.
    pub fn gpu_context(mut self, ctx: GpuContext) -> Self {
        self.sim = self.sim.gpu_context(ctx);
        self
    }

    /// Seed of the simulation's random streams (the chip has its own).
    pub fn seed(mut self, seed: u64) -> Self {
        self.sim = self.sim.seed(seed);
        self
    }

    /// Integration step in hardware ms (default 1e-5 ms = 10 ns hardware = 0.01 ms biological).
    pub fn dt_hw(mut self, dt_hw: f64) -> Self {
        self.dt_hw = dt_hw;
        self
    }

    /// The session.
    pub fn build(self) -> Result<Session, SessionError> {
        let sim = self.sim.dt(self.dt_hw * SPEEDUP).build()?;
        Ok(Session { sim, chip_seed: self.chip_seed, strict: self.strict, next_circuit: 0, circuits: Vec::new(), recorded_v: Vec::new() })
    }
}

/// A BrainScaleS-2 experiment on the emulated chip (see the module docs).
pub struct Session {
    sim: Simulation,
    chip_seed: Option<u64>,
    strict: bool,
    next_circuit: usize,
    /// First circuit of each population (None for spike sources), by population index.
    circuits: Vec<Option<usize>>,
    /// Circuits whose membrane is recorded.
    recorded_v: Vec<usize>,
}

/// A spike train in both time bases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HxSpikeTrain {
    /// Neuron index in its population.
    pub source_index: usize,
    /// Spike times, hardware ms.
    pub times_hw: Vec<f64>,
    /// Spike times, biological ms.
    pub times_bio: Vec<f64>,
}

/// A recorded membrane (or other state) trace in both time bases; v also as CADC LSB.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HxTrace {
    /// Variable (`v`, `adaptation`, `exc_synin`, `inh_synin`).
    pub name: String,
    /// Neuron index in its population.
    pub source_index: usize,
    /// Sample times, hardware ms.
    pub times_hw: Vec<f64>,
    /// The values in the kernel's unit (mV for v).
    pub values: Vec<f32>,
    /// v as the 8-bit CADC reads it ([`cadc::read`]); empty for other variables.
    pub lsb: Vec<u8>,
}

/// What a population recorded, in hardware and biological time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HxSegment {
    /// The simulation's segment (biological ms).
    pub bio: Segment,
    /// Spike trains.
    pub spiketrains: Vec<HxSpikeTrain>,
    /// Traces, one per recorded variable and neuron.
    pub traces: Vec<HxTrace>,
}

fn scale_param(p: &Param, f: f64, what: &str) -> Result<Param, SessionError> {
    match p {
        Param::Const(v) => Ok(Param::Const(v * f)),
        Param::Array(a) => Ok(Param::Array(a.iter().map(|v| v * f).collect())),
        Param::Random(_) => {
            Err(invalid(what, "give hardware times and rates as constants or arrays (a random distribution cannot be rescaled)"))
        }
    }
}

impl Session {
    /// A builder (ideal chip, not strict, CPU back end unless set).
    pub fn builder() -> SessionBuilder {
        SessionBuilder { sim: Simulation::builder(), chip_seed: None, strict: false, dt_hw: 1e-5 }
    }

    /// The emulated chip.
    #[must_use]
    pub fn chip(&self) -> Chip {
        Chip::from_seed(self.chip_seed)
    }

    /// The wrapped simulation (biological time).
    #[must_use]
    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// The wrapped simulation, mutable (biological time; no strict checks).
    pub fn simulation_mut(&mut self) -> &mut Simulation {
        &mut self.sim
    }

    /// Hardware time so far, ms.
    #[must_use]
    pub fn time_hw(&self) -> f64 {
        self.sim.time() / SPEEDUP
    }

    /// Create a population: HXNeurons are placed on the next free circuits; spike sources get
    /// their hardware times converted.
    pub fn create(&mut self, population: Population) -> Result<PopulationId, SessionError> {
        let mut population = population;
        let label = population.label.clone().unwrap_or_else(|| "population".into());
        let mut first = None;
        match &mut population.cell {
            CellType::HxNeuron(cell) => {
                let start = self.next_circuit;
                if self.strict && start + population.size > N_CIRCUITS {
                    return Err(strict(
                        format!("population '{label}'.size"),
                        format!("the chip has {N_CIRCUITS} neuron circuits; {start} are taken and {} more do not fit", population.size),
                    ));
                }
                let here = (start % N_CIRCUITS) as u32;
                if cell.placement.chip_seed.is_some()
                    && (cell.placement.chip_seed != self.chip_seed || cell.placement.first_circuit != here)
                {
                    return Err(invalid(
                        format!("population '{label}'.placement"),
                        format!(
                            "the cell was calibrated for chip {:?} from circuit {}, but this session emulates chip {:?} and places it from circuit {here}",
                            cell.placement.chip_seed, cell.placement.first_circuit, self.chip_seed
                        ),
                    ));
                }
                cell.placement.chip_seed = self.chip_seed;
                cell.placement.first_circuit = here;
                first = Some(start);
                self.next_circuit += population.size;
            }
            CellType::SpikeSourceArray(a) => {
                a.spike_times = match &a.spike_times {
                    SpikeTimes::Same(t) => SpikeTimes::Same(t.iter().map(|x| x * SPEEDUP).collect()),
                    SpikeTimes::PerNeuron(l) => SpikeTimes::PerNeuron(l.iter().map(|t| t.iter().map(|x| x * SPEEDUP).collect()).collect()),
                };
            }
            CellType::SpikeSourcePoisson(p) => {
                let what = format!("population '{label}'");
                p.rate = scale_param(&p.rate, 1.0 / SPEEDUP, &format!("{what}.rate"))?;
                p.start = scale_param(&p.start, SPEEDUP, &format!("{what}.start"))?;
                p.duration = scale_param(&p.duration, SPEEDUP, &format!("{what}.duration"))?;
            }
            other => {
                return Err(invalid(
                    format!("population '{label}'.cell_type"),
                    format!("a BrainScaleS-2 session holds HXNeuron populations and spike sources, not {}", other.spec().cell_type),
                ))
            }
        }
        let id = self.sim.create(population)?;
        self.circuits.resize(id.index() + 1, None);
        self.circuits[id.index()] = first;
        Ok(id)
    }

    /// Add a projection: weights are hardware weights (whole 0–63 in strict mode), delays
    /// hardware ms.
    pub fn connect(&mut self, projection: Projection) -> Result<ProjectionId, SessionError> {
        let mut projection = projection;
        let what = projection.label.clone().unwrap_or_else(|| "projection".into());
        match &mut projection.synapse {
            SynapseType::Static(s) => {
                if self.strict {
                    let ok = |w: f64| w.fract() == 0.0 && (0.0..=f64::from(WEIGHT_MAX)).contains(&w);
                    let bad = match &s.weight {
                        Param::Const(w) => (!ok(*w)).then_some(*w),
                        Param::Array(a) => a.iter().copied().find(|&w| !ok(w)),
                        Param::Random(_) => Some(f64::NAN),
                    };
                    if let Some(w) = bad {
                        return Err(strict(
                            format!("projection '{what}'.weight"),
                            format!("weights are 6-bit: whole numbers 0–{WEIGHT_MAX}, the sign comes from the receptor type (got {w})"),
                        ));
                    }
                }
                if let Some(d) = &s.delay {
                    s.delay = Some(scale_param(d, SPEEDUP, &format!("projection '{what}'.delay"))?);
                }
            }
            other if self.strict => {
                return Err(strict(
                    format!("projection '{what}'.synapse_type"),
                    format!("the emulated chip has static synapses only (got {})", other.name()),
                ))
            }
            _ => {}
        }
        Ok(self.sim.connect(projection)?)
    }

    /// Record `variables` of `target`; in strict mode at most one membrane ("v", or any state
    /// variable) per even and per odd circuit (the MADC's two channels).
    pub fn record(&mut self, target: impl Into<PopulationView>, variables: &[&str]) -> Result<(), SessionError> {
        let target: PopulationView = target.into();
        let analog = variables.iter().any(|v| *v != "spikes");
        if self.strict && analog {
            let first = self.circuits.get(target.pop.index()).copied().flatten();
            let idx = target.indices().map_err(|e| invalid("record", e.to_string()))?;
            if let Some(first) = first {
                let mut all = self.recorded_v.clone();
                all.extend(idx.iter().map(|&i| (first + i) % N_CIRCUITS));
                all.sort_unstable();
                all.dedup();
                let even = all.iter().filter(|c| *c % 2 == 0).count();
                let odd = all.len() - even;
                if even > 1 || odd > 1 {
                    return Err(strict(
                        "record",
                        format!(
                            "the chip records one membrane per even and one per odd circuit at a time; this asks for circuits {all:?} ({even} even, {odd} odd): record a one-neuron view"
                        ),
                    ));
                }
                self.recorded_v = all;
            }
        }
        self.sim.record(target, variables)?;
        Ok(())
    }

    /// Run for `duration_hw` hardware ms (`run(0.1)` = 100 ms biological).
    pub fn run(&mut self, duration_hw: f64) -> Result<crate::RunReport, SessionError> {
        Ok(self.sim.run(duration_hw * SPEEDUP)?)
    }

    /// What `target` recorded, in hardware and biological time.
    pub fn get_data(&self, target: impl Into<PopulationView>) -> Result<HxSegment, SessionError> {
        let bio = self.sim.get_data(target)?;
        let spiketrains = bio
            .spiketrains
            .iter()
            .map(|s| HxSpikeTrain {
                source_index: s.source_index,
                times_hw: s.times.iter().map(|t| t / SPEEDUP).collect(),
                times_bio: s.times.clone(),
            })
            .collect();
        let mut traces = Vec::new();
        for sig in &bio.analogsignals {
            let times_hw: Vec<f64> = sig.times().iter().map(|t| t / SPEEDUP).collect();
            for (k, &ch) in sig.channel_index.iter().enumerate() {
                let values = sig.data[k].clone();
                let lsb = if sig.name == "v" { values.iter().map(|&v| cadc::read(f64::from(v))).collect() } else { Vec::new() };
                traces.push(HxTrace { name: sig.name.clone(), source_index: ch, times_hw: times_hw.clone(), values, lsb });
            }
        }
        Ok(HxSegment { bio, spiketrains, traces })
    }
}
