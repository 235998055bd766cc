//! `SpikeSourcePoisson`: independent Poisson spike trains.
//!
//! In each step of `[start, start + duration)` a neuron spikes with probability `rate · dt`
//! (Bernoulli approximation of a Poisson process, exact in the limit dt → 0; at 10 Hz and
//! dt = 0.1 ms the probability of a second spike in one step is 5e-7). The random number for
//! (step, neuron) is Philox4x32-10 at counter (step, global neuron index, POISSON, 0), so GPU and
//! CPU draw the same spikes in any thread order.

use super::{time_to_step, ModelError, ModelSpec, Param, ParamSpec, ParamTable};
use serde::{Deserialize, Serialize};

/// Kernel parameter indices (`[K][n]`); mirrored in `shaders/spike_source_poisson.wgsl`.
pub mod k {
    /// Spike probability per step, rate · dt.
    pub const PROB: usize = 0;
    /// First active step (u32 bits stored in the f32 slot).
    pub const START: usize = 1;
    /// First inactive step (u32 bits).
    pub const STOP: usize = 2;
    /// Number of kernel parameters.
    pub const COUNT: usize = 3;
}

/// PyNN parameters, names, defaults and units.
pub const PARAMS: [ParamSpec; 3] = [
    ParamSpec { name: "rate", default: 1.0, unit: "Hz" },
    ParamSpec { name: "start", default: 0.0, unit: "ms" },
    ParamSpec { name: "duration", default: 1e10, unit: "ms" },
];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "SpikeSourcePoisson",
    params: &PARAMS,
    state: &[],
    kernel_params: k::COUNT,
    kernel: "spike_source_poisson",
    receives_input: false,
    conductance_based: false,
    integrator: "Bernoulli trial per step from the Philox counter RNG",
    reads_table: false,
};

/// `SpikeSourcePoisson` parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpikeSourcePoisson {
    /// Mean rate, Hz (1).
    pub rate: Param,
    /// Start time, ms (0).
    pub start: Param,
    /// Duration, ms (1e10).
    pub duration: Param,
}

impl Default for SpikeSourcePoisson {
    fn default() -> Self {
        Self { rate: Param::Const(1.0), start: Param::Const(0.0), duration: Param::Const(1e10) }
    }
}

impl SpikeSourcePoisson {
    /// Parameters in [`PARAMS`] order.
    pub fn params(&self) -> Vec<Param> {
        vec![self.rate.clone(), self.start.clone(), self.duration.clone()]
    }
}

/// Rates and times must be non-negative; the rate must fit a step (rate · dt ≤ 1).
pub fn validate(t: &ParamTable) -> Result<(), ModelError> {
    t.check("rate", "must be finite and ≥ 0", |v| v.is_finite() && v >= 0.0)?;
    t.check("start", "must be finite and ≥ 0", |v| v.is_finite() && v >= 0.0)?;
    t.check("duration", "must be ≥ 0 and not NaN", |v| v >= 0.0)?;
    Ok(())
}

/// Rule that needs dt: at most one spike per step.
pub fn validate_dt(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    t.check("rate", &format!("must be ≤ 1/dt = {} Hz (one spike per step)", 1000.0 / dt), |v| v * dt / 1000.0 <= 1.0)
}

/// Kernel parameters `[K][n]`.
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let (rate, start, duration) = (t.get("rate"), t.get("start"), t.get("duration"));
    for i in 0..n {
        out[k::PROB * n + i] = (rate[i] * dt / 1000.0) as f32;
        out[k::START * n + i] = f32::from_bits(time_to_step(start[i], dt));
        out[k::STOP * n + i] = f32::from_bits(time_to_step(start[i] + duration[i], dt));
    }
    out
}
