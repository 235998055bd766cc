//! Network description (populations, projections, current sources, recording requests) and its
//! build into the flat host arrays both back ends run on.

pub mod assemble;
pub mod build;
pub mod connectors;
pub mod construct;
pub mod current_source;
pub mod ids;
pub mod plastic;
pub mod poisson_input;
pub mod projection;
pub mod synapses;
pub mod weights;

pub use build::{BuiltNetwork, BuiltPopulation, BuiltProjection, SynapseRecord};
pub use connectors::{Connection, Connector, ConnectorError};
pub use current_source::{CurrentSource, Stimulus};
pub use ids::{PopulationId, PopulationView, ProjectionId, Receptor, Selection, ViewError};
pub use poisson_input::PoissonInput;
pub use projection::{Projection, StaticSynapse};
pub use synapses::{AntiHebbianSynapse, Pairing, SpikePairRule, StdpMechanism, SynapseType, TsodyksMarkramSynapse, WeightDependence};
pub use weights::{DenseMatrix, MultipleSynapses, WeightError, WeightValues};

use crate::model::{CellType, ModelError, Param};
use std::collections::BTreeSet;
use thiserror::Error;

/// Errors found while describing or building a network. Each names the object, the field and
/// the rule it breaks.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum BuildError {
    /// A population's cell parameters.
    #[error("population '{population}': {source}")]
    Model {
        /// Population label.
        population: String,
        /// The parameter error.
        source: ModelError,
    },
    /// A connector's parameters or indices.
    #[error("projection '{projection}': {source}")]
    Connector {
        /// Projection label.
        projection: String,
        /// The connector error.
        source: ConnectorError,
    },
    /// Any other field: `what` is the path of the field (`projection 'e->i'.weight`).
    #[error("{what}: {rule}")]
    Invalid {
        /// The field.
        what: String,
        /// The rule it breaks, with the offending value.
        rule: String,
    },
    /// The network does not fit a format or device limit.
    #[error("{what} needs {needed}, the limit is {limit}{hint}")]
    TooLarge {
        /// What overflows.
        what: String,
        /// The size needed.
        needed: u64,
        /// The limit.
        limit: u64,
        /// What to do about it.
        hint: String,
    },
}

impl BuildError {
    pub(crate) fn invalid(what: impl Into<String>, rule: impl Into<String>) -> Self {
        BuildError::Invalid { what: what.into(), rule: rule.into() }
    }
}

/// A population to be created with [`crate::Simulation::create`] (PyNN's `Population`).
#[must_use = "a Population does nothing until passed to Simulation::create"]
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    pub(crate) size: usize,
    pub(crate) cell: CellType,
    pub(crate) label: Option<String>,
    pub(crate) initial: Vec<(String, Param)>,
}

impl Population {
    /// `Population(size, cellclass)`.
    pub fn new(size: usize, cell: impl Into<CellType>) -> Self {
        Self { size, cell: cell.into(), label: None, initial: Vec::new() }
    }

    /// `label=...`.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// `initial_values`: the initial value of a state variable (`v`, `gsyn_exc`, ...).
    pub fn initial(mut self, variable: impl Into<String>, value: impl Into<Param>) -> Self {
        self.initial.push((variable.into(), value.into()));
        self
    }
}

/// A population as stored in the network description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PopulationSpec {
    pub label: String,
    pub size: usize,
    pub cell: CellType,
    pub initial: Vec<(String, Param)>,
}

/// What to record of one population.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RecordRequest {
    /// Neurons whose spikes are recorded.
    pub spikes: BTreeSet<usize>,
    /// State indices recorded (sorted).
    pub vars: BTreeSet<usize>,
    /// Neurons whose state variables are recorded.
    pub var_neurons: BTreeSet<usize>,
    /// Sampling interval (ms) of the state variables.
    pub interval: Option<f64>,
}

/// The whole description, as built up by [`crate::Simulation`].
#[derive(Debug, Clone, Default)]
pub(crate) struct NetworkSpec {
    pub pops: Vec<PopulationSpec>,
    pub projections: Vec<(Projection, String)>,
    pub sources: Vec<(CurrentSource, PopulationView)>,
    pub poisson_inputs: Vec<(PoissonInput, PopulationView)>,
    pub recording: Vec<RecordRequest>,
}
