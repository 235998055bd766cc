//! `HH_cond_exp`: single-compartment Hodgkin–Huxley neuron in the Traub & Miles (1991) form of
//! NEST's `hh_cond_exp_traub` (PyNN maps `HH_cond_exp` onto it), with exponentially decaying
//! synaptic conductances.
//!
//! ```text
//! cm dv/dt = gbar_Na m^3 h (e_rev_Na - v) + gbar_K n^4 (e_rev_K - v) + g_leak (e_rev_leak - v)
//!            + g_E (e_rev_E - v) + g_I (e_rev_I - v) + i_offset + i_ext
//! dx/dt = alpha_x(V) (1 - x) - beta_x(V) x,   x in {m, h, n},   V = v - v_offset   (rates in 1/ms)
//! alpha_m = 0.32 (13 - V) / (exp((13 - V) / 4) - 1)    beta_m = 0.28 (V - 40) / (exp((V - 40) / 5) - 1)
//! alpha_h = 0.128 exp((17 - V) / 18)                   beta_h = 4 / (1 + exp((40 - V) / 5))
//! alpha_n = 0.032 (15 - V) / (exp((15 - V) / 5) - 1)   beta_n = 0.5 exp((10 - V) / 40)
//! d g_X/dt = -g_X / tau_syn_X          (a spike of weight w adds w µS to g_X)
//! ```
//!
//! Units (PyNN's): mV, ms, nF, µS, nA. Initial state (PyNN's defaults): v = −65 mV, m = 0,
//! h = 1, n = 0, no conductance. The removable singularities of the `x / (exp(x / k) - 1)`
//! rates (V = 13, 15, 40) are evaluated with a series where |x / k| < 0.1 (no 0/0).
//!
//! **Spikes: no reset, no threshold parameter.** A spike is an upward crossing of 0 mV (the
//! reference's definition, `../shared/reference`), tested after every sub-step
//! (v_before < 0 ≤ v_after) and stamped at the end of the step; at most one per step. NEST's
//! `hh_cond_exp_traub` instead emits at the peak (V > v_offset + 30 and falling) with a 2 ms
//! dead time, which is why its stamped times lag the crossings by ~0.25 ms.
//!
//! **Integrator: classical RK4 on (v, m, h, n) in fixed sub-steps**, the synaptic conductances
//! taken from their exact solution at each stage's time. HH is stiff during a spike: Brian2's
//! RK4, RK2 and Euler at dt = 0.1 ms all go non-finite, exponential Euler at dt = 0.1 ms loses
//! two of sixteen spikes and at 0.01 ms is still 1.9 ms late by the end of 200 ms, while RK4 at
//! dt = 0.01 ms matches the fine reference to 0.009 ms (reference summary). The sub-step
//! count per step is the larger of
//! * accuracy: h ≤ [`MAX_SUBSTEP_MS`] = 0.02 ms (5 sub-steps at dt = 0.1 ms: crossing times
//!   within ~1.5 µs of the RK4 dt = 0.001 ms reference over 200 ms), and
//! * stability: h · (gbar_Na + gbar_K + g_leak) / cm ≤ [`RK4_STABILITY`], a bound on the
//!   membrane's fastest rate (m^3 h ≤ 1, n^4 ≤ 1; the defaults reach ~40 % of it at a spike's
//!   peak), so raising the channel densities adds sub-steps instead of blowing up.
//!
//! Synaptic conductances add to the stiffness at run time, beyond what the rule can know: at the
//! defaults a sustained 20 µS (e_rev_E = 0) still integrates stably, 30 µS does not; such
//! inputs need a smaller dt. A blow-up is never silent: the NaN/infinity check reports
//! `Error::NotFinite`.
//!
//! The kernel evaluates dx/dt as (alpha / r - x) r, r = alpha + beta, and sums the currents
//! starting from i_offset: orders that Mesa's shader compiler keeps as written, so the CPU
//! mirror gives the same bits (`shaders/integrate_hh_cond_exp.wgsl` says why).

use super::{ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Largest sub-step, ms (accuracy).
pub const MAX_SUBSTEP_MS: f64 = 0.02;

/// Largest h · rate allowed by the sub-step rule: RK4's stability interval on the negative real
/// axis is |h λ| ≤ 2.785.
pub const RK4_STABILITY: f64 = 2.78;

/// Most sub-steps per step before validation refuses the parameters (reduce dt instead).
pub const MAX_SUBSTEPS: u32 = 1000;

/// Kernel parameter indices (`[K][n]` layout); mirrored in `shaders/integrate_hh_cond_exp.wgsl`.
pub mod k {
    /// Sodium conductance gbar_Na (µS).
    pub const G_NA: usize = 0;
    /// Potassium conductance gbar_K (µS).
    pub const G_K: usize = 1;
    /// Leak conductance (µS).
    pub const G_LEAK: usize = 2;
    /// 1 / cm (1/nF).
    pub const INV_CM: usize = 3;
    /// v_offset (NEST's V_T), mV.
    pub const V_OFFSET: usize = 4;
    /// Sodium reversal potential (mV).
    pub const E_NA: usize = 5;
    /// Potassium reversal potential (mV).
    pub const E_K: usize = 6;
    /// Leak reversal potential (mV).
    pub const E_LEAK: usize = 7;
    /// Excitatory synaptic reversal potential (mV).
    pub const E_REV_E: usize = 8;
    /// Inhibitory synaptic reversal potential (mV).
    pub const E_REV_I: usize = 9;
    /// exp(-h / (2 tau_syn_E)): conductance propagator over half a sub-step.
    pub const HALF_E: usize = 10;
    /// exp(-h / (2 tau_syn_I)).
    pub const HALF_I: usize = 11;
    /// Constant current (nA).
    pub const I_OFFSET: usize = 12;
    /// Sub-step h (ms).
    pub const H: usize = 13;
    /// h / 2 (ms).
    pub const H_HALF: usize = 14;
    /// h / 6 (ms).
    pub const H_SIXTH: usize = 15;
    /// Sub-steps per step (a whole number, stored as f32).
    pub const SUBSTEPS: usize = 16;
    /// Number of kernel parameters.
    pub const COUNT: usize = 17;
}

/// State indices (`[S][n]` layout).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Excitatory conductance (µS).
    pub const G_E: usize = 1;
    /// Inhibitory conductance (µS).
    pub const G_I: usize = 2;
    /// Sodium activation m.
    pub const M: usize = 3;
    /// Sodium inactivation h.
    pub const H: usize = 4;
    /// Potassium activation n.
    pub const N: usize = 5;
}

/// PyNN parameters, names, defaults and units (PyNN's order).
pub const PARAMS: [ParamSpec; 13] = [
    ParamSpec { name: "gbar_Na", default: 20.0, unit: "uS" },
    ParamSpec { name: "gbar_K", default: 6.0, unit: "uS" },
    ParamSpec { name: "g_leak", default: 0.01, unit: "uS" },
    ParamSpec { name: "cm", default: 0.2, unit: "nF" },
    ParamSpec { name: "v_offset", default: -63.0, unit: "mV" },
    ParamSpec { name: "e_rev_Na", default: 50.0, unit: "mV" },
    ParamSpec { name: "e_rev_K", default: -90.0, unit: "mV" },
    ParamSpec { name: "e_rev_leak", default: -65.0, unit: "mV" },
    ParamSpec { name: "e_rev_E", default: 0.0, unit: "mV" },
    ParamSpec { name: "e_rev_I", default: -80.0, unit: "mV" },
    ParamSpec { name: "tau_syn_E", default: 0.2, unit: "ms" },
    ParamSpec { name: "tau_syn_I", default: 2.0, unit: "ms" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
];

const STATE: [StateSpec; 6] = [
    StateSpec { name: "v", unit: "mV" },
    StateSpec { name: "gsyn_exc", unit: "uS" },
    StateSpec { name: "gsyn_inh", unit: "uS" },
    StateSpec { name: "m", unit: "" },
    StateSpec { name: "h", unit: "" },
    StateSpec { name: "n", unit: "" },
];

/// PyNN's initial membrane potential of `HH_cond_exp`, mV.
pub const V_INIT: f64 = -65.0;

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "HH_cond_exp",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_hh_cond_exp",
    receives_input: true,
    conductance_based: true,
    integrator: "RK4 in sub-steps of <= 0.02 ms (more if the channel densities demand), exact conductance decay",
    reads_table: false,
};

/// `HH_cond_exp` parameters (PyNN names, defaults and units).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HhCondExp {
    /// Maximal sodium conductance, µS (20).
    #[serde(rename = "gbar_Na")]
    pub gbar_na: Param,
    /// Maximal potassium conductance, µS (6).
    #[serde(rename = "gbar_K")]
    pub gbar_k: Param,
    /// Leak conductance, µS (0.01).
    pub g_leak: Param,
    /// Membrane capacitance, nF (0.2).
    pub cm: Param,
    /// Offset of the rate functions' voltage (NEST's V_T), mV (−63).
    pub v_offset: Param,
    /// Sodium reversal potential, mV (50).
    #[serde(rename = "e_rev_Na")]
    pub e_rev_na: Param,
    /// Potassium reversal potential, mV (−90).
    #[serde(rename = "e_rev_K")]
    pub e_rev_k: Param,
    /// Leak reversal potential, mV (−65).
    pub e_rev_leak: Param,
    /// Excitatory reversal potential, mV (0).
    #[serde(rename = "e_rev_E")]
    pub e_rev_e: Param,
    /// Inhibitory reversal potential, mV (−80).
    #[serde(rename = "e_rev_I")]
    pub e_rev_i: Param,
    /// Excitatory synaptic time constant, ms (0.2).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: Param,
    /// Inhibitory synaptic time constant, ms (2).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: Param,
    /// Constant injected current, nA (0).
    pub i_offset: Param,
}

impl Default for HhCondExp {
    fn default() -> Self {
        let d = |i: usize| Param::Const(PARAMS[i].default);
        Self {
            gbar_na: d(0),
            gbar_k: d(1),
            g_leak: d(2),
            cm: d(3),
            v_offset: d(4),
            e_rev_na: d(5),
            e_rev_k: d(6),
            e_rev_leak: d(7),
            e_rev_e: d(8),
            e_rev_i: d(9),
            tau_syn_e: d(10),
            tau_syn_i: d(11),
            i_offset: d(12),
        }
    }
}

impl HhCondExp {
    /// Parameters in [`PARAMS`] order.
    pub fn params(&self) -> Vec<Param> {
        vec![
            self.gbar_na.clone(),
            self.gbar_k.clone(),
            self.g_leak.clone(),
            self.cm.clone(),
            self.v_offset.clone(),
            self.e_rev_na.clone(),
            self.e_rev_k.clone(),
            self.e_rev_leak.clone(),
            self.e_rev_e.clone(),
            self.e_rev_i.clone(),
            self.tau_syn_e.clone(),
            self.tau_syn_i.clone(),
            self.i_offset.clone(),
        ]
    }
}

/// Sub-steps per step of `dt` ms for one neuron (see the module docs).
pub fn substeps(dt: f64, gbar_na: f64, gbar_k: f64, g_leak: f64, cm: f64) -> f64 {
    let accuracy = (dt / MAX_SUBSTEP_MS - 1e-9).ceil();
    let stability = (dt * (gbar_na + gbar_k + g_leak) / (cm * RK4_STABILITY) - 1e-9).ceil();
    accuracy.max(stability).max(1.0)
}

/// NEST's `hh_cond_exp_traub` rules, and a bound on the sub-step count.
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    t.check_finite(&[])?;
    t.check("cm", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_E", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_I", "must be > 0", |v| v > 0.0)?;
    t.check("gbar_Na", "must be ≥ 0", |v| v >= 0.0)?;
    t.check("gbar_K", "must be ≥ 0", |v| v >= 0.0)?;
    t.check("g_leak", "must be ≥ 0", |v| v >= 0.0)?;
    let (g_na, g_k, g_l, cm) = (t.get("gbar_Na"), t.get("gbar_K"), t.get("g_leak"), t.get("cm"));
    if let Some(i) = (0..t.len()).find(|&i| substeps(dt, g_na[i], g_k[i], g_l[i], cm[i]) > f64::from(MAX_SUBSTEPS)) {
        return Err(ModelError::Invalid {
            cell_type: t.spec.cell_type,
            field: "cm".into(),
            rule: format!(
                "(gbar_Na + gbar_K + g_leak) / cm = {:.4} per ms needs more than {MAX_SUBSTEPS} RK4 sub-steps per step of dt = {dt} ms; \
                 use a smaller dt",
                (g_na[i] + g_k[i] + g_l[i]) / cm[i]
            ),
            neuron: i,
            value: cm[i],
        });
    }
    Ok(())
}

/// Kernel parameters `[K][n]` for step `dt` (ms).
pub fn derive(t: &ParamTable, dt: f64) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let (g_na, g_k, g_l, cm) = (t.get("gbar_Na"), t.get("gbar_K"), t.get("g_leak"), t.get("cm"));
    let (v_offset, e_na, e_k, e_l) = (t.get("v_offset"), t.get("e_rev_Na"), t.get("e_rev_K"), t.get("e_rev_leak"));
    let (e_e, e_i, tau_e, tau_i, i_offset) =
        (t.get("e_rev_E"), t.get("e_rev_I"), t.get("tau_syn_E"), t.get("tau_syn_I"), t.get("i_offset"));
    for i in 0..n {
        let m = substeps(dt, g_na[i], g_k[i], g_l[i], cm[i]);
        let h = dt / m;
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        set(k::G_NA, g_na[i]);
        set(k::G_K, g_k[i]);
        set(k::G_LEAK, g_l[i]);
        set(k::INV_CM, 1.0 / cm[i]);
        set(k::V_OFFSET, v_offset[i]);
        set(k::E_NA, e_na[i]);
        set(k::E_K, e_k[i]);
        set(k::E_LEAK, e_l[i]);
        set(k::E_REV_E, e_e[i]);
        set(k::E_REV_I, e_i[i]);
        set(k::HALF_E, (-0.5 * h / tau_e[i]).exp());
        set(k::HALF_I, (-0.5 * h / tau_i[i]).exp());
        set(k::I_OFFSET, i_offset[i]);
        set(k::H, h);
        set(k::H_HALF, 0.5 * h);
        set(k::H_SIXTH, h / 6.0);
        set(k::SUBSTEPS, m);
    }
    out
}

/// PyNN's default initial values: v = −65 mV, m = 0, h = 1, n = 0, no synaptic conductance.
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let n = t.len();
    vec![vec![V_INIT; n], vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![1.0; n], vec![0.0; n]]
}
