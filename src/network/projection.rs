//! Projections (PyNN's `Projection`) and their synapse type.

use super::connectors::Connector;
use super::ids::{PopulationView, Receptor};
use super::synapses::SynapseType;
use crate::model::Param;
use serde::{Deserialize, Serialize};

/// PyNN's `StaticSynapse`: fixed weight (nA onto current-based, µS onto conductance-based
/// cells) and delay (ms, ≥ dt; the default is dt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticSynapse {
    /// Weight: constant, random or one value per connection.
    #[serde(default = "zero")]
    pub weight: Param,
    /// Delay in ms; `None` is the simulation's dt (PyNN's min_delay).
    #[serde(default)]
    pub delay: Option<Param>,
}

fn zero() -> Param {
    Param::Const(0.0)
}

impl Default for StaticSynapse {
    fn default() -> Self {
        Self { weight: zero(), delay: None }
    }
}

impl StaticSynapse {
    /// `StaticSynapse(weight=w, delay=d)`.
    #[must_use]
    pub fn new(weight: impl Into<Param>, delay: impl Into<Param>) -> Self {
        Self { weight: weight.into(), delay: Some(delay.into()) }
    }

    /// `StaticSynapse(weight=w)` with the minimum delay dt.
    #[must_use]
    pub fn with_weight(weight: impl Into<Param>) -> Self {
        Self { weight: weight.into(), delay: None }
    }
}

/// A projection to be added with [`crate::Simulation::connect`].
#[must_use = "a Projection does nothing until passed to Simulation::connect"]
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub(crate) pre: PopulationView,
    pub(crate) post: PopulationView,
    pub(crate) connector: Connector,
    pub(crate) synapse: SynapseType,
    pub(crate) receptor: Receptor,
    pub(crate) label: Option<String>,
}

impl Projection {
    /// `Projection(pre, post, connector, synapse_type)`, excitatory by default. The synapse type
    /// is a [`StaticSynapse`] or one of the plastic types of [`super::synapses`].
    pub fn new(
        pre: impl Into<PopulationView>,
        post: impl Into<PopulationView>,
        connector: Connector,
        synapse: impl Into<SynapseType>,
    ) -> Self {
        Self { pre: pre.into(), post: post.into(), connector, synapse: synapse.into(), receptor: Receptor::Excitatory, label: None }
    }

    /// `receptor_type`.
    pub fn receptor(mut self, receptor: Receptor) -> Self {
        self.receptor = receptor;
        self
    }

    /// A label for messages and results.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}
