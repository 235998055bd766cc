//! `EIF_cond_alpha_isfa_ista`: adaptive exponential integrate-and-fire neuron (AdEx; Brette &
//! Gerstner 2005) with alpha-function synaptic conductances (NEST's `aeif_cond_alpha`).
//!
//! ```text
//! cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((min(v, v_spike) - v_thresh) / delta_T)
//!            + g_E (e_rev_E - v) + g_I (e_rev_I - v) - w + i_offset + i_ext
//! tau_w dw/dt = a (v - v_rest) - w
//! d g_X/dt = -g_X / tau_syn_X + y_X,   d y_X/dt = -y_X / tau_syn_X
//! a spike of weight w (µS) adds w e / tau_syn_X to y_X:  g_X(t) = w (t / tau) e^(1 - t / tau),
//!                                                        peak w at t = tau_syn_X
//! v >= v_spike: spike, v <- v_reset, w <- w + b, v clamped for tau_refrac
//! ```
//!
//! **Synapses: exact propagators.** Over a time s the pair (g, y) goes to
//! `(exp(-s/tau) (g + s y), exp(-s/tau) y)`, the exact solution; the kernel applies it in
//! half sub-steps, which gives the conductances at every RK4 stage's time and, after the last
//! one, at the end of the step. `y` is recordable as `dgsyn_exc` / `dgsyn_inh` (µS/ms, NEST's
//! `dg_ex` / `dg_in`); PyNN's tau_syn of this cell type is the alpha function's rise time.
//!
//! **Integrator, spikes, refractoriness**: as `EIF_cond_exp_isfa_ista`, see [`super::adex`].
//! Kernel: `shaders/integrate_eif_cond_alpha_isfa_ista.wgsl`.

use super::adex::{self, PARAMS};
use super::{ModelError, ModelSpec, Param, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Kernel parameter rows: the shared AdEx rows ([`adex::k`]) and the alpha jumps.
pub mod k {
    pub use crate::model::adex::k::*;
    /// e / tau_syn_E (1/ms): y_E's jump per µS of arriving weight.
    pub const ALPHA_E: usize = crate::model::adex::k::COUNT;
    /// e / tau_syn_I (1/ms).
    pub const ALPHA_I: usize = crate::model::adex::k::COUNT + 1;
    /// Number of kernel parameters.
    pub const COUNT: usize = crate::model::adex::k::COUNT + 2;
}

/// State rows: the shared AdEx rows ([`adex::s`]) and the rise variables.
pub mod s {
    pub use crate::model::adex::s::*;
    /// Rise variable of the excitatory conductance, y_E (µS/ms).
    pub const Y_E: usize = 4;
    /// Rise variable of the inhibitory conductance, y_I (µS/ms).
    pub const Y_I: usize = 5;
}

const STATE: [StateSpec; 6] = [
    adex::STATE[0],
    adex::STATE[1],
    adex::STATE[2],
    adex::STATE[3],
    StateSpec { name: "dgsyn_exc", unit: "uS/ms" },
    StateSpec { name: "dgsyn_inh", unit: "uS/ms" },
];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "EIF_cond_alpha_isfa_ista",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_eif_cond_alpha_isfa_ista",
    receives_input: true,
    conductance_based: true,
    integrator: "RK4 in sub-steps of <= 0.05 ms, exact alpha-conductance propagators, exponential clamped at v_spike",
    reads_table: false,
};

/// `EIF_cond_alpha_isfa_ista` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EifCondAlphaIsfaIsta {
    /// Membrane capacitance, nF (0.281).
    pub cm: Param,
    /// Refractory period, ms (0.1).
    pub tau_refrac: Param,
    /// Spike detection potential (NEST's V_peak), mV (−40).
    pub v_spike: Param,
    /// Reset potential, mV (−70.6).
    pub v_reset: Param,
    /// Resting (leak reversal) potential, mV (−70.6).
    pub v_rest: Param,
    /// Membrane time constant, ms (9.3667).
    pub tau_m: Param,
    /// Constant injected current, nA (0).
    pub i_offset: Param,
    /// Sub-threshold adaptation conductance, **nS** (4).
    pub a: Param,
    /// Spike-triggered adaptation increment, nA (0.0805).
    pub b: Param,
    /// Slope factor of the exponential, mV (2).
    #[serde(rename = "delta_T")]
    pub delta_t: Param,
    /// Adaptation time constant, ms (144).
    pub tau_w: Param,
    /// Spike initiation (soft) threshold V_T, mV (−50.4).
    pub v_thresh: Param,
    /// Excitatory reversal potential, mV (0).
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: Param,
    /// Rise time (time to peak) of the excitatory alpha conductance, ms (5).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory reversal potential, mV (−80).
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: Param,
    /// Rise time (time to peak) of the inhibitory alpha conductance, ms (5).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: Param,
}

impl Default for EifCondAlphaIsfaIsta {
    fn default() -> Self {
        let d = |i: usize| Param::Const(PARAMS[i].default);
        Self {
            cm: d(0),
            tau_refrac: d(1),
            v_spike: d(2),
            v_reset: d(3),
            v_rest: d(4),
            tau_m: d(5),
            i_offset: d(6),
            a: d(7),
            b: d(8),
            delta_t: d(9),
            tau_w: d(10),
            v_thresh: d(11),
            e_rev_e: d(12),
            tau_syn_e: d(13),
            e_rev_i: d(14),
            tau_syn_i: d(15),
        }
    }
}

impl EifCondAlphaIsfaIsta {
    /// Parameters in [`PARAMS`] order.
    pub fn params(&self) -> Vec<Param> {
        vec![
            self.cm.clone(),
            self.tau_refrac.clone(),
            self.v_spike.clone(),
            self.v_reset.clone(),
            self.v_rest.clone(),
            self.tau_m.clone(),
            self.i_offset.clone(),
            self.a.clone(),
            self.b.clone(),
            self.delta_t.clone(),
            self.tau_w.clone(),
            self.v_thresh.clone(),
            self.e_rev_e.clone(),
            self.tau_syn_e.clone(),
            self.e_rev_i.clone(),
            self.tau_syn_i.clone(),
        ]
    }
}

/// The AdEx rules ([`adex::validate`]).
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    adex::validate(t, dt)
}

/// Kernel parameters `[K][n]` for step `dt` (ms).
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    adex::derive_into(t, dt, &mut out);
    let (tau_e, tau_i) = (t.get("tau_syn_E"), t.get("tau_syn_I"));
    for i in 0..n {
        out[k::ALPHA_E * n + i] = (std::f64::consts::E / tau_e[i]) as f32;
        out[k::ALPHA_I * n + i] = (std::f64::consts::E / tau_i[i]) as f32;
    }
    out
}

/// v = v_rest, w = 0, no synaptic conductance.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    adex::initial_state(t, 2)
}
