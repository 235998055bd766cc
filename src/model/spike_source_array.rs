//! `SpikeSourceArray`: neurons that spike at given times.
//!
//! A spike at time T (ms) is emitted by the step that ends at T (the end-of-step convention of
//! the references), i.e. step `round(T/dt) - 1`; times off the dt grid are rounded to the
//! nearest step end. Each neuron keeps a cursor into its sorted list (the u32 counter).

use super::{ModelError, ModelSpec};
use serde::{Deserialize, Serialize};

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "SpikeSourceArray",
    params: &[],
    state: &[],
    kernel_params: 0,
    kernel: "spike_source_array",
    receives_input: false,
    conductance_based: false,
    integrator: "table lookup",
    reads_table: true,
};

/// Spike times (ms): one list for every neuron, or one list per neuron.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SpikeTimes {
    /// The same times for every neuron.
    Same(Vec<f64>),
    /// One list per neuron.
    PerNeuron(Vec<Vec<f64>>),
}

/// `SpikeSourceArray` parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSourceArray {
    /// Spike times, ms.
    pub spike_times: SpikeTimes,
}

impl SpikeSourceArray {
    /// Every neuron spikes at `times` (ms).
    #[must_use]
    pub fn new(times: Vec<f64>) -> Self {
        Self { spike_times: SpikeTimes::Same(times) }
    }

    /// Neuron i spikes at `times[i]` (ms).
    #[must_use]
    pub fn per_neuron(times: Vec<Vec<f64>>) -> Self {
        Self { spike_times: SpikeTimes::PerNeuron(times) }
    }

    /// The table the kernel reads: `[offsets (n+1) | emission steps]`, offsets absolute.
    pub fn compile(&self, n: usize, dt: f64) -> Result<Vec<u32>, ModelError> {
        let lists: Vec<&[f64]> = match &self.spike_times {
            SpikeTimes::Same(t) => vec![t.as_slice(); n],
            SpikeTimes::PerNeuron(l) if l.len() == n => l.iter().map(Vec::as_slice).collect(),
            SpikeTimes::PerNeuron(l) => {
                return Err(ModelError::WrongLength { cell_type: SPEC.cell_type, field: "spike_times".into(), got: l.len(), expected: n })
            }
        };
        let bad = |neuron: usize, rule: String, value: f64| ModelError::Invalid {
            cell_type: SPEC.cell_type,
            field: "spike_times".into(),
            rule,
            neuron,
            value,
        };
        let mut table = vec![0u32; n + 1];
        for (i, times) in lists.iter().enumerate() {
            table[i] = table.len() as u32;
            let mut steps = Vec::with_capacity(times.len());
            for &t in *times {
                let end = (t / dt).round();
                if !t.is_finite() || end < 1.0 {
                    return Err(bad(i, format!("each time must be finite and ≥ dt = {dt} ms"), t));
                }
                if end >= f64::from(u32::MAX) {
                    return Err(bad(i, "each time must be < 2^32 steps".into(), t));
                }
                steps.push(end as u32 - 1);
            }
            steps.sort_unstable();
            if let Some(w) = steps.windows(2).find(|w| w[0] == w[1]) {
                return Err(bad(i, "two spikes fall in the same time step; at most one spike per step".into(), f64::from(w[0] + 1) * dt));
            }
            table.extend(steps);
        }
        table[n] = table.len() as u32;
        Ok(table)
    }
}
