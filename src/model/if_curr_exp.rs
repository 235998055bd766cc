//! `IF_curr_exp`: leaky integrate-and-fire neuron with exponentially decaying synaptic currents.
//!
//! ```text
//! cm dv/dt = (v_rest - v) cm / tau_m + i_syn_E + i_syn_I + i_offset + i_ext
//! d i_syn_X/dt = -i_syn_X / tau_syn_X          (a spike of weight w adds w nA)
//! v >= v_thresh: spike, v <- v_reset, clamped for the refractory steps
//! ```
//!
//! **Integrator: exact integration** (Rotter & Diesmann 1999; NEST's `iaf_psc_exp`). The
//! sub-threshold system is linear with piecewise-constant input, so one step is a matrix
//! product with propagators computed once from `dt`:
//! `v' = v + P20 (i_offset + i_ext) + P21E i_E + P21I i_I + (P22 - 1)(v - v_rest)`,
//! `i_X' = P11X i_X`. Arriving spikes are added to `i_X` at the start of the step in which
//! they arrive. The error is float rounding only.
//!
//! **Refractoriness in whole steps**: `n = round(tau_refrac / dt)`. A spike is detected at the
//! end of the step in which v crossed threshold (stamped t + dt). Where in the step it crossed is
//! estimated by linear interpolation (fraction f); the neuron is then clamped at v_reset for
//! `round(n - 1 + f)` further steps, so the dead time after the true crossing is tau_refrac to
//! within dt/2 and unbiased (NEST always clamps n steps, a bias of +dt/2 per spike).

use super::{refractory_steps, ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Kernel parameter indices (`[K][n]` layout); mirrored by the constants in
/// `shaders/integrate_if_curr_exp.wgsl` (checked by a test).
pub mod k {
    /// Resting potential (mV).
    pub const V_REST: usize = 0;
    /// Reset potential (mV).
    pub const V_RESET: usize = 1;
    /// Threshold (mV).
    pub const V_THRESH: usize = 2;
    /// Constant current (nA).
    pub const I_OFFSET: usize = 3;
    /// exp(-dt/tau_m) - 1 (stored as expm1 so that f32 keeps its relative precision: the
    /// fixed point v_rest + P20 I / (1 - P22) would otherwise be off by ~1e-4 mV).
    pub const P22M1: usize = 4;
    /// Propagator i_syn_E → v (mV/nA).
    pub const P21E: usize = 5;
    /// Propagator i_syn_I → v (mV/nA).
    pub const P21I: usize = 6;
    /// exp(-dt/tau_syn_E).
    pub const P11E: usize = 7;
    /// exp(-dt/tau_syn_I).
    pub const P11I: usize = 8;
    /// Propagator constant current → v, tau_m/cm (1 - P22) (mV/nA).
    pub const P20: usize = 9;
    /// Refractory steps n.
    pub const REFRAC: usize = 10;
    /// Number of kernel parameters.
    pub const COUNT: usize = 11;
}

/// State indices (`[S][n]` layout).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Excitatory synaptic current (nA).
    pub const ISYN_E: usize = 1;
    /// Inhibitory synaptic current (nA, ≤ 0).
    pub const ISYN_I: usize = 2;
}

/// PyNN parameters, names, defaults and units.
pub const PARAMS: [ParamSpec; 9] = [
    ParamSpec { name: "v_rest", default: -65.0, unit: "mV" },
    ParamSpec { name: "cm", default: 1.0, unit: "nF" },
    ParamSpec { name: "tau_m", default: 20.0, unit: "ms" },
    ParamSpec { name: "tau_refrac", default: 0.1, unit: "ms" },
    ParamSpec { name: "tau_syn_E", default: 5.0, unit: "ms" },
    ParamSpec { name: "tau_syn_I", default: 5.0, unit: "ms" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
    ParamSpec { name: "v_reset", default: -65.0, unit: "mV" },
    ParamSpec { name: "v_thresh", default: -50.0, unit: "mV" },
];

const STATE: [StateSpec; 3] =
    [StateSpec { name: "v", unit: "mV" }, StateSpec { name: "isyn_exc", unit: "nA" }, StateSpec { name: "isyn_inh", unit: "nA" }];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "IF_curr_exp",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_if_curr_exp",
    receives_input: true,
    conductance_based: false,
    integrator: "exact integration (propagator matrix, Rotter & Diesmann 1999)",
    reads_table: false,
};

/// `IF_curr_exp` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCurrExp {
    /// Resting potential, mV (−65).
    pub v_rest: Param,
    /// Membrane capacitance, nF (1.0).
    pub cm: Param,
    /// Membrane time constant, ms (20).
    pub tau_m: Param,
    /// Refractory period, ms (0.1).
    pub tau_refrac: Param,
    /// Excitatory synaptic time constant, ms (5).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory synaptic time constant, ms (5).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: Param,
    /// Constant injected current, nA (0).
    pub i_offset: Param,
    /// Reset potential, mV (−65).
    pub v_reset: Param,
    /// Spike threshold, mV (−50).
    pub v_thresh: Param,
}

impl Default for IfCurrExp {
    fn default() -> Self {
        let d = |i: usize| Param::Const(PARAMS[i].default);
        Self {
            v_rest: d(0),
            cm: d(1),
            tau_m: d(2),
            tau_refrac: d(3),
            tau_syn_e: d(4),
            tau_syn_i: d(5),
            i_offset: d(6),
            v_reset: d(7),
            v_thresh: d(8),
        }
    }
}

impl IfCurrExp {
    /// Parameters in [`PARAMS`] order.
    pub fn params(&self) -> Vec<Param> {
        vec![
            self.v_rest.clone(),
            self.cm.clone(),
            self.tau_m.clone(),
            self.tau_refrac.clone(),
            self.tau_syn_e.clone(),
            self.tau_syn_i.clone(),
            self.i_offset.clone(),
            self.v_reset.clone(),
            self.v_thresh.clone(),
        ]
    }
}

/// NEST's `iaf_psc_exp` rules: positive capacitance and time constants, reset below threshold.
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    t.check_finite(&[])?;
    t.check("cm", "must be > 0", |v| v > 0.0)?;
    t.check("tau_m", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_E", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_I", "must be > 0", |v| v > 0.0)?;
    t.check("tau_refrac", "must be ≥ 0", |v| v >= 0.0)?;
    t.check_pair("v_reset", "v_thresh", "must be below v_thresh", |r, th| r < th)?;
    t.check("tau_refrac", &format!("must be < 2^24 steps of dt = {dt} ms"), |v| v / dt < 16_777_216.0)?;
    Ok(())
}

/// Propagator from an exponentially decaying current to v: ∫ exp(-s/tau_syn) exp(-(h-s)/tau_m) ds / cm.
/// Falls back to the limit h/cm · exp(-h/tau_m) when tau_m ≈ tau_syn (NEST's propagator_32).
pub fn p21(h: f64, tau_m: f64, tau_syn: f64, cm: f64) -> f64 {
    let (em, es) = ((-h / tau_m).exp(), (-h / tau_syn).exp());
    if ((tau_m - tau_syn) / tau_m).abs() < 1e-9 {
        h / cm * em
    } else {
        tau_syn * tau_m / (cm * (tau_m - tau_syn)) * (em - es)
    }
}

/// Kernel parameters `[K][n]` for step `dt` (ms), computed in f64 and stored as f32.
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let (v_rest, cm, tau_m, tau_refrac) = (t.get("v_rest"), t.get("cm"), t.get("tau_m"), t.get("tau_refrac"));
    let (tau_e, tau_i, i_offset) = (t.get("tau_syn_E"), t.get("tau_syn_I"), t.get("i_offset"));
    let (v_reset, v_thresh) = (t.get("v_reset"), t.get("v_thresh"));
    for i in 0..n {
        let p22m1 = (-dt / tau_m[i]).exp_m1();
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        set(k::V_REST, v_rest[i]);
        set(k::V_RESET, v_reset[i]);
        set(k::V_THRESH, v_thresh[i]);
        set(k::I_OFFSET, i_offset[i]);
        set(k::P22M1, p22m1);
        set(k::P21E, p21(dt, tau_m[i], tau_e[i], cm[i]));
        set(k::P21I, p21(dt, tau_m[i], tau_i[i], cm[i]));
        set(k::P11E, (-dt / tau_e[i]).exp());
        set(k::P11I, (-dt / tau_i[i]).exp());
        set(k::P20, -tau_m[i] / cm[i] * p22m1);
        out[k::REFRAC * n + i] = refractory_steps(tau_refrac[i], dt);
    }
    out
}

/// v = v_rest, no synaptic current.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let n = t.len();
    vec![t.get("v_rest").to_vec(), vec![0.0; n], vec![0.0; n]]
}
