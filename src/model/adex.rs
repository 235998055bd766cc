//! What the two AdEx cell types (`EIF_cond_exp_isfa_ista`, `EIF_cond_alpha_isfa_ista`) share:
//! the PyNN parameters, the membrane and adaptation equations, the integrator, validation and
//! the derived kernel constants. The two differ only in the synaptic conductance waveform
//! (exponential or alpha), see [`super::eif_cond_exp_isfa_ista`] and
//! [`super::eif_cond_alpha_isfa_ista`]. Kernel side: `shaders/shared/adex.wgsl` (mirrored by
//! `crate::cpu::adex`).
//!
//! ```text
//! cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((min(v, v_spike) - v_thresh) / delta_T)
//!            + g_E (e_rev_E - v) + g_I (e_rev_I - v) - w + i_offset + i_ext,   g_L = cm / tau_m
//! tau_w dw/dt = a (v - v_rest) - w
//! v >= v_spike: spike, v <- v_reset, w <- w + b, v clamped at v_reset for tau_refrac (w evolves)
//! ```
//!
//! Units (PyNN's): v in mV, w, b, i_offset in nA, cm in nF, conductances in µS — except `a`,
//! which PyNN gives in **nS** (the kernel uses a / 1000 µS). `v_thresh` is the soft threshold
//! V_T of the exponential term; `v_spike` (V_peak in NEST) is where a spike is detected.
//!
//! **Integrator: classical RK4 on (v, w) in fixed sub-steps of h = dt / ceil(dt / 0.05 ms)**
//! (two per step at dt = 0.1 ms), with the synaptic conductances taken from their exact
//! solution at each stage's time (start, midpoint, end of the sub-step). Why: the exponential
//! term makes the upswing before a spike stiff and strongly curved; exponential Euler (the LIF
//! scheme) and forward Euler at dt = 0.1 ms are visibly late (Brian2's Euler: 0.79 ms by the
//! eighth spike), while RK4 at h = 0.05 ms leaves the crossing times within ~0.07 ms of the
//! RK4 dt = 0.001 ms reference over 200 ms, and every stamped spike in the step that holds the
//! reference's (8 of 8, worst 0.093 ms; tests/adex_hh.rs). Smaller sub-steps bought nothing
//! visible in the stamped times (which have a resolution of dt) and cost proportionally.
//!
//! **Blow-up guard.** As in NEST's aeif models, the exponential uses `min(v, v_spike)`, so its
//! argument never exceeds `(v_spike - v_thresh) / delta_T`, which validation bounds by
//! [`MAX_EXP_ARG`] (e^30 ≈ 1e13): every stage stays finite however far v overshoots v_spike in
//! the sub-step that crosses it.
//!
//! **Spikes and refractoriness in sub-steps.** v ≥ v_spike is tested after every sub-step; on a
//! crossing v ← v_reset and w ← w + b at once, and the clamp starts: `round(n - 1 + f)` further
//! sub-steps, `n = round(tau_refrac / h)`, f the crossing's linearly interpolated fraction of
//! the sub-step (the rule of the LIF models, one level finer), so the dead time is tau_refrac
//! to within h/2, unbiased (clamping from the end of the crossing sub-step instead is biased
//! late by h/2 per spike: 0.19 ms by the reference's eighth spike). While clamped, w relaxes exactly towards a (v_reset − v_rest)
//! (`w_inf + (w - w_inf) exp(-h / tau_w)`). The spike is stamped at the end of the step (NEST's
//! and the reference's convention); at most one spike per step is emitted (with tau_refrac <
//! dt a neuron may reset twice in one step; both resets add b, one spike is sent).

use super::{ModelError, ParamSpec, ParamTable, StateSpec};

/// Largest sub-step, ms (RK4 accuracy at the AdEx upswing; see the module docs).
pub const MAX_SUBSTEP_MS: f64 = 0.05;

/// Bound on the exponential's argument `(v_spike - v_thresh) / delta_T`: e^30 ≈ 1.1e13 keeps
/// every RK4 stage finite in f32 (NEST's aeif models have the same kind of overflow rule).
pub const MAX_EXP_ARG: f64 = 30.0;

/// Kernel parameter rows shared by both AdEx kernels (`[K][n]` layout); mirrored by the
/// `K_` constants of `shaders/integrate_eif_cond_*_isfa_ista.wgsl` (checked by a test).
pub mod k {
    /// Leak reversal potential v_rest (mV).
    pub const E_L: usize = 0;
    /// Reset potential (mV).
    pub const V_RESET: usize = 1;
    /// Spike detection potential v_spike (mV).
    pub const V_SPIKE: usize = 2;
    /// Soft threshold V_T of the exponential term (mV).
    pub const V_THRESH: usize = 3;
    /// 1 / delta_T (1/mV).
    pub const INV_DELTA_T: usize = 4;
    /// Leak conductance cm / tau_m (µS).
    pub const G_L: usize = 5;
    /// g_L · delta_T (nA).
    pub const G_L_DELTA_T: usize = 6;
    /// 1 / cm (1/nF).
    pub const INV_CM: usize = 7;
    /// Sub-threshold adaptation a / 1000 (µS).
    pub const A: usize = 8;
    /// Spike-triggered adaptation b (nA).
    pub const B: usize = 9;
    /// 1 / tau_w (1/ms).
    pub const INV_TAU_W: usize = 10;
    /// exp(-h / tau_w): w's relaxation over one clamped sub-step.
    pub const DECAY_W: usize = 11;
    /// Excitatory reversal potential (mV).
    pub const E_REV_E: usize = 12;
    /// Inhibitory reversal potential (mV).
    pub const E_REV_I: usize = 13;
    /// exp(-h / (2 tau_syn_E)): conductance propagator over half a sub-step.
    pub const HALF_E: usize = 14;
    /// exp(-h / (2 tau_syn_I)).
    pub const HALF_I: usize = 15;
    /// Constant current (nA).
    pub const I_OFFSET: usize = 16;
    /// Sub-step h (ms).
    pub const H: usize = 17;
    /// h / 2 (ms).
    pub const H_HALF: usize = 18;
    /// h / 6 (ms).
    pub const H_SIXTH: usize = 19;
    /// Sub-steps per step (a whole number, stored as f32).
    pub const SUBSTEPS: usize = 20;
    /// Refractory period in sub-steps, round(tau_refrac / h).
    pub const REFRAC: usize = 21;
    /// Number of shared rows.
    pub const COUNT: usize = 22;
}

/// State rows shared by both AdEx kernels (`[S][n]` layout).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Adaptation current (nA).
    pub const W: usize = 1;
    /// Excitatory conductance (µS).
    pub const G_E: usize = 2;
    /// Inhibitory conductance (µS).
    pub const G_I: usize = 3;
}

/// PyNN parameters of both AdEx cell types (PyNN's order, names, defaults and units).
pub const PARAMS: [ParamSpec; 16] = [
    ParamSpec { name: "cm", default: 0.281, unit: "nF" },
    ParamSpec { name: "tau_refrac", default: 0.1, unit: "ms" },
    ParamSpec { name: "v_spike", default: -40.0, unit: "mV" },
    ParamSpec { name: "v_reset", default: -70.6, unit: "mV" },
    ParamSpec { name: "v_rest", default: -70.6, unit: "mV" },
    ParamSpec { name: "tau_m", default: 9.3667, unit: "ms" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
    ParamSpec { name: "a", default: 4.0, unit: "nS" },
    ParamSpec { name: "b", default: 0.0805, unit: "nA" },
    ParamSpec { name: "delta_T", default: 2.0, unit: "mV" },
    ParamSpec { name: "tau_w", default: 144.0, unit: "ms" },
    ParamSpec { name: "v_thresh", default: -50.4, unit: "mV" },
    ParamSpec { name: "e_rev_E", default: 0.0, unit: "mV" },
    ParamSpec { name: "tau_syn_E", default: 5.0, unit: "ms" },
    ParamSpec { name: "e_rev_I", default: -80.0, unit: "mV" },
    ParamSpec { name: "tau_syn_I", default: 5.0, unit: "ms" },
];

/// State variables shared by both (the alpha kernel appends its rise variables).
pub const STATE: [StateSpec; 4] = [
    StateSpec { name: "v", unit: "mV" },
    StateSpec { name: "w", unit: "nA" },
    StateSpec { name: "gsyn_exc", unit: "uS" },
    StateSpec { name: "gsyn_inh", unit: "uS" },
];

/// Sub-steps per step of `dt` ms: the fewest with h ≤ [`MAX_SUBSTEP_MS`].
pub fn substeps(dt: f64) -> u32 {
    ((dt / MAX_SUBSTEP_MS) - 1e-9).ceil().max(1.0) as u32
}

/// NEST's `aeif_cond_*` rules (with delta_T > 0: the exponential is always on) and f32's
/// overflow bound on the exponential.
pub fn validate(t: &ParamTable, dt: f64) -> Result<(), ModelError> {
    t.check_finite(&[])?;
    t.check("cm", "must be > 0", |v| v > 0.0)?;
    t.check("tau_m", "must be > 0", |v| v > 0.0)?;
    t.check("tau_w", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_E", "must be > 0", |v| v > 0.0)?;
    t.check("tau_syn_I", "must be > 0", |v| v > 0.0)?;
    t.check("tau_refrac", "must be ≥ 0", |v| v >= 0.0)?;
    t.check("delta_T", "must be > 0", |v| v > 0.0)?;
    t.check_pair("v_reset", "v_spike", "must be below v_spike", |r, s| r < s)?;
    t.check_pair("v_thresh", "v_spike", "must be ≤ v_spike (NEST: V_peak ≥ V_th)", |th, s| th <= s)?;
    let (v_spike, v_thresh, delta_t) = (t.get("v_spike"), t.get("v_thresh"), t.get("delta_T"));
    if let Some(i) = (0..t.len()).find(|&i| (v_spike[i] - v_thresh[i]) / delta_t[i] > MAX_EXP_ARG) {
        return Err(ModelError::Invalid {
            cell_type: t.spec.cell_type,
            field: "delta_T".into(),
            rule: format!("(v_spike - v_thresh) / delta_T must be ≤ {MAX_EXP_ARG} (the exponential would overflow f32)"),
            neuron: i,
            value: delta_t[i],
        });
    }
    let h = dt / f64::from(substeps(dt));
    t.check("tau_refrac", &format!("must be < 2^24 sub-steps of {h} ms"), |v| v / h < 16_777_216.0)?;
    Ok(())
}

/// The shared kernel rows `[k::COUNT][n]` for step `dt` (ms); `out` must hold at least that
/// many rows of `n` (the alpha kernel appends its own after them).
pub fn derive_into(t: &ParamTable, dt: f64, out: &mut [f32]) {
    let n = t.len();
    let m = substeps(dt);
    let h = dt / f64::from(m);
    let (cm, tau_refrac, v_spike, v_reset) = (t.get("cm"), t.get("tau_refrac"), t.get("v_spike"), t.get("v_reset"));
    let (v_rest, tau_m, i_offset, a) = (t.get("v_rest"), t.get("tau_m"), t.get("i_offset"), t.get("a"));
    let (b, delta_t, tau_w, v_thresh) = (t.get("b"), t.get("delta_T"), t.get("tau_w"), t.get("v_thresh"));
    let (e_e, tau_e, e_i, tau_i) = (t.get("e_rev_E"), t.get("tau_syn_E"), t.get("e_rev_I"), t.get("tau_syn_I"));
    for i in 0..n {
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        let g_l = cm[i] / tau_m[i];
        set(k::E_L, v_rest[i]);
        set(k::V_RESET, v_reset[i]);
        set(k::V_SPIKE, v_spike[i]);
        set(k::V_THRESH, v_thresh[i]);
        set(k::INV_DELTA_T, 1.0 / delta_t[i]);
        set(k::G_L, g_l);
        set(k::G_L_DELTA_T, g_l * delta_t[i]);
        set(k::INV_CM, 1.0 / cm[i]);
        set(k::A, a[i] / 1000.0);
        set(k::B, b[i]);
        set(k::INV_TAU_W, 1.0 / tau_w[i]);
        set(k::DECAY_W, (-h / tau_w[i]).exp());
        set(k::E_REV_E, e_e[i]);
        set(k::E_REV_I, e_i[i]);
        set(k::HALF_E, (-0.5 * h / tau_e[i]).exp());
        set(k::HALF_I, (-0.5 * h / tau_i[i]).exp());
        set(k::I_OFFSET, i_offset[i]);
        set(k::H, h);
        set(k::H_HALF, 0.5 * h);
        set(k::H_SIXTH, h / 6.0);
        set(k::SUBSTEPS, f64::from(m));
        set(k::REFRAC, (tau_refrac[i] / h).round());
    }
}

/// v = v_rest, w = 0, no synaptic conductance (PyNN's default initial values); `extra` zero
/// rows are appended (the alpha kernel's rise variables).
pub fn initial_state(t: &ParamTable, extra: usize) -> Vec<Vec<f64>> {
    let n = t.len();
    let mut s = vec![t.get("v_rest").to_vec(), vec![0.0; n], vec![0.0; n], vec![0.0; n]];
    s.extend((0..extra).map(|_| vec![0.0; n]));
    s
}
