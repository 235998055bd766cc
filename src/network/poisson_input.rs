//! Poisson input: independent Poisson event trains delivered straight to a synaptic channel of
//! every target neuron (NEST's `poisson_generator` connected one-to-one, Brian2's
//! `PoissonInput`). Unlike a population of `SpikeSourcePoisson` cells with OneToOne synapses,
//! no source spikes and nothing is propagated: each neuron's count of events for the step is
//! drawn and count × weight added to the input it takes at that step — on the GPU by the
//! neuron's own integrate thread (`shaders/shared/poisson_input.wgsl`, no dispatch of its own),
//! on the CPU by the `poisson_input` pass before the integrate kernels (the same integers).

use super::ids::Receptor;
use serde::{Deserialize, Serialize};

/// Poisson events of rate `rate` (Hz) and weight `weight` (nA for current-based, µS for
/// conductance-based cells) onto each target neuron, from `start` to `stop` (ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoissonInput {
    /// Events per second per neuron, Hz.
    pub rate: f64,
    /// Weight of one event (PyNN's sign rules for the receptor).
    pub weight: f64,
    /// Which synaptic channel.
    pub receptor: Receptor,
    /// First time, ms.
    pub start: f64,
    /// End time, ms (exclusive; infinite by default).
    pub stop: f64,
}

impl PoissonInput {
    /// `rate` Hz of events of `weight` onto the excitatory channel, for the whole run.
    pub fn new(rate: f64, weight: f64) -> Self {
        Self { rate, weight, receptor: Receptor::Excitatory, start: 0.0, stop: f64::INFINITY }
    }

    /// Onto the given receptor.
    pub fn receptor(mut self, receptor: Receptor) -> Self {
        self.receptor = receptor;
        self
    }

    /// Only in `[start, stop)` ms.
    pub fn between(mut self, start: f64, stop: f64) -> Self {
        self.start = start;
        self.stop = stop;
        self
    }
}

/// Expected events per neuron and step above which inputs are refused (exp(−λ) must stay a
/// normal f32 and the count's inversion short).
pub const MAX_EVENTS_PER_STEP: f64 = 30.0;

/// The largest count drawn for `lambda` events per step: P(k > k_max) < 1e-20.
pub fn k_max(lambda: f64) -> u32 {
    (lambda + 12.0 * lambda.sqrt() + 12.0).ceil() as u32
}
