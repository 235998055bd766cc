//! `EIF_cond_exp_isfa_ista`: adaptive exponential integrate-and-fire neuron (AdEx; Brette &
//! Gerstner 2005) with exponentially decaying synaptic conductances (NEST's `aeif_cond_exp`).
//!
//! ```text
//! cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((min(v, v_spike) - v_thresh) / delta_T)
//!            + g_E (e_rev_E - v) + g_I (e_rev_I - v) - w + i_offset + i_ext
//! tau_w dw/dt = a (v - v_rest) - w
//! d g_X/dt = -g_X / tau_syn_X          (a spike of weight w adds w µS to g_X)
//! v >= v_spike: spike, v <- v_reset, w <- w + b, v clamped for tau_refrac
//! ```
//!
//! **Integrator**: RK4 on (v, w) in sub-steps of ≤ 0.05 ms with the conductances at their exact
//! values `g exp(-s / tau_syn)` at each stage's time s; spike detection, reset and the
//! refractory clamp in sub-steps. The equations, units, integrator and its accuracy are
//! described in [`super::adex`], which this model shares with `EIF_cond_alpha_isfa_ista`.
//! Kernel: `shaders/integrate_eif_cond_exp_isfa_ista.wgsl` (its exponential synapse is the
//! shared AdEx sub-step loop with no rise variable).

use super::adex::{self, PARAMS, STATE};
use super::{ModelError, ModelSpec, Param, ParamTable};
use serde::{Deserialize, Serialize};

/// Kernel parameter rows: the shared AdEx rows ([`adex::k`]).
pub use super::adex::k;
/// State rows: v, w, gsyn_exc, gsyn_inh ([`adex::s`]).
pub use super::adex::s;

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "EIF_cond_exp_isfa_ista",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_eif_cond_exp_isfa_ista",
    receives_input: true,
    conductance_based: true,
    integrator: "RK4 in sub-steps of <= 0.05 ms, exact conductance decay, exponential clamped at v_spike",
    reads_table: false,
};

/// `EIF_cond_exp_isfa_ista` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EifCondExpIsfaIsta {
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
    /// Decay time constant of the excitatory conductance, ms (5).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory reversal potential, mV (−80).
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: Param,
    /// Decay time constant of the inhibitory conductance, ms (5).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: Param,
}

impl Default for EifCondExpIsfaIsta {
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

impl EifCondExpIsfaIsta {
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
    let mut out = vec![0f32; k::COUNT * t.len()];
    adex::derive_into(t, dt, &mut out);
    out
}

/// v = v_rest, w = 0, no synaptic conductance.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    adex::initial_state(t, 0)
}
