//! `IF_cond_exp`: leaky integrate-and-fire neuron with exponentially decaying synaptic conductances.
//!
//! ```text
//! cm dv/dt = g_L (v_rest - v) + g_E (e_rev_E - v) + g_I (e_rev_I - v) + i_offset + i_ext,  g_L = cm / tau_m
//! d g_X/dt = -g_X / tau_syn_X          (a spike of weight w adds w µS)
//! v >= v_thresh: spike, v <- v_reset, clamped for the refractory steps
//! ```
//!
//! **Integrator: exponential Euler with midpoint conductances.** The conductances decay exactly
//! (`g' = g exp(-dt/tau_syn)`). Over one step, v obeys a linear equation once the conductances
//! are frozen; spikeflow freezes them at their exact value at the step's midpoint
//! (`g exp(-dt/2 tau_syn)`), which makes the scheme second order, and solves that linear equation
//! exactly: `v' = v_inf + (v - v_inf) exp(-dt g_tot / cm)`. At dt = 0.1 ms it matches the
//! fine-step RK4 reference to well under a step (tests/single_neuron.rs). The exponential is
//! spikeflow's own `sf_exp` (shaders/shared/math.wgsl, mirrored in `crate::cpu::math`) so GPU
//! and CPU give the same bits.
//!
//! Refractoriness as for `IF_curr_exp` (whole steps, crossing-fraction rounding).

use super::{refractory_steps, ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Kernel parameter indices (`[K][n]` layout); mirrored in `shaders/integrate_if_cond_exp.wgsl`.
pub mod k {
    /// Resting potential (mV).
    pub const V_REST: usize = 0;
    /// Reset potential (mV).
    pub const V_RESET: usize = 1;
    /// Threshold (mV).
    pub const V_THRESH: usize = 2;
    /// Constant current (nA).
    pub const I_OFFSET: usize = 3;
    /// Leak conductance cm/tau_m (µS).
    pub const G_L: usize = 4;
    /// dt / cm (ms/nF).
    pub const DT_OVER_CM: usize = 5;
    /// Excitatory reversal potential (mV).
    pub const E_REV_E: usize = 6;
    /// Inhibitory reversal potential (mV).
    pub const E_REV_I: usize = 7;
    /// exp(-dt/tau_syn_E).
    pub const DECAY_E: usize = 8;
    /// exp(-dt/tau_syn_I).
    pub const DECAY_I: usize = 9;
    /// exp(-dt/(2 tau_syn_E)): midpoint factor.
    pub const HALF_E: usize = 10;
    /// exp(-dt/(2 tau_syn_I)).
    pub const HALF_I: usize = 11;
    /// Refractory steps n.
    pub const REFRAC: usize = 12;
    /// Number of kernel parameters.
    pub const COUNT: usize = 13;
}

/// State indices (`[S][n]` layout).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Excitatory conductance (µS).
    pub const G_E: usize = 1;
    /// Inhibitory conductance (µS).
    pub const G_I: usize = 2;
}

/// PyNN parameters, names, defaults and units.
pub const PARAMS: [ParamSpec; 11] = [
    ParamSpec { name: "v_rest", default: -65.0, unit: "mV" },
    ParamSpec { name: "cm", default: 1.0, unit: "nF" },
    ParamSpec { name: "tau_m", default: 20.0, unit: "ms" },
    ParamSpec { name: "tau_refrac", default: 0.1, unit: "ms" },
    ParamSpec { name: "tau_syn_E", default: 5.0, unit: "ms" },
    ParamSpec { name: "tau_syn_I", default: 5.0, unit: "ms" },
    ParamSpec { name: "e_rev_E", default: 0.0, unit: "mV" },
    ParamSpec { name: "e_rev_I", default: -70.0, unit: "mV" },
    ParamSpec { name: "v_thresh", default: -50.0, unit: "mV" },
    ParamSpec { name: "v_reset", default: -65.0, unit: "mV" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
];

const STATE: [StateSpec; 3] =
    [StateSpec { name: "v", unit: "mV" }, StateSpec { name: "gsyn_exc", unit: "uS" }, StateSpec { name: "gsyn_inh", unit: "uS" }];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "IF_cond_exp",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_if_cond_exp",
    receives_input: true,
    conductance_based: true,
    integrator: "exponential Euler with exact conductance decay, midpoint conductances",
    reads_table: false,
};

/// `IF_cond_exp` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCondExp {
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
    /// Excitatory reversal potential, mV (0).
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: Param,
    /// Inhibitory reversal potential, mV (−70).
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: Param,
    /// Spike threshold, mV (−50).
    pub v_thresh: Param,
    /// Reset potential, mV (−65).
    pub v_reset: Param,
    /// Constant injected current, nA (0).
    pub i_offset: Param,
}

impl Default for IfCondExp {
    fn default() -> Self {
        let d = |i: usize| Param::Const(PARAMS[i].default);
        Self {
            v_rest: d(0),
            cm: d(1),
            tau_m: d(2),
            tau_refrac: d(3),
            tau_syn_e: d(4),
            tau_syn_i: d(5),
            e_rev_e: d(6),
            e_rev_i: d(7),
            v_thresh: d(8),
            v_reset: d(9),
            i_offset: d(10),
        }
    }
}

impl IfCondExp {
    /// Parameters in [`PARAMS`] order.
    pub fn params(&self) -> Vec<Param> {
        vec![
            self.v_rest.clone(),
            self.cm.clone(),
            self.tau_m.clone(),
            self.tau_refrac.clone(),
            self.tau_syn_e.clone(),
            self.tau_syn_i.clone(),
            self.e_rev_e.clone(),
            self.e_rev_i.clone(),
            self.v_thresh.clone(),
            self.v_reset.clone(),
            self.i_offset.clone(),
        ]
    }
}

/// NEST's `iaf_cond_exp` rules.
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

/// Kernel parameters `[K][n]` for step `dt` (ms).
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let (v_rest, cm, tau_m, tau_refrac) = (t.get("v_rest"), t.get("cm"), t.get("tau_m"), t.get("tau_refrac"));
    let (tau_e, tau_i, i_offset) = (t.get("tau_syn_E"), t.get("tau_syn_I"), t.get("i_offset"));
    let (e_e, e_i, v_reset, v_thresh) = (t.get("e_rev_E"), t.get("e_rev_I"), t.get("v_reset"), t.get("v_thresh"));
    for i in 0..n {
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        set(k::V_REST, v_rest[i]);
        set(k::V_RESET, v_reset[i]);
        set(k::V_THRESH, v_thresh[i]);
        set(k::I_OFFSET, i_offset[i]);
        set(k::G_L, cm[i] / tau_m[i]);
        set(k::DT_OVER_CM, dt / cm[i]);
        set(k::E_REV_E, e_e[i]);
        set(k::E_REV_I, e_i[i]);
        set(k::DECAY_E, (-dt / tau_e[i]).exp());
        set(k::DECAY_I, (-dt / tau_i[i]).exp());
        set(k::HALF_E, (-0.5 * dt / tau_e[i]).exp());
        set(k::HALF_I, (-0.5 * dt / tau_i[i]).exp());
        out[k::REFRAC * n + i] = refractory_steps(tau_refrac[i], dt);
    }
    out
}

/// v = v_rest, no synaptic conductance.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let n = t.len();
    vec![t.get("v_rest").to_vec(), vec![0.0; n], vec![0.0; n]]
}
