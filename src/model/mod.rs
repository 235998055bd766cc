//! Cell types: PyNN's standard neurons and spike sources, one file each.
//!
//! A model is (GeNN/NEST style): its PyNN parameters with units and defaults, validation, the
//! derived constants computed once on the host from `dt` (NEST's propagators), its state
//! variables, and one WGSL kernel (`shaders/integrate_<model>.wgsl`) mirrored on the CPU by the
//! function of the same name in [`crate::cpu`]. All models are registered in [`CellType`].
//!
//! Host layout shared by kernels and their CPU mirrors: per population, the derived kernel
//! parameters as `[K][n]` f32 (structure of arrays), the state as `[S][n]` f32 and one u32
//! counter per neuron (refractory countdown or spike-array cursor).

pub mod adex;
pub mod eif_cond_alpha_isfa_ista;
pub mod eif_cond_exp_isfa_ista;
pub mod hh_cond_exp;
pub mod hx_neuron;
pub mod if_cond_alpha;
pub mod if_cond_exp;
pub mod if_curr_alpha;
pub mod if_curr_exp;
pub mod izhikevich;
pub mod izhikevich_behaviours;
pub mod spike_source_array;
pub mod spike_source_poisson;

pub use eif_cond_alpha_isfa_ista::EifCondAlphaIsfaIsta;
pub use eif_cond_exp_isfa_ista::EifCondExpIsfaIsta;
pub use hh_cond_exp::HhCondExp;
pub use hx_neuron::{HxNeuron, HxPlacement};
pub use if_cond_alpha::IfCondAlpha;
pub use if_cond_exp::IfCondExp;
pub use if_curr_alpha::IfCurrAlpha;
pub use if_curr_exp::IfCurrExp;
pub use izhikevich::{Izhikevich, IzhikevichNumerics};
pub use spike_source_array::SpikeSourceArray;
pub use spike_source_poisson::SpikeSourcePoisson;

use crate::random::{RandomDistribution, RandomError, Rng};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors in cell parameters.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ModelError {
    /// A parameter value breaks a rule of the model.
    #[error("{cell_type}.{field}: {rule} (neuron {neuron} has {value})")]
    Invalid {
        /// PyNN cell type name.
        cell_type: &'static str,
        /// Parameter name.
        field: String,
        /// The rule, e.g. "must be > 0".
        rule: String,
        /// Index of the first offending neuron in its population.
        neuron: usize,
        /// The offending value.
        value: f64,
    },
    /// The parameter does not exist for this cell type.
    #[error("{cell_type} has no parameter '{field}' (it has: {known})")]
    UnknownParameter {
        /// PyNN cell type name.
        cell_type: &'static str,
        /// The name asked for.
        field: String,
        /// The model's parameter names.
        known: String,
    },
    /// A per-neuron array of the wrong length.
    #[error("{cell_type}.{field}: array has {got} values, the population has {expected} neurons")]
    WrongLength {
        /// PyNN cell type name.
        cell_type: &'static str,
        /// Parameter name.
        field: String,
        /// Values given.
        got: usize,
        /// Population size.
        expected: usize,
    },
    /// A random distribution with bad parameters.
    #[error("{cell_type}.{field}: {source}")]
    Random {
        /// PyNN cell type name.
        cell_type: &'static str,
        /// Parameter name.
        field: String,
        /// What is wrong with the distribution.
        source: RandomError,
    },
}

/// A parameter value: one constant, a per-neuron random distribution or an explicit array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// The same value for every neuron (or synapse).
    Const(f64),
    /// Drawn per neuron (or synapse) from the simulation's seeded streams.
    Random(RandomDistribution),
    /// One value per neuron (or synapse).
    Array(Vec<f64>),
}

impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Const(v)
    }
}

impl From<RandomDistribution> for Param {
    fn from(d: RandomDistribution) -> Self {
        Param::Random(d)
    }
}

impl From<Vec<f64>> for Param {
    fn from(v: Vec<f64>) -> Self {
        Param::Array(v)
    }
}

impl Param {
    /// `n` values, drawing random ones from `rng`.
    pub fn resolve(&self, n: usize, rng: &mut Rng) -> Result<Vec<f64>, ParamResolveError> {
        match self {
            Param::Const(v) => Ok(vec![*v; n]),
            Param::Random(d) => {
                d.validate().map_err(ParamResolveError::Random)?;
                Ok((0..n).map(|_| d.sample(rng)).collect())
            }
            Param::Array(a) if a.len() == n => Ok(a.clone()),
            Param::Array(a) => Err(ParamResolveError::WrongLength { got: a.len(), expected: n }),
        }
    }
}

/// Why a [`Param`] could not be turned into values.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ParamResolveError {
    /// The distribution's own parameters are bad.
    #[error("{0}")]
    Random(RandomError),
    /// An array of the wrong length.
    #[error("array has {got} values, {expected} expected")]
    WrongLength {
        /// Values given.
        got: usize,
        /// Values needed.
        expected: usize,
    },
}

/// One PyNN parameter of a cell type.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// PyNN name.
    pub name: &'static str,
    /// PyNN default.
    pub default: f64,
    /// Unit (PyNN's: ms, mV, nA, nF, µS, Hz).
    pub unit: &'static str,
}

/// One state variable of a cell type.
#[derive(Debug, Clone, Copy)]
pub struct StateSpec {
    /// PyNN recordable name (`v`, `gsyn_exc`, ...).
    pub name: &'static str,
    /// Unit.
    pub unit: &'static str,
}

/// What the engine needs to know of a model.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    /// PyNN cell type name.
    pub cell_type: &'static str,
    /// PyNN parameters, in the order of [`CellType::params`].
    pub params: &'static [ParamSpec],
    /// State variables, in state-buffer order.
    pub state: &'static [StateSpec],
    /// Number of derived kernel parameters per neuron.
    pub kernel_params: usize,
    /// The WGSL kernel file (without `.wgsl`), also the CPU mirror's name.
    pub kernel: &'static str,
    /// Whether it has synapses (spike sources do not).
    pub receives_input: bool,
    /// Whether its synapses are conductances (weights in µS, all ≥ 0).
    pub conductance_based: bool,
    /// The integration scheme, for documentation and result metadata.
    pub integrator: &'static str,
    /// Whether its kernel reads a per-population table (`extra`, e.g. spike times). Such a
    /// population gets a dispatch of its own; others share one with the populations of the
    /// same kernel ([`crate::backend::kernel_groups`]).
    pub reads_table: bool,
}

impl ModelSpec {
    /// Index of parameter `name`.
    pub fn param_index(&self, name: &str) -> Result<usize, ModelError> {
        self.params.iter().position(|p| p.name == name).ok_or_else(|| ModelError::UnknownParameter {
            cell_type: self.cell_type,
            field: name.to_string(),
            known: self.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", "),
        })
    }

    /// Index of state variable `name`.
    pub fn state_index(&self, name: &str) -> Option<usize> {
        self.state.iter().position(|s| s.name == name)
    }
}

/// Per-neuron parameter values of a population: `values[param][neuron]`, in spec order.
#[derive(Debug, Clone)]
pub struct ParamTable {
    /// The model the table belongs to.
    pub spec: &'static ModelSpec,
    /// `values[param][neuron]`.
    pub values: Vec<Vec<f64>>,
}

impl ParamTable {
    /// Values of parameter `name`.
    pub fn get(&self, name: &str) -> &[f64] {
        let i = self.spec.param_index(name).unwrap_or_else(|_| panic!("{name} is not a parameter of {}", self.spec.cell_type));
        &self.values[i]
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Check `rule` for every neuron of parameter `name`; error names the first offender.
    pub fn check(&self, name: &str, rule: &str, ok: impl Fn(f64) -> bool) -> Result<(), ModelError> {
        let values = self.get(name);
        match values.iter().position(|&v| !ok(v)) {
            None => Ok(()),
            Some(neuron) => Err(ModelError::Invalid {
                cell_type: self.spec.cell_type,
                field: name.to_string(),
                rule: rule.to_string(),
                neuron,
                value: values[neuron],
            }),
        }
    }

    /// Check a rule between two parameters (`a` against `b`), e.g. v_reset < v_thresh.
    pub fn check_pair(&self, a: &str, b: &str, rule: &str, ok: impl Fn(f64, f64) -> bool) -> Result<(), ModelError> {
        let (va, vb) = (self.get(a), self.get(b));
        match va.iter().zip(vb).position(|(&x, &y)| !ok(x, y)) {
            None => Ok(()),
            Some(neuron) => Err(ModelError::Invalid {
                cell_type: self.spec.cell_type,
                field: a.to_string(),
                rule: rule.to_string(),
                neuron,
                value: va[neuron],
            }),
        }
    }

    /// Every value finite (no NaN, no infinity) except where `allow_inf` names the parameter.
    pub fn check_finite(&self, allow_inf: &[&str]) -> Result<(), ModelError> {
        for p in self.spec.params {
            if allow_inf.contains(&p.name) {
                self.check(p.name, "must not be NaN", |v| !v.is_nan())?;
            } else {
                self.check(p.name, "must be finite (not NaN or infinite)", f64::is_finite)?;
            }
        }
        Ok(())
    }
}

/// Refractory period in whole steps, `round(tau_refrac / dt)` (NEST's RefractoryCounts).
pub fn refractory_steps(tau_refrac: f64, dt: f64) -> f32 {
    (tau_refrac / dt).round() as f32
}

/// A time in ms as a step index, `round(t / dt)`, saturating at u32::MAX (= never).
pub fn time_to_step(t: f64, dt: f64) -> u32 {
    let s = (t / dt).round();
    if s >= f64::from(u32::MAX) {
        u32::MAX
    } else if s <= 0.0 {
        0
    } else {
        s as u32
    }
}

/// A PyNN cell type with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cell_type")]
pub enum CellType {
    /// Current-based LIF with exponential synapses.
    #[serde(rename = "IF_curr_exp")]
    IfCurrExp(IfCurrExp),
    /// Conductance-based LIF with exponential synapses.
    #[serde(rename = "IF_cond_exp")]
    IfCondExp(IfCondExp),
    /// Current-based LIF with alpha-shaped synaptic currents.
    #[serde(rename = "IF_curr_alpha")]
    IfCurrAlpha(IfCurrAlpha),
    /// Conductance-based LIF with alpha-shaped synaptic conductances.
    #[serde(rename = "IF_cond_alpha")]
    IfCondAlpha(IfCondAlpha),
    /// Izhikevich (2003) simple model; synaptic weights are jumps of v (mV).
    #[serde(rename = "Izhikevich")]
    Izhikevich(Izhikevich),
    /// Adaptive exponential integrate-and-fire (AdEx) with exponential conductances.
    #[serde(rename = "EIF_cond_exp_isfa_ista")]
    EifCondExpIsfaIsta(EifCondExpIsfaIsta),
    /// Adaptive exponential integrate-and-fire (AdEx) with alpha conductances.
    #[serde(rename = "EIF_cond_alpha_isfa_ista")]
    EifCondAlphaIsfaIsta(EifCondAlphaIsfaIsta),
    /// Hodgkin–Huxley (Traub–Miles) with exponential conductances.
    #[serde(rename = "HH_cond_exp")]
    HhCondExp(HhCondExp),
    /// BrainScaleS-2 neuron circuit in hardware units (AdEx-type, CUBA or COBA inputs).
    /// Boxed: its 32 hardware parameters would make every `CellType` large.
    #[serde(rename = "HXNeuron")]
    HxNeuron(Box<HxNeuron>),
    /// Spikes at given times.
    #[serde(rename = "SpikeSourceArray")]
    SpikeSourceArray(SpikeSourceArray),
    /// Poisson spike trains.
    #[serde(rename = "SpikeSourcePoisson")]
    SpikeSourcePoisson(SpikeSourcePoisson),
}

impl CellType {
    /// The model description.
    pub fn spec(&self) -> &'static ModelSpec {
        match self {
            CellType::IfCurrExp(_) => &if_curr_exp::SPEC,
            CellType::IfCondExp(_) => &if_cond_exp::SPEC,
            CellType::IfCurrAlpha(_) => &if_curr_alpha::SPEC,
            CellType::IfCondAlpha(_) => &if_cond_alpha::SPEC,
            CellType::Izhikevich(_) => &izhikevich::SPEC,
            CellType::EifCondExpIsfaIsta(_) => &eif_cond_exp_isfa_ista::SPEC,
            CellType::EifCondAlphaIsfaIsta(_) => &eif_cond_alpha_isfa_ista::SPEC,
            CellType::HhCondExp(_) => &hh_cond_exp::SPEC,
            CellType::HxNeuron(_) => &hx_neuron::SPEC,
            CellType::SpikeSourceArray(_) => &spike_source_array::SPEC,
            CellType::SpikeSourcePoisson(_) => &spike_source_poisson::SPEC,
        }
    }

    /// The parameters in spec order.
    pub fn params(&self) -> Vec<Param> {
        match self {
            CellType::IfCurrExp(m) => m.params(),
            CellType::IfCondExp(m) => m.params(),
            CellType::IfCurrAlpha(m) => m.params(),
            CellType::IfCondAlpha(m) => m.params(),
            CellType::Izhikevich(m) => m.params(),
            CellType::EifCondExpIsfaIsta(m) => m.params(),
            CellType::EifCondAlphaIsfaIsta(m) => m.params(),
            CellType::HhCondExp(m) => m.params(),
            CellType::HxNeuron(m) => m.params(),
            CellType::SpikeSourceArray(_) => Vec::new(),
            CellType::SpikeSourcePoisson(m) => m.params(),
        }
    }

    /// Check the per-neuron values against the model's rules.
    pub fn validate(&self, table: &ParamTable, dt: f64) -> Result<(), ModelError> {
        match self {
            CellType::IfCurrExp(_) => if_curr_exp::validate(table, dt),
            CellType::IfCondExp(_) => if_cond_exp::validate(table, dt),
            CellType::IfCurrAlpha(_) => if_curr_alpha::validate(table, dt),
            CellType::IfCondAlpha(_) => if_cond_alpha::validate(table, dt),
            CellType::Izhikevich(_) => izhikevich::validate(table),
            CellType::EifCondExpIsfaIsta(_) => eif_cond_exp_isfa_ista::validate(table, dt),
            CellType::EifCondAlphaIsfaIsta(_) => eif_cond_alpha_isfa_ista::validate(table, dt),
            CellType::HhCondExp(_) => hh_cond_exp::validate(table, dt),
            CellType::HxNeuron(m) => hx_neuron::validate(table, dt, &m.placement),
            CellType::SpikeSourceArray(_) => Ok(()),
            CellType::SpikeSourcePoisson(_) => {
                spike_source_poisson::validate(table)?;
                spike_source_poisson::validate_dt(table, dt)
            }
        }
    }

    /// Derived kernel parameters `[K][n]` for time step `dt`.
    pub fn derive(&self, table: &ParamTable, dt: f64) -> Vec<f32> {
        match self {
            CellType::IfCurrExp(_) => if_curr_exp::derive(table, dt),
            CellType::IfCondExp(_) => if_cond_exp::derive(table, dt),
            CellType::IfCurrAlpha(_) => if_curr_alpha::derive(table, dt),
            CellType::IfCondAlpha(_) => if_cond_alpha::derive(table, dt),
            CellType::Izhikevich(m) => izhikevich::derive(table, dt, m.numerics),
            CellType::EifCondExpIsfaIsta(_) => eif_cond_exp_isfa_ista::derive(table, dt),
            CellType::EifCondAlphaIsfaIsta(_) => eif_cond_alpha_isfa_ista::derive(table, dt),
            CellType::HhCondExp(_) => hh_cond_exp::derive(table, dt),
            CellType::HxNeuron(m) => hx_neuron::derive(table, dt, &m.placement),
            CellType::SpikeSourceArray(_) => Vec::new(),
            CellType::SpikeSourcePoisson(_) => spike_source_poisson::derive(table, dt),
        }
    }

    /// Default initial state `[S][n]` (v = v_rest, conductances and currents 0).
    pub fn initial_state(&self, table: &ParamTable) -> Vec<Vec<f64>> {
        match self {
            CellType::IfCurrExp(_) => if_curr_exp::initial_state(table),
            CellType::IfCondExp(_) => if_cond_exp::initial_state(table),
            CellType::IfCurrAlpha(_) => if_curr_alpha::initial_state(table),
            CellType::IfCondAlpha(_) => if_cond_alpha::initial_state(table),
            CellType::Izhikevich(_) => izhikevich::initial_state(table),
            CellType::EifCondExpIsfaIsta(_) => eif_cond_exp_isfa_ista::initial_state(table),
            CellType::EifCondAlphaIsfaIsta(_) => eif_cond_alpha_isfa_ista::initial_state(table),
            CellType::HhCondExp(_) => hh_cond_exp::initial_state(table),
            CellType::HxNeuron(m) => hx_neuron::initial_state(table, &m.placement),
            CellType::SpikeSourceArray(_) | CellType::SpikeSourcePoisson(_) => Vec::new(),
        }
    }
}

macro_rules! impl_from_cell {
    ($($t:ident),*) => {$(
        impl From<$t> for CellType {
            fn from(m: $t) -> Self {
                CellType::$t(m)
            }
        }
    )*};
}
impl_from_cell!(IfCurrExp, IfCondExp, IfCurrAlpha, IfCondAlpha, Izhikevich, SpikeSourceArray, SpikeSourcePoisson);
impl_from_cell!(EifCondExpIsfaIsta, EifCondAlphaIsfaIsta, HhCondExp);

impl From<HxNeuron> for CellType {
    fn from(m: HxNeuron) -> Self {
        CellType::HxNeuron(Box::new(m))
    }
}

/// All registered cell types (for documentation, the CLI and tests).
pub fn registry() -> [&'static ModelSpec; 11] {
    [
        &if_curr_exp::SPEC,
        &if_cond_exp::SPEC,
        &if_curr_alpha::SPEC,
        &if_cond_alpha::SPEC,
        &izhikevich::SPEC,
        &eif_cond_exp_isfa_ista::SPEC,
        &eif_cond_alpha_isfa_ista::SPEC,
        &hh_cond_exp::SPEC,
        &hx_neuron::SPEC,
        &spike_source_array::SPEC,
        &spike_source_poisson::SPEC,
    ]
}
