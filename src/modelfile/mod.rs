//! Model files: a whole network (simulation settings, populations, projections, stimuli,
//! recording) described in TOML (or JSON) instead of Rust, and the built-in model zoo.
//!
//! ```no_run
//! # fn main() -> Result<(), spikeflow::modelfile::ModelFileError> {
//! let mut model = spikeflow::modelfile::load("zoo:coba")?;
//! model.set("scale=0.25")?;
//! let (mut sim, instance) = model.build(Some(spikeflow::Backend::Cpu), None)?;
//! sim.run(model.simulation().duration)?;
//! for (label, pop) in &instance.populations {
//!     println!("{label}: {:.1} Hz", sim.get_data(*pop)?.mean_rate());
//! }
//! # Ok(()) }
//! ```
//!
//! The format is documented in docs/model-format.md. Every error names the path of the field
//! (`projections[2].connector.p_connect: must be in [0, 1] (got 1.5)`).

mod build;
pub mod expr;
pub mod poisson;
pub mod schema;
pub mod units;
pub mod zoo;

pub use build::{BuildOptions, Instance};

use crate::backend::Backend;
use schema::FileSchema;
use serde_json::Value;
use thiserror::Error;

/// Everything that can go wrong with a model file.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelFileError {
    /// A field breaks a rule: `path` is where it is (`populations[0].parameters.tau_m`).
    #[error("{path}: {message}")]
    Field {
        /// Path of the field in the file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The text is not valid TOML / JSON.
    #[error("{name}: {message}")]
    Syntax {
        /// File name.
        name: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The file could not be read.
    #[error("cannot read '{path}': {message}")]
    Io {
        /// The path.
        path: String,
        /// The system's message.
        message: String,
    },
    /// `zoo:NAME` with an unknown name.
    #[error("unknown zoo model '{name}' (the zoo has: {known})")]
    UnknownZoo {
        /// The name asked for.
        name: String,
        /// The zoo's models.
        known: String,
    },
    /// A bad `--set` assignment.
    #[error("--set {assignment}: {message}")]
    Set {
        /// The assignment as given.
        assignment: String,
        /// What is wrong.
        message: String,
    },
    /// An error of the simulator that no field of the file explains (no GPU adapter, ...).
    #[error(transparent)]
    Simulation(#[from] crate::Error),
}

impl ModelFileError {
    pub(crate) fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        ModelFileError::Field { path: path.into(), message: message.into() }
    }

    /// Whether the error is the user's input (exit code 2) rather than a runtime failure
    /// (no adapter, device lost: exit code 1).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, ModelFileError::Simulation(crate::Error::Engine(_)))
    }
}

/// The `[simulation]` section, resolved. A program that runs for another duration than the
/// file's should `set("simulation.duration=...")` before `build`: time-varying Poisson
/// sources are generated for this duration when the model is built.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulationSettings {
    /// Time step, ms (default 0.1).
    pub dt: f64,
    /// Duration of a run, ms (default 1000).
    pub duration: f64,
    /// Seed (default 0).
    pub seed: u64,
    /// Back end named by the file, if any.
    pub backend: Option<Backend>,
}

/// A parsed model file, with any `--set` assignments applied.
#[derive(Debug, Clone)]
pub struct ModelFile {
    name: String,
    text: String,
    schema: FileSchema,
    settings: SimulationSettings,
    assignments: Vec<String>,
}

/// Load a model: a path to a `.toml` or `.json` file, or `zoo:NAME`.
pub fn load(spec: &str) -> Result<ModelFile, ModelFileError> {
    if let Some(name) = spec.strip_prefix("zoo:") {
        let text = zoo::get(name).ok_or_else(|| ModelFileError::UnknownZoo {
            name: name.to_string(),
            known: zoo::list().iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        })?;
        return ModelFile::from_toml_str(text, spec);
    }
    let text = std::fs::read_to_string(spec).map_err(|e| ModelFileError::Io { path: spec.to_string(), message: e.to_string() })?;
    if spec.to_ascii_lowercase().ends_with(".json") {
        ModelFile::from_json_str(&text, spec)
    } else {
        ModelFile::from_toml_str(&text, spec)
    }
}

/// `a.b[2].c` from serde_path_to_error's path (which writes `?` for an unknown location).
fn path_of(path: &serde_path_to_error::Path) -> String {
    let s = path.to_string();
    if s == "." || s == "?" {
        String::new()
    } else {
        s
    }
}

fn deser_error(name: &str, path: String, message: String) -> ModelFileError {
    if path.is_empty() {
        ModelFileError::Syntax { name: name.to_string(), message }
    } else {
        ModelFileError::Field { path, message }
    }
}

impl ModelFile {
    /// Parse TOML text; `name` is used in messages and results.
    pub fn from_toml_str(text: &str, name: &str) -> Result<Self, ModelFileError> {
        let de = toml::Deserializer::parse(text)
            .map_err(|e| ModelFileError::Syntax { name: name.to_string(), message: e.to_string().trim_end().to_string() })?;
        let schema: FileSchema = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = path_of(e.path());
            // toml's own message carries the line and a caret; keep its first line.
            let msg = e.inner().message().to_string();
            deser_error(name, path, msg)
        })?;
        Self::new(schema, text, name)
    }

    /// Parse JSON text (the same layout as TOML).
    pub fn from_json_str(text: &str, name: &str) -> Result<Self, ModelFileError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let schema: FileSchema = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = path_of(e.path());
            deser_error(name, path, e.inner().to_string())
        })?;
        Self::new(schema, text, name)
    }

    fn new(schema: FileSchema, text: &str, name: &str) -> Result<Self, ModelFileError> {
        let settings = build::settings(&schema)?;
        let model = Self { name: name.to_string(), text: text.to_string(), schema, settings, assignments: Vec::new() };
        model.check()?;
        Ok(model)
    }

    /// Resolve every field (without building), so errors show at load time.
    fn check(&self) -> Result<(), ModelFileError> {
        build::plan(&self.schema, &self.settings, self.settings.seed).map(|_| ())
    }

    /// The original text (stored in result files).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The name it was loaded by (path or `zoo:NAME`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's description, if any.
    pub fn description(&self) -> Option<&str> {
        self.schema.description.as_deref()
    }

    /// The `--set` assignments applied so far, in order.
    pub fn assignments(&self) -> &[String] {
        &self.assignments
    }

    /// The simulation settings (after `set`).
    pub fn simulation(&self) -> &SimulationSettings {
        &self.settings
    }

    /// Labels of the populations, in creation order.
    pub fn population_labels(&self) -> Vec<&str> {
        self.schema.populations.iter().map(|p| p.label.as_str()).collect()
    }

    /// Label and size of every population, as the file resolves them (without building).
    pub fn population_sizes(&self) -> Result<Vec<(String, usize)>, ModelFileError> {
        build::sizes(&self.schema, &self.settings)
    }

    /// The top-level named parameters and their values.
    pub fn parameters(&self) -> Result<Vec<(String, f64)>, ModelFileError> {
        let ctx = build::Ctx::new(&self.schema)?;
        Ok(self.schema.parameters.keys().map(|k| (k.clone(), ctx.vars[k])).collect())
    }

    /// Apply one assignment, as the CLI's `--set`:
    ///
    /// * `name=value`: a top-level parameter (`scale=0.1`);
    /// * `simulation.dt=0.05` (also `duration`, `seed`, `backend`);
    /// * `LABEL.param=value`: a cell parameter of population LABEL (`exc.tau_m=15`, or
    ///   `exc.size=100`);
    /// * `LABEL.field=value`: a synapse field (`weight`, `delay`, ...) or connector field
    ///   (`p_connect`, `n`) of projection LABEL.
    ///
    /// The value is a TOML value (`0.1`, `"10 ms"`, `{distribution = "uniform", low = 0,
    /// high = 1}`); anything else is taken as a string (an expression or quantity: `10 ms`).
    /// The whole model is checked again; on error nothing is changed.
    pub fn set(&mut self, assignment: &str) -> Result<(), ModelFileError> {
        let bad = |m: String| ModelFileError::Set { assignment: assignment.to_string(), message: m };
        let (key, raw) = assignment.split_once('=').ok_or_else(|| bad("expected NAME=VALUE".into()))?;
        let (key, raw) = (key.trim(), raw.trim());
        let value = parse_value(raw);
        let mut schema = self.schema.clone();
        match key.split_once('.') {
            None => {
                if !schema.parameters.contains_key(key) {
                    let known: Vec<_> = schema.parameters.keys().cloned().collect();
                    return Err(bad(format!(
                        "the model has no parameter '{key}' (it has: {}); use LABEL.param for a population or projection",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    )));
                }
                schema.parameters.insert(key.to_string(), value);
            }
            Some(("simulation", field)) => {
                let s = &mut schema.simulation;
                match field {
                    "dt" => s.dt = Some(value),
                    "duration" => s.duration = Some(value),
                    "seed" => s.seed = Some(value),
                    "backend" => s.backend = Some(raw.trim_matches('"').to_string()),
                    _ => return Err(bad(format!("simulation has no field '{field}' (it has: dt, duration, seed, backend)"))),
                }
            }
            Some((label, field)) => {
                if let Some(p) = schema.populations.iter_mut().find(|p| p.label == label) {
                    if field == "size" {
                        p.size = value;
                    } else {
                        p.parameters.insert(field.to_string(), value);
                    }
                } else if let Some(j) = build::projection_index(&schema, label) {
                    let pr = &mut schema.projections[j];
                    if pr.connector.contains_key(field) || matches!(field, "p_connect" | "n") {
                        pr.connector.insert(field.to_string(), value);
                    } else {
                        pr.synapse.insert(field.to_string(), value);
                    }
                } else {
                    let pops: Vec<_> = schema.populations.iter().map(|p| p.label.clone()).collect();
                    return Err(bad(format!("no population or projection is labelled '{label}' (populations: {})", pops.join(", "))));
                }
            }
        }
        let settings = build::settings(&schema)?;
        build::plan(&schema, &settings, settings.seed)?;
        self.schema = schema;
        self.settings = settings;
        self.assignments.push(assignment.to_string());
        Ok(())
    }

    /// Create the simulation, its populations, projections, stimuli and recording, and build
    /// it (so that every error, connectors included, is found here and named by its field).
    /// `backend_override` and `seed_override` replace the file's values (the CLI's
    /// `--backend`, `--seed`); without either the file's, then GPU and seed 0.
    pub fn build(
        &self,
        backend_override: Option<Backend>,
        seed_override: Option<u64>,
    ) -> Result<(crate::Simulation, Instance), ModelFileError> {
        self.build_with(BuildOptions { backend: backend_override, seed: seed_override, ..Default::default() })
    }

    /// [`ModelFile::build`] with all options (a GPU context to share, a progress bar).
    pub fn build_with(&self, options: BuildOptions) -> Result<(crate::Simulation, Instance), ModelFileError> {
        build::build(&self.schema, &self.settings, options)
    }
}

/// A `--set` value: TOML if it parses, else the raw string.
fn parse_value(raw: &str) -> Value {
    if let Ok(table) = toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        if let Some(v) = table.get("v") {
            if let Ok(j) = serde_json::to_value(v) {
                return j;
            }
        }
    }
    Value::String(raw.to_string())
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.to_lowercase().chars().collect(), b.to_lowercase().chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// `" (did you mean X?)"` for the closest of `known` within distance 3, or nothing.
pub(crate) fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    known
        .into_iter()
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map_or(String::new(), |(_, k)| format!(" (did you mean {k}?)"))
}
