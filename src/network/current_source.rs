//! Current sources (PyNN's DCSource, StepCurrentSource, NoisyCurrentSource) and pyN's stimulus
//! dictionaries. Currents are in nA and add to `i_offset`; a current switched on at time t acts
//! from the step that starts at t (step `round(t/dt)`).

use serde::{Deserialize, Serialize};

fn never() -> f64 {
    f64::INFINITY
}

/// A current source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum CurrentSource {
    /// Constant `amplitude` (nA) in [start, stop) ms.
    DCSource {
        /// nA.
        amplitude: f64,
        /// ms (0).
        #[serde(default)]
        start: f64,
        /// ms (never).
        #[serde(default = "never")]
        stop: f64,
    },
    /// `amplitudes[k]` (nA) from `times[k]` (ms) until the next time; 0 before the first.
    StepCurrentSource {
        /// ms, strictly increasing.
        times: Vec<f64>,
        /// nA, one per time.
        amplitudes: Vec<f64>,
    },
    /// Gaussian white-ish noise: a new value mean + stdev·N(0, 1) every `dt` ms in
    /// [start, stop), independent for each target neuron.
    NoisyCurrentSource {
        /// nA.
        mean: f64,
        /// nA.
        stdev: f64,
        /// ms (0).
        #[serde(default)]
        start: f64,
        /// ms (never).
        #[serde(default = "never")]
        stop: f64,
        /// Interval between new values, ms (the simulation dt when absent).
        #[serde(default)]
        dt: Option<f64>,
    },
}

impl CurrentSource {
    /// `DCSource(amplitude=a, start=0, stop=never)`.
    #[must_use]
    pub fn dc(amplitude: f64) -> Self {
        CurrentSource::DCSource { amplitude, start: 0.0, stop: f64::INFINITY }
    }

    /// `DCSource(amplitude, start, stop)`.
    #[must_use]
    pub fn dc_between(amplitude: f64, start: f64, stop: f64) -> Self {
        CurrentSource::DCSource { amplitude, start, stop }
    }

    /// `StepCurrentSource(times, amplitudes)`.
    #[must_use]
    pub fn step(times: Vec<f64>, amplitudes: Vec<f64>) -> Self {
        CurrentSource::StepCurrentSource { times, amplitudes }
    }

    /// `NoisyCurrentSource(mean, stdev, start, stop, dt)`.
    #[must_use]
    pub fn noisy(mean: f64, stdev: f64, start: f64, stop: f64, dt: Option<f64>) -> Self {
        CurrentSource::NoisyCurrentSource { mean, stdev, start, stop, dt }
    }

    /// PyNN's class name.
    pub fn name(&self) -> &'static str {
        match self {
            CurrentSource::DCSource { .. } => "DCSource",
            CurrentSource::StepCurrentSource { .. } => "StepCurrentSource",
            CurrentSource::NoisyCurrentSource { .. } => "NoisyCurrentSource",
        }
    }
}

/// pyN's stimulus dictionary `{start, stop, amplitude, neurons}`: a DC step into the listed
/// neurons. The amplitude is in the model's current unit (nA for the LIF cells).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stimulus {
    /// ms.
    pub start: f64,
    /// ms.
    pub stop: f64,
    /// nA.
    pub amplitude: f64,
    /// Neuron indices in the population.
    pub neurons: Vec<usize>,
}

/// Kinds in the stimulus table (`shaders/shared/stimulus.wgsl`).
pub mod kind {
    /// Constant in [start, stop).
    pub const DC: u32 = 0;
    /// Piecewise constant table.
    pub const STEP: u32 = 1;
    /// Piecewise constant Gaussian noise.
    pub const NOISY: u32 = 2;
}
