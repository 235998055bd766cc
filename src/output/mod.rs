//! Results on disk: one HDF5 file per run, written chunk by chunk while the run goes on
//! ([`ResultWriter`]) and read back into memory ([`ResultFile`]). The layout is documented in
//! docs/output-format.md; [`stats_table`] formats per-population statistics for the CLI.

mod hdf5;

pub use self::hdf5::ResultWriter;

use crate::record::{AnalogSignal, Segment, SpikeTrain};
use crate::stats::{population_stats, PopulationStats, StatsError};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use thiserror::Error;

/// What describes a run: stored as attributes of the file's root group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunMetadata {
    /// Name of the model (the zoo name or the model file's stem).
    pub model_name: String,
    /// The model file's text, verbatim.
    pub model_text: String,
    /// Seed of the simulation.
    pub seed: u64,
    /// Back end (`cpu` or `gpu`).
    pub backend: String,
    /// The device: the GPU adapter's name, or `cpu`.
    pub adapter: String,
    /// Time step, ms.
    pub dt_ms: f64,
    /// Planned duration of the run, ms (a killed run's file holds less: see
    /// [`ResultFile::recorded_until_ms`]).
    pub duration_ms: f64,
}

/// Something went wrong writing or reading a result file.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum OutputError {
    /// The HDF5 library failed on the file.
    #[error("result file {path}: {message}")]
    Hdf5 {
        /// The file.
        path: String,
        /// The library's message, with what was being done.
        message: String,
    },
    /// A result file that does not have spikeflow's layout (or is damaged).
    #[error("result file {path}: {what}: {rule}")]
    Format {
        /// The file.
        path: String,
        /// The object (group, dataset, attribute).
        what: String,
        /// What is wrong with it.
        rule: String,
    },
    /// A call with a bad argument: `what` names it, `rule` says what is wrong.
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument.
        what: String,
        /// The rule it breaks.
        rule: String,
    },
    /// The simulation refused a request.
    #[error(transparent)]
    Simulation(#[from] crate::Error),
    /// Statistics could not be computed.
    #[error(transparent)]
    Stats(#[from] StatsError),
}

/// A recorded state variable of some neurons of a population, as stored in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Signal {
    /// Variable name (`v`, `gsyn_exc`, ...).
    pub variable: String,
    /// Unit (`mV`, `uS`, `nA`).
    pub unit: String,
    /// Time between samples, ms.
    pub sampling_interval_ms: f64,
    /// Time of the first sample, ms.
    pub t_start_ms: f64,
    /// The recorded neurons (indices in the population), one per column of `data`.
    pub neurons: Vec<u32>,
    /// Samples, row-major `[sample][neuron]`.
    pub data: Vec<f32>,
}

impl Signal {
    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.data.len().checked_div(self.neurons.len()).unwrap_or(0)
    }

    /// The trace of column `k` (the neuron `neurons[k]`).
    pub fn column(&self, k: usize) -> Vec<f32> {
        self.data.iter().skip(k).step_by(self.neurons.len().max(1)).copied().collect()
    }
}

/// One population's results, as stored in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationResult {
    /// Population label.
    pub label: String,
    /// Number of neurons.
    pub size: usize,
    /// PyNN cell type (`IF_cond_exp`, ...).
    pub cell_type: String,
    /// Index of the population's first neuron when all populations of the run are numbered
    /// one after the other in creation order.
    pub first_index: usize,
    /// Neurons whose spikes were recorded (indices in the population); empty when spikes were
    /// not recorded.
    pub spikes_recorded: Vec<u32>,
    /// Neuron of each spike (index in the population), ordered by time then neuron.
    pub spike_neurons: Vec<u32>,
    /// Time of each spike, ms.
    pub spike_times_ms: Vec<f64>,
    /// Recorded state variables.
    pub signals: Vec<Signal>,
}

impl PopulationResult {
    /// The results as an in-memory [`Segment`] over `[0, t_stop_ms]`: one spike train per
    /// recorded neuron (in `spikes_recorded` order), one analog signal per variable.
    pub fn segment(&self, t_stop_ms: f64) -> Segment {
        let mut trains: Vec<SpikeTrain> =
            self.spikes_recorded.iter().map(|&i| SpikeTrain { source_index: i as usize, times: Vec::new() }).collect();
        let mut slot = std::collections::HashMap::new();
        for (k, &i) in self.spikes_recorded.iter().enumerate() {
            slot.insert(i, k);
        }
        for (&n, &t) in self.spike_neurons.iter().zip(&self.spike_times_ms) {
            if let Some(&k) = slot.get(&n) {
                trains[k].times.push(t);
            }
        }
        let analogsignals = self
            .signals
            .iter()
            .map(|s| AnalogSignal {
                name: s.variable.clone(),
                units: s.unit.clone(),
                sampling_period: s.sampling_interval_ms,
                t_start: s.t_start_ms,
                channel_index: s.neurons.iter().map(|&n| n as usize).collect(),
                data: (0..s.neurons.len()).map(|k| s.column(k)).collect(),
            })
            .collect();
        Segment { population: self.label.clone(), t_start: 0.0, t_stop: t_stop_ms, spiketrains: trains, analogsignals }
    }

    /// Spike statistics over `(0, t_stop_ms]`, or `None` when spikes were not recorded.
    pub fn stats(&self, t_stop_ms: f64) -> Result<Option<PopulationStats>, StatsError> {
        if self.spikes_recorded.is_empty() {
            return Ok(None);
        }
        // Statistics count the recorded neurons only: renumber them 0..n.
        let mut slot = std::collections::HashMap::new();
        for (k, &i) in self.spikes_recorded.iter().enumerate() {
            slot.insert(i, k as u32);
        }
        let neurons: Vec<u32> = self.spike_neurons.iter().map(|n| slot.get(n).copied().unwrap_or(u32::MAX)).collect();
        population_stats(self.spikes_recorded.len(), &neurons, &self.spike_times_ms, 0.0, t_stop_ms).map(Some)
    }
}

/// A result file read back into memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultFile {
    /// The run's metadata.
    pub meta: RunMetadata,
    /// spikeflow's version that wrote the file.
    pub spikeflow_version: String,
    /// When the file was created (ISO 8601, UTC).
    pub created: String,
    /// Simulated time covered by the data in the file, ms: `duration_ms` for a complete run,
    /// less for one that was stopped.
    pub recorded_until_ms: f64,
    /// The populations, in the order they were written.
    pub populations: Vec<PopulationResult>,
}

impl ResultFile {
    /// The population labelled `label`.
    pub fn population(&self, label: &str) -> Option<&PopulationResult> {
        self.populations.iter().find(|p| p.label == label)
    }

    /// Spike statistics of each population that recorded spikes, over `(0, recorded_until_ms]`.
    pub fn stats(&self) -> Result<Vec<(String, PopulationStats)>, StatsError> {
        let mut out = Vec::new();
        for p in &self.populations {
            if let Some(s) = p.stats(self.recorded_until_ms)? {
                out.push((p.label.clone(), s));
            }
        }
        Ok(out)
    }
}

fn opt(v: Option<f64>, precision: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.precision$}"))
}

/// A plain-text table of per-population statistics over the recorded time (what `spikeflow
/// stats` and the end of `spikeflow run` print). Populations without recorded spikes show
/// "spikes not recorded"; statistics that are undefined show "-".
pub fn stats_table(file: &ResultFile) -> String {
    let t = file.recorded_until_ms;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({:.1} ms of {:.1} ms, dt {} ms, seed {})",
        file.meta.model_name, t, file.meta.duration_ms, file.meta.dt_ms, file.meta.seed
    );
    let width = file.populations.iter().map(|p| p.label.chars().count()).max().unwrap_or(0).max(10);
    let _ = writeln!(
        s,
        "{:<width$}  {:<18} {:>8} {:>9} {:>9} {:>7} {:>7} {:>7} {:>9}",
        "population", "cell type", "neurons", "spikes", "rate Hz", "CV ISI", "Fano", "active", "peak Hz"
    );
    for p in &file.populations {
        let stats = if t > 0.0 { p.stats(t) } else { Ok(None) };
        match stats {
            Ok(Some(st)) => {
                let _ = writeln!(
                    s,
                    "{:<width$}  {:<18} {:>8} {:>9} {:>9.2} {:>7} {:>7} {:>6.1}% {:>9}",
                    p.label,
                    p.cell_type,
                    st.n_neurons,
                    st.n_spikes,
                    st.mean_rate_hz,
                    opt(st.cv_isi, 3),
                    opt(st.fano_factor, 2),
                    100.0 * st.fraction_active,
                    opt(st.rate_peak_hz, 1)
                );
            }
            Ok(None) => {
                let why = if p.spikes_recorded.is_empty() { "spikes not recorded" } else { "no simulated time" };
                let _ = writeln!(s, "{:<width$}  {:<18} {:>8} {why}", p.label, p.cell_type, p.size);
            }
            Err(e) => {
                let _ = writeln!(s, "{:<width$}  {:<18} {:>8} {e}", p.label, p.cell_type, p.size);
            }
        }
    }
    s
}
