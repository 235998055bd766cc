//! From a parsed model file to a [`Simulation`]: expressions and units are resolved field by
//! field (each error names its path), the library's own types are deserialised from the
//! resolved values, and library errors are mapped back to the field that caused them.

use super::expr::Expr;
use super::poisson::{InhomogeneousPoisson, RateFunction};
use super::schema::{FileSchema, PopulationSection};
use super::{did_you_mean, units, ModelFileError, SimulationSettings};
use crate::backend::Backend;
use crate::engine::GpuContext;
use crate::model::spike_source_array::SpikeTimes;
use crate::model::{registry, CellType, ModelError, ModelSpec, Param, SpikeSourceArray};
use crate::network::{
    BuildError, Connector, ConnectorError, CurrentSource, PoissonInput, Population, PopulationId, PopulationView, Projection, ProjectionId,
    Receptor, Selection, Stimulus, SynapseType,
};
use crate::random::{Rng, Stream};
use crate::Simulation;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

type Result<T> = std::result::Result<T, ModelFileError>;

/// Name of the host-generated time-varying Poisson source (see [`super::poisson`]).
pub const INHOMOGENEOUS_POISSON: &str = "SpikeSourceInhomogeneousPoisson";

/// First parameter slot of the streams of a population's `random_variables`.
const RANDOM_VARIABLE_STREAM: u32 = 0x00FF_FF00;

/// Keys whose string values are names, not expressions.
const STRING_KEYS: &[&str] = &["type", "distribution", "cell_type", "pairing", "numerics", "receptor", "label"];

/// Options of [`super::ModelFile::build_with`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Replaces the file's back end.
    pub backend: Option<Backend>,
    /// Replaces the file's seed.
    pub seed: Option<u64>,
    /// Run on this GPU device (otherwise one is found).
    pub gpu: Option<GpuContext>,
    /// Show a progress bar during `run` (when stderr is a terminal).
    pub progress: bool,
    /// Where the static CSR is assembled (default: [`CsrAssembly::Auto`]).
    pub csr_assembly: Option<crate::network::assemble::CsrAssembly>,
}

/// What [`super::ModelFile::build`] created, by label.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Every population, in file order.
    pub populations: Vec<(String, PopulationId)>,
    /// Every projection, in file order (labels default to `pre->post`).
    pub projections: Vec<(String, ProjectionId)>,
    /// Populations with a `[[recording]]` entry, with the variables recorded, in file order
    /// (one entry per population).
    pub recorded: Vec<(String, PopulationId, Vec<String>)>,
    /// The run's duration, ms.
    pub duration: f64,
    /// The seed used.
    pub seed: u64,
    /// The back end used.
    pub backend: Backend,
}

impl Instance {
    /// The population labelled `label`.
    pub fn population(&self, label: &str) -> Option<PopulationId> {
        self.populations.iter().find(|(l, _)| l == label).map(|(_, p)| *p)
    }

    /// The projection labelled `label`.
    pub fn projection(&self, label: &str) -> Option<ProjectionId> {
        self.projections.iter().find(|(l, _)| l == label).map(|(_, p)| *p)
    }
}

/// Named values available to expressions.
pub(crate) struct Ctx {
    pub vars: BTreeMap<String, f64>,
}

fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_alphabetic() || f == '_') && c.all(|x| x.is_alphanumeric() || x == '_')
}

impl Ctx {
    /// Resolve `[parameters]` (which may refer to each other, in any order).
    pub fn new(schema: &FileSchema) -> Result<Self> {
        let mut ctx = Ctx { vars: BTreeMap::new() };
        for k in schema.parameters.keys() {
            if !is_ident(k) || k == "t" || k == "pi" || k == "e" {
                return Err(ModelFileError::field(
                    format!("parameters.{k}"),
                    "a parameter name must be an identifier (letters, digits, _), and not t, pi or e",
                ));
            }
        }
        let mut pending: Vec<(&String, &Value)> = schema.parameters.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut last_err = None;
            pending.retain(|(k, v)| match ctx.number(v, &format!("parameters.{k}"), Some("*")) {
                Ok(x) => {
                    ctx.vars.insert((*k).clone(), x);
                    false
                }
                Err(e) => {
                    last_err = Some(e);
                    true
                }
            });
            if pending.len() == before {
                return Err(last_err.unwrap_or_else(|| ModelFileError::field("parameters", "cannot be resolved")));
            }
        }
        Ok(ctx)
    }

    /// A number: a JSON number, or a string holding an expression with an optional unit.
    pub fn number(&self, v: &Value, path: &str, unit: Option<&str>) -> Result<f64> {
        let x = match v {
            Value::Number(n) => n.as_f64().ok_or_else(|| ModelFileError::field(path, "not a number"))?,
            Value::String(s) => {
                let (e, factor) = match units::split_unit(s, unit) {
                    // A trailing name that is also a unit ("2 * s" with a parameter s): when what
                    // is left is no expression, the whole string is one.
                    Ok((text, factor)) => match (Expr::parse(text), factor != 1.0 || text.len() != s.len()) {
                        (Ok(e), _) => (e, factor),
                        (Err(_), true) if Expr::parse(s).is_ok() => {
                            (Expr::parse(s).map_err(|e| ModelFileError::field(path, e.to_string()))?, 1.0)
                        }
                        (Err(e), _) => return Err(ModelFileError::field(path, e.to_string())),
                    },
                    Err(m) => return Err(ModelFileError::field(path, m)),
                };
                e.eval(&|n| self.vars.get(n).copied()).map_err(|e| ModelFileError::field(path, e.to_string()))? * factor
            }
            other => {
                return Err(ModelFileError::field(
                    path,
                    format!("expected {} (a number or a string like \"10 ms\" or \"3200 * scale\"), got {other}", units::expected(unit)),
                ))
            }
        };
        if !x.is_finite() {
            return Err(ModelFileError::field(path, format!("must be finite (got {x})")));
        }
        Ok(x)
    }

    /// A string expression that uses the neuron index `i` (0-based), evaluated for each of
    /// `n` neurons into an array; `None` for anything else.
    pub fn per_neuron(&self, v: &Value, path: &str, unit: &str, n: usize, locals: &BTreeMap<String, Vec<f64>>) -> Result<Option<Value>> {
        let Value::String(s) = v else { return Ok(None) };
        let (text, factor) = units::split_unit(s, Some(unit)).map_err(|m| ModelFileError::field(path, m))?;
        let Ok(e) = Expr::parse(text) else { return Ok(None) };
        let mut names = Vec::new();
        e.variables(&mut names);
        let local = |x: &String| (x == "i" && !self.vars.contains_key("i")) || locals.contains_key(x);
        if !names.iter().any(local) {
            return Ok(None);
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let x = e
                .eval(&|name| match locals.get(name) {
                    Some(values) => Some(values[i]),
                    None if name == "i" => self.vars.get(name).copied().or(Some(i as f64)),
                    None => self.vars.get(name).copied(),
                })
                .map_err(|e| ModelFileError::field(path, e.to_string()))?
                * factor;
            if !x.is_finite() {
                return Err(ModelFileError::field(path, format!("must be finite (neuron {i} has {x})")));
            }
            out.push(Value::from(x));
        }
        Ok(Some(Value::Array(out)))
    }

    /// A whole number ≥ 0.
    pub fn whole(&self, v: &Value, path: &str) -> Result<usize> {
        let x = self.number(v, path, Some(""))?;
        if x < 0.0 || (x - x.round()).abs() > 1e-9 || x > 1e15 {
            return Err(ModelFileError::field(path, format!("must be a whole number ≥ 0 (got {x}; use round(...) in expressions)")));
        }
        Ok(x.round() as usize)
    }

    /// Resolve every number in a tree. `unit_of(key)` gives the unit of an object's field
    /// (`inherit` when the object is a distribution of a field with that unit).
    fn tree(&self, v: &Value, path: &str, unit: Option<&str>, unit_of: &dyn Fn(&str, Option<&str>) -> Option<String>) -> Result<Value> {
        Ok(match v {
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, x) in m {
                    let p = format!("{path}.{k}");
                    let r = if STRING_KEYS.contains(&k.as_str()) {
                        x.clone()
                    } else {
                        let u = unit_of(k, unit);
                        self.tree(x, &p, u.as_deref(), unit_of)?
                    };
                    out.insert(k.clone(), r);
                }
                if out.contains_key("distribution") {
                    // Checked here: inside an untagged Param its own message would be lost.
                    from_value::<crate::RandomDistribution>(Value::Object(out.clone()), path)?;
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(
                a.iter().enumerate().map(|(i, x)| self.tree(x, &format!("{path}[{i}]"), unit, unit_of)).collect::<Result<_>>()?,
            ),
            Value::String(_) | Value::Number(_) => {
                let x = self.number(v, path, unit)?;
                if x == x.round() && x.abs() < 9.0e15 {
                    Value::from(x as i64)
                } else {
                    Value::from(x)
                }
            }
            other => other.clone(),
        })
    }
}

/// Deserialise a library type from a resolved value; errors carry `prefix` + the inner path.
fn from_value<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." || inner == "?" { prefix.to_string() } else { format!("{prefix}.{inner}") };
        ModelFileError::field(path, e.inner().to_string())
    })
}

/// The `[simulation]` section resolved.
pub(crate) fn settings(schema: &FileSchema) -> Result<SimulationSettings> {
    let ctx = Ctx::new(schema)?;
    let s = &schema.simulation;
    let dt = match &s.dt {
        Some(v) => ctx.number(v, "simulation.dt", Some("ms"))?,
        None => 0.1,
    };
    if dt <= 0.0 {
        return Err(ModelFileError::field("simulation.dt", format!("must be > 0 ms (got {dt})")));
    }
    let duration = match &s.duration {
        Some(v) => ctx.number(v, "simulation.duration", Some("ms"))?,
        None => 1000.0,
    };
    if duration < 0.0 {
        return Err(ModelFileError::field("simulation.duration", format!("must be ≥ 0 ms (got {duration})")));
    }
    let steps = duration / dt;
    if (steps - steps.round()).abs() > 1e-6 {
        return Err(ModelFileError::field(
            "simulation.duration",
            format!("must be a whole number of steps of dt = {dt} ms (got {duration})"),
        ));
    }
    let seed = match &s.seed {
        Some(v) => ctx.whole(v, "simulation.seed")? as u64,
        None => 0,
    };
    let backend = match &s.backend {
        Some(b) => Some(b.parse::<Backend>().map_err(|m| ModelFileError::field("simulation.backend", m))?),
        None => None,
    };
    Ok(SimulationSettings { dt, duration, seed, backend })
}

/// Labels of the projections (given, else `pre->post`, made unique with `#index`).
pub(crate) fn projection_labels(schema: &FileSchema) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (j, p) in schema.projections.iter().enumerate() {
        let mut l = p.label.clone().unwrap_or_else(|| format!("{}->{}", p.pre, p.post));
        if out.contains(&l) {
            l = format!("{l}#{j}");
        }
        out.push(l);
    }
    out
}

pub(crate) fn projection_index(schema: &FileSchema, label: &str) -> Option<usize> {
    projection_labels(schema).iter().position(|l| l == label)
}

/// A population as planned.
enum Kind {
    Cell(Box<CellType>),
    Inhomogeneous(InhomogeneousPoisson),
}

struct PlannedPop {
    label: String,
    size: usize,
    kind: Kind,
    initial: Vec<(String, Param)>,
}

struct View {
    pop: usize,
    selection: Selection,
}

struct PlannedProj {
    label: String,
    pre: View,
    post: View,
    connector: Connector,
    synapse: SynapseType,
    receptor: Receptor,
}

enum StimKind {
    Source(CurrentSource),
    PyN(Stimulus),
    Poisson(PoissonInput),
}

/// A `PoissonInput` entry of `[[stimuli]]` (NEST's poisson_generator, Brian2's PoissonInput).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PoissonInputFields {
    #[serde(rename = "type")]
    _type: String,
    rate: f64,
    weight: f64,
    #[serde(default)]
    receptor: Receptor,
    #[serde(default)]
    start: f64,
    #[serde(default = "never")]
    stop: f64,
}

fn never() -> f64 {
    f64::INFINITY
}

struct PlannedStim {
    target: View,
    kind: StimKind,
}

struct PlannedRec {
    view: View,
    variables: Vec<String>,
    interval: Option<f64>,
}

/// Everything resolved, ready to create.
pub(crate) struct Plan {
    pops: Vec<PlannedPop>,
    projs: Vec<PlannedProj>,
    stims: Vec<PlannedStim>,
    recs: Vec<PlannedRec>,
}

fn spec_of(cell_type: &str, path: &str) -> Result<Option<&'static ModelSpec>> {
    if cell_type == INHOMOGENEOUS_POISSON {
        return Ok(None);
    }
    match registry().into_iter().find(|s| s.cell_type == cell_type) {
        Some(s) => Ok(Some(s)),
        None => {
            let names: Vec<&str> = registry().iter().map(|s| s.cell_type).chain([INHOMOGENEOUS_POISSON]).collect();
            Err(ModelFileError::field(
                path,
                format!("unknown cell type '{cell_type}'{} (known: {})", did_you_mean(cell_type, names.iter().copied()), names.join(", ")),
            ))
        }
    }
}

/// Resolve `"label"`, `"label[a:b]"` or `"label[i, j, k]"`.
fn view(text: &str, path: &str, pops: &[PlannedPop]) -> Result<View> {
    let (label, sel) = match text.split_once('[') {
        None => (text.trim(), None),
        Some((l, rest)) => {
            let inner = rest.trim_end().strip_suffix(']').ok_or_else(|| ModelFileError::field(path, format!("missing ']' in '{text}'")))?;
            (l.trim(), Some(inner))
        }
    };
    let labels: Vec<&str> = pops.iter().map(|p| p.label.as_str()).collect();
    let Some(pop) = labels.iter().position(|l| *l == label) else {
        return Err(ModelFileError::field(
            path,
            format!(
                "no population is labelled '{label}'{} (populations: {})",
                did_you_mean(label, labels.iter().copied()),
                labels.join(", ")
            ),
        ));
    };
    let n = pops[pop].size;
    let num = |s: &str| -> Result<usize> {
        s.trim().parse::<usize>().map_err(|_| ModelFileError::field(path, format!("'{}' is not a neuron index in '{text}'", s.trim())))
    };
    let selection = match sel {
        None => Selection::All,
        Some(inner) if inner.contains(':') => {
            let (a, b) = inner.split_once(':').unwrap_or((inner, ""));
            let a = if a.trim().is_empty() { 0 } else { num(a)? };
            let b = if b.trim().is_empty() { n } else { num(b)? };
            if a > b || b > n {
                return Err(ModelFileError::field(path, format!("range {a}:{b} is outside population '{label}' of {n} neurons")));
            }
            Selection::Range(a, b)
        }
        Some(inner) => {
            let idx: Vec<usize> = inner.split(',').map(num).collect::<Result<_>>()?;
            if let Some(i) = idx.iter().find(|&&i| i >= n) {
                return Err(ModelFileError::field(path, format!("neuron {i} is outside population '{label}' of {n} neurons")));
            }
            Selection::Indices(idx)
        }
    };
    Ok(View { pop, selection })
}

fn plan_population(ctx: &Ctx, p: &PopulationSection, i: usize, settings: &SimulationSettings, seed: u64) -> Result<PlannedPop> {
    let base = format!("populations[{i}]");
    if p.label.is_empty() {
        return Err(ModelFileError::field(format!("{base}.label"), "must not be empty"));
    }
    let size = ctx.whole(&p.size, &format!("{base}.size"))?;
    if size == 0 || size > (u32::MAX / 2) as usize {
        return Err(ModelFileError::field(format!("{base}.size"), format!("must be in [1, 2^31) (got {size})")));
    }
    let spec = spec_of(&p.cell_type, &format!("{base}.cell_type"))?;
    let Some(spec) = spec else {
        let kind = Kind::Inhomogeneous(plan_inhomogeneous(ctx, p, &base, size, settings)?);
        if !p.initial_values.is_empty() {
            return Err(ModelFileError::field(format!("{base}.initial_values"), format!("{INHOMOGENEOUS_POISSON} has no state variables")));
        }
        if !p.random_variables.is_empty() {
            return Err(ModelFileError::field(
                format!("{base}.random_variables"),
                format!("{INHOMOGENEOUS_POISSON} has no per-cell parameters"),
            ));
        }
        return Ok(PlannedPop { label: p.label.clone(), size, kind, initial: Vec::new() });
    };
    // Per-cell random variables for the parameter expressions of this population.
    let mut locals: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for (k, (name, dist)) in p.random_variables.iter().enumerate() {
        let path = format!("{base}.random_variables.{name}");
        if !is_ident(name) || name == "i" || ctx.vars.contains_key(name) {
            return Err(ModelFileError::field(path, "must be an identifier other than i and the model's parameters"));
        }
        if !dist.get("distribution").is_some_and(Value::is_string) {
            return Err(ModelFileError::field(path, "must be a distribution: { distribution = \"uniform\", low = 0, high = 1 }"));
        }
        let d: crate::RandomDistribution = from_value(ctx.tree(dist, &path, Some(""), &|_, _| Some(String::new()))?, &path)?;
        let mut rng = Rng::new(seed, Stream::Parameter { pop: i as u32, param: RANDOM_VARIABLE_STREAM + k as u32 });
        let values = Param::Random(d).resolve(size, &mut rng).map_err(|e| ModelFileError::field(&path, e.to_string()))?;
        locals.insert(name.clone(), values);
    }
    let extras: &[&str] = match spec.cell_type {
        "Izhikevich" => &["numerics"],
        "SpikeSourceArray" => &["spike_times"],
        _ => &[],
    };
    let mut obj = Map::new();
    obj.insert("cell_type".into(), Value::String(p.cell_type.clone()));
    for (k, v) in &p.parameters {
        let path = format!("{base}.parameters.{k}");
        let unit = match spec.params.iter().find(|s| s.name == k) {
            Some(s) => s.unit,
            None if k == "spike_times" => "ms",
            None if extras.contains(&k.as_str()) => "",
            None => {
                let names: Vec<&str> = spec.params.iter().map(|s| s.name).chain(extras.iter().copied()).collect();
                return Err(ModelFileError::field(
                    path,
                    format!(
                        "{} has no parameter '{k}'{} (it has: {})",
                        spec.cell_type,
                        did_you_mean(k, names.iter().copied()),
                        names.join(", ")
                    ),
                ));
            }
        };
        if STRING_KEYS.contains(&k.as_str()) {
            obj.insert(k.clone(), v.clone());
            continue;
        }
        if let Some(array) = ctx.per_neuron(v, &path, unit, size, &locals)? {
            obj.insert(k.clone(), array);
            continue;
        }
        let resolved = ctx.tree(v, &path, Some(unit), &|key, inherit| {
            if key == "k" {
                Some(String::new())
            } else {
                inherit.map(str::to_string)
            }
        })?;
        obj.insert(k.clone(), resolved);
    }
    let cell: CellType = from_value(Value::Object(obj), &format!("{base}.parameters"))?;
    let mut initial = Vec::new();
    for (k, v) in &p.initial_values {
        let path = format!("{base}.initial_values.{k}");
        let Some(st) = spec.state.iter().find(|s| s.name == k) else {
            let names: Vec<&str> = spec.state.iter().map(|s| s.name).collect();
            return Err(ModelFileError::field(
                path,
                format!(
                    "{} has no state variable '{k}'{} (it has: {})",
                    spec.cell_type,
                    did_you_mean(k, names.iter().copied()),
                    names.join(", ")
                ),
            ));
        };
        let resolved =
            ctx.tree(v, &path, Some(st.unit), &|key, inherit| if key == "k" { Some(String::new()) } else { inherit.map(str::to_string) })?;
        initial.push((k.clone(), from_value::<Param>(resolved, &path)?));
    }
    Ok(PlannedPop { label: p.label.clone(), size, kind: Kind::Cell(Box::new(cell)), initial })
}

fn plan_inhomogeneous(
    ctx: &Ctx,
    p: &PopulationSection,
    base: &str,
    size: usize,
    settings: &SimulationSettings,
) -> Result<InhomogeneousPoisson> {
    let mut start = 0.0;
    let mut stop = settings.duration;
    let mut rate_max = None;
    let mut rate = None;
    for (k, v) in &p.parameters {
        let path = format!("{base}.parameters.{k}");
        match k.as_str() {
            "start" => start = ctx.number(v, &path, Some("ms"))?,
            "stop" => stop = ctx.number(v, &path, Some("ms"))?,
            "rate_max" => rate_max = Some(ctx.number(v, &path, Some("Hz"))?),
            "rate" => {
                rate = Some(match v {
                    Value::String(s) => {
                        let (text, factor) = units::split_unit(s, Some("Hz")).map_err(|m| ModelFileError::field(&path, m))?;
                        let mut e = Expr::parse(text).map_err(|e| ModelFileError::field(&path, e.to_string()))?;
                        if factor != 1.0 {
                            e = Expr::Bin('*', Box::new(e), Box::new(Expr::Num(factor)));
                        }
                        let mut names = Vec::new();
                        e.variables(&mut names);
                        for n in names {
                            if n != "t" && n != "pi" && n != "e" && !ctx.vars.contains_key(&n) {
                                return Err(ModelFileError::field(
                                    &path,
                                    format!("unknown name '{n}' (the rate may use t in ms and the model's parameters)"),
                                ));
                            }
                        }
                        RateFunction::Expr { expr: e, vars: ctx.vars.clone() }
                    }
                    Value::Number(_) => RateFunction::Table { times: vec![0.0], rates: vec![ctx.number(v, &path, Some("Hz"))?] },
                    Value::Object(m) => {
                        for key in m.keys() {
                            if key != "times" && key != "rates" {
                                return Err(ModelFileError::field(
                                    format!("{path}.{key}"),
                                    "unknown field (a rate table has times and rates)",
                                ));
                            }
                        }
                        let list = |key: &str, unit: &str| -> Result<Vec<f64>> {
                            let Some(Value::Array(a)) = m.get(key) else {
                                return Err(ModelFileError::field(format!("{path}.{key}"), "missing list"));
                            };
                            a.iter().enumerate().map(|(i, x)| ctx.number(x, &format!("{path}.{key}[{i}]"), Some(unit))).collect()
                        };
                        let (times, rates) = (list("times", "ms")?, list("rates", "Hz")?);
                        if times.len() != rates.len() {
                            return Err(ModelFileError::field(
                                format!("{path}.rates"),
                                format!("has {} values, times has {}", rates.len(), times.len()),
                            ));
                        }
                        if let Some(i) = (1..times.len()).find(|&i| times[i] <= times[i - 1]) {
                            return Err(ModelFileError::field(format!("{path}.times[{i}]"), "times must be strictly increasing"));
                        }
                        if let Some(i) = rates.iter().position(|&r| r < 0.0) {
                            return Err(ModelFileError::field(format!("{path}.rates[{i}]"), format!("must be ≥ 0 Hz (got {})", rates[i])));
                        }
                        RateFunction::Table { times, rates }
                    }
                    other => {
                        return Err(ModelFileError::field(
                            &path,
                            format!("expected an expression of t (Hz) or a table {{times, rates}}, got {other}"),
                        ))
                    }
                })
            }
            _ => {
                return Err(ModelFileError::field(
                    path,
                    format!(
                        "{INHOMOGENEOUS_POISSON} has no parameter '{k}'{} (it has: rate, start, stop, rate_max)",
                        did_you_mean(k, ["rate", "start", "stop", "rate_max"])
                    ),
                ))
            }
        }
    }
    let rate =
        rate.ok_or_else(|| ModelFileError::field(format!("{base}.parameters.rate"), "missing: an expression of t (Hz) or a table"))?;
    if stop < start {
        return Err(ModelFileError::field(format!("{base}.parameters.stop"), format!("must be ≥ start = {start} ms (got {stop})")));
    }
    let source = InhomogeneousPoisson { rate, start, stop, rate_max };
    let bound = source.bound(settings.dt).map_err(|m| ModelFileError::field(format!("{base}.parameters.rate"), m))?;
    // Candidates drawn by thinning: refuse what would not fit in memory rather than abort.
    let candidates = size as f64 * bound * (stop - start) / 1000.0;
    if candidates > 1e9 {
        return Err(ModelFileError::field(
            format!("{base}.parameters.rate"),
            format!("{size} cells at up to {bound} Hz for {} ms need ~{candidates:.1e} draws (the limit is 1e9)", stop - start),
        ));
    }
    Ok(source)
}

/// PyNN's `ACSource` (`offset + amplitude·sin(2π·frequency·t + phase)`, t in s, phase in
/// degrees, between start and stop) as a `StepCurrentSource` with one value per step, taken at
/// the step's start (the library has no sine kernel; a table reads the same on both back ends).
fn ac_fields(m: &Map<String, Value>, base: &str) -> Result<()> {
    const FIELDS: [&str; 8] = ["type", "target", "amplitude", "offset", "frequency", "phase", "start", "stop"];
    for k in m.keys() {
        if !FIELDS.contains(&k.as_str()) {
            return Err(ModelFileError::field(
                format!("{base}.{k}"),
                format!("ACSource has no field '{k}'{} (it has: {})", did_you_mean(k, FIELDS[2..].iter().copied()), FIELDS[2..].join(", ")),
            ));
        }
    }
    Ok(())
}

fn ac_source(m: &Map<String, Value>, base: &str, settings: &SimulationSettings) -> Result<CurrentSource> {
    ac_fields(m, base)?;
    let get = |k: &str, default: f64| m.get(k).and_then(Value::as_f64).unwrap_or(default);
    let (amplitude, offset, frequency, phase) = (get("amplitude", 1.0), get("offset", 0.0), get("frequency", 10.0), get("phase", 0.0));
    let (start, stop) = (get("start", 0.0), get("stop", settings.duration));
    if !(stop >= start && start >= 0.0) {
        return Err(ModelFileError::field(format!("{base}.stop"), format!("must be ≥ start = {start} ms ≥ 0 (got {stop})")));
    }
    let n = ((stop - start) / settings.dt).round();
    if n > 1e7 {
        return Err(ModelFileError::field(format!("{base}.stop"), format!("{n} steps of dt between start and stop: at most 1e7")));
    }
    let mut times = Vec::with_capacity(n as usize + 1);
    let mut amplitudes = Vec::with_capacity(n as usize + 1);
    for k in 0..n as usize {
        let t = start + k as f64 * settings.dt;
        times.push(t);
        amplitudes.push(offset + amplitude * (2.0 * std::f64::consts::PI * frequency * t / 1000.0 + phase.to_radians()).sin());
    }
    times.push(stop);
    amplitudes.push(0.0);
    Ok(CurrentSource::StepCurrentSource { times, amplitudes })
}

/// Unit of a synapse field, given the unit of the weight.
fn synapse_unit(key: &str, weight_unit: &str) -> String {
    match key {
        "weight" | "w_min" | "w_max" => weight_unit.to_string(),
        "delay" | "tau_plus" | "tau_minus" | "tau_rec" | "tau_facil" | "tau" | "interval" => "ms".into(),
        _ => String::new(),
    }
}

pub(crate) fn plan(schema: &FileSchema, settings: &SimulationSettings, seed: u64) -> Result<Plan> {
    let mut ctx = Ctx::new(schema)?;
    for (name, value) in [("dt", settings.dt), ("duration", settings.duration)] {
        ctx.vars.entry(name.into()).or_insert(value);
    }
    let mut pops: Vec<PlannedPop> = Vec::new();
    for (i, p) in schema.populations.iter().enumerate() {
        if pops.iter().any(|q| q.label == p.label) {
            return Err(ModelFileError::field(
                format!("populations[{i}].label"),
                format!("'{}' is used twice; labels must be unique", p.label),
            ));
        }
        let planned = plan_population(&ctx, p, i, settings, seed)?;
        if is_ident(&p.label) {
            ctx.vars.entry(format!("N_{}", p.label)).or_insert(planned.size as f64);
        }
        pops.push(planned);
    }
    let labels = projection_labels(schema);
    let mut projs = Vec::new();
    for (j, p) in schema.projections.iter().enumerate() {
        let base = format!("projections[{j}]");
        let pre = view(&p.pre, &format!("{base}.pre"), &pops)?;
        let post = view(&p.post, &format!("{base}.post"), &pops)?;
        let weight_unit = match &pops[post.pop].kind {
            Kind::Cell(c) if c.spec().conductance_based => "uS",
            Kind::Cell(c) if matches!(**c, CellType::Izhikevich(_)) => "mV",
            Kind::Cell(c) if c.spec().receives_input => "nA",
            _ => {
                return Err(ModelFileError::field(
                    format!("{base}.post"),
                    format!("population '{}' is a spike source; it has no synapses", pops[post.pop].label),
                ))
            }
        };
        if !p.connector.contains_key("type") {
            return Err(ModelFileError::field(format!("{base}.connector.type"), "missing (AllToAll, OneToOne, FixedProbability, ...)"));
        }
        let conn = ctx.tree(&Value::Object(p.connector.clone()), &format!("{base}.connector"), None, &|k, _| {
            Some(if k == "weight" {
                weight_unit.to_string()
            } else if k == "delay" {
                "ms".into()
            } else {
                String::new()
            })
        })?;
        let connector: Connector = from_value(conn, &format!("{base}.connector"))?;
        let mut syn = p.synapse.clone();
        syn.entry("type").or_insert_with(|| Value::String("StaticSynapse".into()));
        let syn = ctx.tree(&Value::Object(syn), &format!("{base}.synapse"), None, &|k, inherit| {
            Some(if matches!(k, "mu" | "sigma" | "low" | "high" | "beta" | "theta") {
                inherit.unwrap_or("").to_string()
            } else {
                synapse_unit(k, weight_unit)
            })
        })?;
        let synapse: SynapseType = from_value(syn, &format!("{base}.synapse"))?;
        projs.push(PlannedProj { label: labels[j].clone(), pre, post, connector, synapse, receptor: p.receptor });
    }
    let mut stims = Vec::new();
    for (k, s) in schema.stimuli.iter().enumerate() {
        let base = format!("stimuli[{k}]");
        let Some(Value::String(target)) = s.get("target") else {
            return Err(ModelFileError::field(format!("{base}.target"), "missing: the population (or view) the current goes into"));
        };
        let target = view(target, &format!("{base}.target"), &pops)?;
        if s.get("type") == Some(&Value::String("ACSource".into())) {
            ac_fields(s, &base)?;
        }
        let mut rest = s.clone();
        rest.remove("target");
        let poisson = s.get("type") == Some(&Value::String("PoissonInput".into()));
        // A PoissonInput's weight is a synaptic one: µS onto conductance-based cells, else nA.
        let weight_unit = match &pops[target.pop].kind {
            Kind::Cell(c) if c.spec().conductance_based => "uS",
            _ => "nA",
        };
        let resolved = ctx.tree(&Value::Object(rest), &base, None, &|key, _| {
            Some(match key {
                "weight" => weight_unit.into(),
                "rate" => "Hz".into(),
                "amplitude" | "amplitudes" | "mean" | "stdev" | "offset" => "nA".into(),
                "start" | "stop" | "times" | "dt" => "ms".into(),
                "frequency" => "Hz".into(),
                _ => String::new(),
            })
        })?;
        let kind = if s.get("type") == Some(&Value::String("Stimulus".into())) {
            let mut m = resolved.as_object().cloned().unwrap_or_default();
            m.remove("type");
            if !matches!(target.selection, Selection::All) {
                return Err(ModelFileError::field(
                    format!("{base}.target"),
                    "a pyN Stimulus targets a whole population; list the neurons in `neurons`",
                ));
            }
            StimKind::PyN(from_value(Value::Object(m), &base)?)
        } else if s.get("type") == Some(&Value::String("ACSource".into())) {
            let m = resolved.as_object().cloned().unwrap_or_default();
            StimKind::Source(ac_source(&m, &base, settings)?)
        } else if poisson {
            let f: PoissonInputFields = from_value(resolved, &base)?;
            StimKind::Poisson(PoissonInput::new(f.rate, f.weight).receptor(f.receptor).between(f.start, f.stop))
        } else {
            if !s.contains_key("type") {
                return Err(ModelFileError::field(
                    format!("{base}.type"),
                    "missing (DCSource, ACSource, StepCurrentSource, NoisyCurrentSource, PoissonInput or Stimulus)",
                ));
            }
            StimKind::Source(from_value(resolved, &base)?)
        };
        stims.push(PlannedStim { target, kind });
    }
    let mut recs = Vec::new();
    for (r, rec) in schema.recording.iter().enumerate() {
        let base = format!("recording[{r}]");
        let v = view(&rec.population, &format!("{base}.population"), &pops)?;
        let names: Vec<&str> = match &pops[v.pop].kind {
            Kind::Cell(c) => c.spec().state.iter().map(|s| s.name).collect(),
            Kind::Inhomogeneous(_) => Vec::new(),
        };
        for (i, var) in rec.variables.iter().enumerate() {
            if var != "spikes" && !names.contains(&var.as_str()) {
                let all: Vec<&str> = std::iter::once("spikes").chain(names.iter().copied()).collect();
                return Err(ModelFileError::field(
                    format!("{base}.variables[{i}]"),
                    format!(
                        "population '{}' cannot record '{var}'{} (it records: {})",
                        pops[v.pop].label,
                        did_you_mean(var, all.iter().copied()),
                        all.join(", ")
                    ),
                ));
            }
        }
        let interval = match &rec.sampling_interval {
            Some(x) => Some(ctx.number(x, &format!("{base}.sampling_interval"), Some("ms"))?),
            None => None,
        };
        recs.push(PlannedRec { view: v, variables: rec.variables.clone(), interval });
    }
    Ok(Plan { pops, projs, stims, recs })
}

pub(crate) fn sizes(schema: &FileSchema, settings: &SimulationSettings) -> Result<Vec<(String, usize)>> {
    Ok(plan(schema, settings, settings.seed)?.pops.into_iter().map(|p| (p.label, p.size)).collect())
}

/// Map a library error to the field of the file that caused it.
fn map_error(e: crate::Error, plan: &Plan, default_path: &str) -> ModelFileError {
    let pop_index = |label: &str| plan.pops.iter().position(|p| p.label == label);
    let proj_index = |label: &str| plan.projs.iter().position(|p| p.label == label);
    // "projection 'LABEL'.FIELD" / "population 'LABEL'.FIELD"
    let by_what = |what: &str| -> Option<String> {
        for (prefix, is_proj) in [("projection '", true), ("population '", false)] {
            if let Some(rest) = what.strip_prefix(prefix) {
                let (label, field) = rest.split_once("'.").map_or((rest.trim_end_matches('\''), ""), |(l, f)| (l, f));
                if is_proj {
                    let j = proj_index(label)?;
                    let field = match field {
                        "pre" | "post" => field.to_string(),
                        "" => String::new(),
                        f => format!("synapse.{f}"),
                    };
                    return Some(if field.is_empty() { format!("projections[{j}]") } else { format!("projections[{j}].{field}") });
                }
                let i = pop_index(label)?;
                return Some(if field.is_empty() { format!("populations[{i}]") } else { format!("populations[{i}].{field}") });
            }
        }
        None
    };
    match &e {
        crate::Error::Build(BuildError::Model { population, source }) => {
            if let Some(i) = pop_index(population) {
                return match source {
                    ModelError::Invalid { field, rule, neuron, value, .. } => ModelFileError::field(
                        format!("populations[{i}].parameters.{field}"),
                        format!("{rule} (neuron {neuron} has {value})"),
                    ),
                    other => ModelFileError::field(format!("populations[{i}].parameters"), other.to_string()),
                };
            }
        }
        crate::Error::Build(BuildError::Connector { projection, source: ConnectorError::Invalid { field, rule, value, .. } }) => {
            if let Some(j) = proj_index(projection) {
                return ModelFileError::field(format!("projections[{j}].connector.{field}"), format!("{rule} (got {value})"));
            }
        }
        crate::Error::Build(BuildError::Invalid { what, rule }) | crate::Error::Invalid { what, rule } => {
            if let Some(path) = by_what(what) {
                return ModelFileError::field(path, rule.clone());
            }
            if !default_path.is_empty() {
                return ModelFileError::field(default_path, format!("{what}: {rule}"));
            }
        }
        crate::Error::Build(other) if !default_path.is_empty() => return ModelFileError::field(default_path, other.to_string()),
        _ => {}
    }
    ModelFileError::Simulation(e)
}

fn to_view(v: &View, ids: &[PopulationId]) -> PopulationView {
    PopulationView { pop: ids[v.pop], selection: v.selection.clone() }
}

pub(crate) fn build(schema: &FileSchema, settings: &SimulationSettings, options: BuildOptions) -> Result<(Simulation, Instance)> {
    let seed = options.seed.unwrap_or(settings.seed);
    let plan = plan(schema, settings, seed)?;
    let backend = options.backend.or(settings.backend).unwrap_or(Backend::Gpu);
    let mut builder = Simulation::builder().dt(settings.dt).seed(seed).backend(backend).progress(options.progress);
    if let Some(ctx) = options.gpu {
        builder = builder.gpu_context(ctx);
    }
    if let Some(assembly) = options.csr_assembly {
        builder = builder.csr_assembly(assembly);
    }
    let mut sim = builder.build().map_err(|e| map_error(e, &plan, ""))?;
    let mut ids = Vec::new();
    for (i, p) in plan.pops.iter().enumerate() {
        let path = format!("populations[{i}]");
        let cell = match &p.kind {
            Kind::Cell(c) => (**c).clone(),
            Kind::Inhomogeneous(src) => {
                let times = src
                    .spike_times(p.size, settings.dt, seed, i as u32)
                    .map_err(|m| ModelFileError::field(format!("{path}.parameters.rate"), m))?;
                CellType::SpikeSourceArray(SpikeSourceArray { spike_times: SpikeTimes::PerNeuron(times) })
            }
        };
        let mut pop = Population::new(p.size, cell).label(p.label.clone());
        for (var, value) in &p.initial {
            pop = pop.initial(var.clone(), value.clone());
        }
        ids.push(sim.create(pop).map_err(|e| map_error(e, &plan, &path))?);
    }
    let mut projections = Vec::new();
    for (j, p) in plan.projs.iter().enumerate() {
        let proj = Projection::new(to_view(&p.pre, &ids), to_view(&p.post, &ids), p.connector.clone(), p.synapse.clone())
            .receptor(p.receptor)
            .label(p.label.clone());
        let id = sim.connect(proj).map_err(|e| map_error(e, &plan, &format!("projections[{j}]")))?;
        projections.push((p.label.clone(), id));
    }
    for (k, s) in plan.stims.iter().enumerate() {
        let path = format!("stimuli[{k}]");
        let r = match &s.kind {
            StimKind::Source(src) => sim.inject(src.clone(), to_view(&s.target, &ids)),
            StimKind::PyN(st) => sim.stimulate(ids[s.target.pop], std::slice::from_ref(st)),
            StimKind::Poisson(input) => sim.add_poisson_input(input.clone(), to_view(&s.target, &ids)),
        };
        r.map_err(|e| map_error(e, &plan, &path))?;
    }
    let mut recorded: Vec<(String, PopulationId, Vec<String>)> = Vec::new();
    for (r, rec) in plan.recs.iter().enumerate() {
        let vars: Vec<&str> = rec.variables.iter().map(String::as_str).collect();
        sim.record_sampled(to_view(&rec.view, &ids), &vars, rec.interval).map_err(|e| map_error(e, &plan, &format!("recording[{r}]")))?;
        let label = plan.pops[rec.view.pop].label.clone();
        match recorded.iter_mut().find(|(l, _, _)| *l == label) {
            Some((_, _, v)) => v.extend(rec.variables.iter().filter(|x| !v.contains(x)).cloned().collect::<Vec<_>>()),
            None => recorded.push((label, ids[rec.view.pop], rec.variables.clone())),
        }
    }
    sim.build_now().map_err(|e| map_error(e, &plan, ""))?;
    let populations = plan.pops.iter().zip(&ids).map(|(p, id)| (p.label.clone(), *id)).collect();
    Ok((sim, Instance { populations, projections, recorded, duration: settings.duration, seed, backend }))
}
