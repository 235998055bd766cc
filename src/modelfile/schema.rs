//! The serde layout of a model file (docs/model-format.md). Numbers that may be written as
//! expressions or with units are kept as JSON values here and resolved by
//! `ModelFile::build`, which knows each field's unit.

use crate::network::Receptor;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSchema {
    /// One paragraph saying what the model is (shown by `spikeflow zoo`).
    #[serde(default)]
    pub description: Option<String>,
    /// Named numbers that other fields use in expressions (`--set name=value`).
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Time step, duration, seed, back end.
    #[serde(default)]
    pub simulation: SimulationSection,
    /// The populations, in creation order.
    #[serde(default)]
    pub populations: Vec<PopulationSection>,
    /// The projections.
    #[serde(default)]
    pub projections: Vec<ProjectionSection>,
    /// Current sources and pyN stimulus dictionaries.
    #[serde(default)]
    pub stimuli: Vec<Map<String, Value>>,
    /// What to record.
    #[serde(default)]
    pub recording: Vec<RecordingSection>,
}

/// `[simulation]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// ms (default 0.1).
    #[serde(default)]
    pub dt: Option<Value>,
    /// ms (default 1000).
    #[serde(default)]
    pub duration: Option<Value>,
    /// Seed (default 0).
    #[serde(default)]
    pub seed: Option<Value>,
    /// `"cpu"` or `"gpu"`; the program's default when absent.
    #[serde(default)]
    pub backend: Option<String>,
}

/// `[[populations]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSection {
    /// Unique name, used by projections, stimuli, recording and `--set label.param=value`.
    pub label: String,
    /// Number of neurons (a whole number; an expression is allowed).
    pub size: Value,
    /// PyNN cell type name, or `SpikeSourceInhomogeneousPoisson`.
    pub cell_type: String,
    /// Cell parameters: numbers, quantities, expressions, distributions or arrays.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Initial values of state variables.
    #[serde(default)]
    pub initial_values: Map<String, Value>,
    /// Per-cell random numbers (name → distribution) that parameter expressions may use, so
    /// that several parameters can share one draw (`c = "-65 + 15 * r^2"`, `d = "8 - 6 * r^2"`).
    #[serde(default)]
    pub random_variables: Map<String, Value>,
}

/// `[[projections]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionSection {
    /// Name (default `pre->post`).
    #[serde(default)]
    pub label: Option<String>,
    /// Presynaptic population or view (`"exc"`, `"exc[0:100]"`, `"exc[1, 5, 9]"`).
    pub pre: String,
    /// Postsynaptic population or view.
    pub post: String,
    /// `{ type = "FixedProbability", p_connect = 0.02, ... }`.
    pub connector: Map<String, Value>,
    /// `{ type = "StaticSynapse", weight = ..., delay = ... }` (type defaults to StaticSynapse).
    #[serde(default)]
    pub synapse: Map<String, Value>,
    /// `"excitatory"` (default) or `"inhibitory"`.
    #[serde(default)]
    pub receptor: Receptor,
}

/// `[[recording]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSection {
    /// Population or view.
    pub population: String,
    /// `"spikes"` and state variables (`"v"`, `"gsyn_exc"`, ...).
    pub variables: Vec<String>,
    /// ms, a multiple of dt (default dt).
    #[serde(default)]
    pub sampling_interval: Option<Value>,
}
