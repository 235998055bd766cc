//! `IF_cond_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic conductances.
//!
//! ```text
//! cm dv/dt = g_L (v_rest - v) + g_E (e_rev_E - v) + g_I (e_rev_I - v) + i_offset + i_ext
//! dg_X/dt = D_X - g_X / tau_syn_X,   dD_X/dt = -D_X / tau_syn_X
//! a spike of weight w (µS) adds e·w/tau_syn_X to D_X: g_X(t) = w (t/tau) e^(1 - t/tau), peak w at t = tau
//! ```
//!
//! **Integrator:** the conductances are advanced exactly (`D' = e^{-h/τ} D`,
//! `g' = h e^{-h/τ} D + e^{-h/τ} g`); v by exponential Euler with the conductances' exact
//! values at the step's midpoint, as `IF_cond_exp` (second order). Refractoriness as
//! `IF_curr_exp`.

use super::{refractory_steps, ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Kernel parameter indices (`[K][n]`); mirrored in `shaders/integrate_if_cond_alpha.wgsl`.
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
    /// dt·exp(-dt/tau_syn_E).
    pub const H_DECAY_E: usize = 9;
    /// exp(-dt/(2 tau_syn_E)).
    pub const HALF_E: usize = 10;
    /// (dt/2)·exp(-dt/(2 tau_syn_E)).
    pub const H_HALF_E: usize = 11;
    /// exp(-dt/tau_syn_I).
    pub const DECAY_I: usize = 12;
    /// dt·exp(-dt/tau_syn_I).
    pub const H_DECAY_I: usize = 13;
    /// exp(-dt/(2 tau_syn_I)).
    pub const HALF_I: usize = 14;
    /// (dt/2)·exp(-dt/(2 tau_syn_I)).
    pub const H_HALF_I: usize = 15;
    /// e / tau_syn_E: weight → D_E jump (1/ms).
    pub const JUMP_E: usize = 16;
    /// e / tau_syn_I.
    pub const JUMP_I: usize = 17;
    /// Refractory steps n.
    pub const REFRAC: usize = 18;
    /// Number of kernel parameters.
    pub const COUNT: usize = 19;
}

/// State indices (`[S][n]`).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Excitatory conductance (µS).
    pub const G_E: usize = 1;
    /// Inhibitory conductance (µS).
    pub const G_I: usize = 2;
    /// Excitatory conductance's derivative (µS/ms).
    pub const D_E: usize = 3;
    /// Inhibitory conductance's derivative (µS/ms).
    pub const D_I: usize = 4;
}

/// PyNN parameters: IF_cond_exp's, with tau_syn_E 0.3 and tau_syn_I 0.5 ms.
pub const PARAMS: [ParamSpec; 11] = [
    ParamSpec { name: "v_rest", default: -65.0, unit: "mV" },
    ParamSpec { name: "cm", default: 1.0, unit: "nF" },
    ParamSpec { name: "tau_m", default: 20.0, unit: "ms" },
    ParamSpec { name: "tau_refrac", default: 0.1, unit: "ms" },
    ParamSpec { name: "tau_syn_E", default: 0.3, unit: "ms" },
    ParamSpec { name: "tau_syn_I", default: 0.5, unit: "ms" },
    ParamSpec { name: "e_rev_E", default: 0.0, unit: "mV" },
    ParamSpec { name: "e_rev_I", default: -70.0, unit: "mV" },
    ParamSpec { name: "v_thresh", default: -50.0, unit: "mV" },
    ParamSpec { name: "v_reset", default: -65.0, unit: "mV" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
];

const STATE: [StateSpec; 5] = [
    StateSpec { name: "v", unit: "mV" },
    StateSpec { name: "gsyn_exc", unit: "uS" },
    StateSpec { name: "gsyn_inh", unit: "uS" },
    StateSpec { name: "dgsyn_exc", unit: "uS/ms" },
    StateSpec { name: "dgsyn_inh", unit: "uS/ms" },
];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "IF_cond_alpha",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_if_cond_alpha",
    receives_input: true,
    conductance_based: true,
    integrator: "exact alpha conductances; exponential Euler with midpoint conductances for v",
    reads_table: false,
};

/// `IF_cond_alpha` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCondAlpha {
    /// Resting potential, mV (−65).
    pub v_rest: Param,
    /// Membrane capacitance, nF (1.0).
    pub cm: Param,
    /// Membrane time constant, ms (20).
    pub tau_m: Param,
    /// Refractory period, ms (0.1).
    pub tau_refrac: Param,
    /// Excitatory alpha time constant, ms (0.3).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory alpha time constant, ms (0.5).
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

impl Default for IfCondAlpha {
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

impl IfCondAlpha {
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

/// The same rules as `IF_cond_exp` (same parameters).
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    super::if_cond_exp::validate(t, dt)
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
        for (tau, decay, h_decay, half, h_half, jump) in [
            (tau_e[i], k::DECAY_E, k::H_DECAY_E, k::HALF_E, k::H_HALF_E, k::JUMP_E),
            (tau_i[i], k::DECAY_I, k::H_DECAY_I, k::HALF_I, k::H_HALF_I, k::JUMP_I),
        ] {
            set(decay, (-dt / tau).exp());
            set(h_decay, dt * (-dt / tau).exp());
            set(half, (-0.5 * dt / tau).exp());
            set(h_half, 0.5 * dt * (-0.5 * dt / tau).exp());
            set(jump, std::f64::consts::E / tau);
        }
        out[k::REFRAC * n + i] = refractory_steps(tau_refrac[i], dt);
    }
    out
}

/// v = v_rest, no synaptic conductance.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let n = t.len();
    vec![t.get("v_rest").to_vec(), vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]]
}
