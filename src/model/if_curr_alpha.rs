//! `IF_curr_alpha`: leaky integrate-and-fire neuron with alpha-shaped synaptic currents.
//!
//! ```text
//! cm dv/dt = (v_rest - v) cm / tau_m + I_E + I_I + i_offset + i_ext
//! dI_X/dt = D_X - I_X / tau_syn_X,   dD_X/dt = -D_X / tau_syn_X
//! a spike of weight w (nA) adds e·w/tau_syn_X to D_X, so I_X(t) = w (t/tau) e^(1 - t/tau): peak w at t = tau
//! v >= v_thresh: spike, v <- v_reset, clamped for the refractory steps
//! ```
//!
//! **Integrator: exact integration** (NEST's `iaf_psc_alpha`): the sub-threshold system is
//! linear, so one step is a product with propagators computed once from dt (in f64, stored as
//! f32): `D' = P11 D`, `I' = P21 D + P11 I`, `v' = v + P30 i + P31 D + P32 I + (P33 - 1)(v - v_rest)`.
//! Inputs arriving in a step are added to D at its start. Refractoriness as `IF_curr_exp`.

use super::if_curr_exp::p21;
use super::{refractory_steps, ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Kernel parameter indices (`[K][n]`); mirrored in `shaders/integrate_if_curr_alpha.wgsl`.
pub mod k {
    /// Resting potential (mV).
    pub const V_REST: usize = 0;
    /// Reset potential (mV).
    pub const V_RESET: usize = 1;
    /// Threshold (mV).
    pub const V_THRESH: usize = 2;
    /// Constant current (nA).
    pub const I_OFFSET: usize = 3;
    /// exp(-dt/tau_m) - 1.
    pub const P33M1: usize = 4;
    /// Constant current → v (mV/nA).
    pub const P30: usize = 5;
    /// D_E → v (mV per nA/ms).
    pub const P31E: usize = 6;
    /// I_E → v (mV/nA).
    pub const P32E: usize = 7;
    /// D_I → v.
    pub const P31I: usize = 8;
    /// I_I → v.
    pub const P32I: usize = 9;
    /// exp(-dt/tau_syn_E).
    pub const P11E: usize = 10;
    /// dt·exp(-dt/tau_syn_E): D_E → I_E.
    pub const P21E: usize = 11;
    /// exp(-dt/tau_syn_I).
    pub const P11I: usize = 12;
    /// dt·exp(-dt/tau_syn_I).
    pub const P21I: usize = 13;
    /// e / tau_syn_E: weight → D_E jump (1/ms).
    pub const JUMP_E: usize = 14;
    /// e / tau_syn_I.
    pub const JUMP_I: usize = 15;
    /// Refractory steps n.
    pub const REFRAC: usize = 16;
    /// Number of kernel parameters.
    pub const COUNT: usize = 17;
}

/// State indices (`[S][n]`).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Excitatory synaptic current (nA).
    pub const ISYN_E: usize = 1;
    /// Inhibitory synaptic current (nA).
    pub const ISYN_I: usize = 2;
    /// Excitatory current's derivative D_E (nA/ms).
    pub const D_E: usize = 3;
    /// Inhibitory current's derivative D_I (nA/ms).
    pub const D_I: usize = 4;
}

/// PyNN parameters: IF_curr_exp's, with tau_syn_E/I 0.5 ms.
pub const PARAMS: [ParamSpec; 9] = [
    ParamSpec { name: "v_rest", default: -65.0, unit: "mV" },
    ParamSpec { name: "cm", default: 1.0, unit: "nF" },
    ParamSpec { name: "tau_m", default: 20.0, unit: "ms" },
    ParamSpec { name: "tau_refrac", default: 0.1, unit: "ms" },
    ParamSpec { name: "tau_syn_E", default: 0.5, unit: "ms" },
    ParamSpec { name: "tau_syn_I", default: 0.5, unit: "ms" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
    ParamSpec { name: "v_reset", default: -65.0, unit: "mV" },
    ParamSpec { name: "v_thresh", default: -50.0, unit: "mV" },
];

const STATE: [StateSpec; 5] = [
    StateSpec { name: "v", unit: "mV" },
    StateSpec { name: "isyn_exc", unit: "nA" },
    StateSpec { name: "isyn_inh", unit: "nA" },
    StateSpec { name: "disyn_exc", unit: "nA/ms" },
    StateSpec { name: "disyn_inh", unit: "nA/ms" },
];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "IF_curr_alpha",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_if_curr_alpha",
    receives_input: true,
    conductance_based: false,
    integrator: "exact integration (propagator matrix, NEST iaf_psc_alpha)",
    reads_table: false,
};

/// `IF_curr_alpha` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IfCurrAlpha {
    /// Resting potential, mV (−65).
    pub v_rest: Param,
    /// Membrane capacitance, nF (1.0).
    pub cm: Param,
    /// Membrane time constant, ms (20).
    pub tau_m: Param,
    /// Refractory period, ms (0.1).
    pub tau_refrac: Param,
    /// Excitatory alpha time constant (time to peak), ms (0.5).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory alpha time constant, ms (0.5).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: Param,
    /// Constant injected current, nA (0).
    pub i_offset: Param,
    /// Reset potential, mV (−65).
    pub v_reset: Param,
    /// Spike threshold, mV (−50).
    pub v_thresh: Param,
}

impl Default for IfCurrAlpha {
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

impl IfCurrAlpha {
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

/// The same rules as `IF_curr_exp` (same parameters).
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    super::if_curr_exp::validate(t, dt)
}

/// Propagator from an alpha current's derivative D (D(0) = 1, I(0) = 0) to v over h:
/// (1/cm) ∫₀ʰ s e^{-s/τs} e^{-(h-s)/τm} ds = (e^{-h/τm} − e^{-h/τs}(1 + c h)) / (cm c²),
/// c = 1/τs − 1/τm; its series where c·h is small (no cancellation).
pub fn p31(h: f64, tau_m: f64, tau_syn: f64, cm: f64) -> f64 {
    let c = 1.0 / tau_syn - 1.0 / tau_m;
    let x = c * h;
    let em = (-h / tau_m).exp();
    if x.abs() < 1e-3 {
        // ∫₀ʰ s e^{-c s} ds = h² (1/2 − x/3 + x²/8 − x³/30 …)
        em * h * h * (0.5 - x / 3.0 + x * x / 8.0 - x * x * x / 30.0) / cm
    } else {
        (em - (-h / tau_syn).exp() * (1.0 + x)) / (cm * c * c)
    }
}

/// Kernel parameters `[K][n]` for step `dt` (ms).
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let (v_rest, cm, tau_m, tau_refrac) = (t.get("v_rest"), t.get("cm"), t.get("tau_m"), t.get("tau_refrac"));
    let (tau_e, tau_i, i_offset) = (t.get("tau_syn_E"), t.get("tau_syn_I"), t.get("i_offset"));
    let (v_reset, v_thresh) = (t.get("v_reset"), t.get("v_thresh"));
    for i in 0..n {
        let p33m1 = (-dt / tau_m[i]).exp_m1();
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        set(k::V_REST, v_rest[i]);
        set(k::V_RESET, v_reset[i]);
        set(k::V_THRESH, v_thresh[i]);
        set(k::I_OFFSET, i_offset[i]);
        set(k::P33M1, p33m1);
        set(k::P30, -tau_m[i] / cm[i] * p33m1);
        set(k::P31E, p31(dt, tau_m[i], tau_e[i], cm[i]));
        set(k::P32E, p21(dt, tau_m[i], tau_e[i], cm[i]));
        set(k::P31I, p31(dt, tau_m[i], tau_i[i], cm[i]));
        set(k::P32I, p21(dt, tau_m[i], tau_i[i], cm[i]));
        set(k::P11E, (-dt / tau_e[i]).exp());
        set(k::P21E, dt * (-dt / tau_e[i]).exp());
        set(k::P11I, (-dt / tau_i[i]).exp());
        set(k::P21I, dt * (-dt / tau_i[i]).exp());
        set(k::JUMP_E, std::f64::consts::E / tau_e[i]);
        set(k::JUMP_I, std::f64::consts::E / tau_i[i]);
        out[k::REFRAC * n + i] = refractory_steps(tau_refrac[i], dt);
    }
    out
}

/// v = v_rest, no synaptic current.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let n = t.len();
    vec![t.get("v_rest").to_vec(), vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]]
}

#[cfg(test)]
mod tests {
    #[test]
    fn p31_series_and_closed_form_agree_near_the_switch() {
        // Just either side of |c h| = 1e-3 the two forms agree to 1e-9 relative.
        let (h, tau_m) = (0.1, 10.0);
        for tau_s in [1.0 / (0.1 + 0.00999), 1.0 / (0.1 + 0.01001)] {
            let a = super::p31(h, tau_m, tau_s, 1.0);
            let c = 1.0 / tau_s - 1.0 / tau_m;
            let exact_series = (-h / tau_m).exp() * h * h * (0.5 - c * h / 3.0 + (c * h).powi(2) / 8.0 - (c * h).powi(3) / 30.0);
            assert!((a - exact_series).abs() / exact_series < 1e-9, "{a} vs {exact_series}");
        }
    }
}
