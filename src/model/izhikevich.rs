//! `Izhikevich`: the simple model of Izhikevich (2003), PyNN's `Izhikevich` cell type.
//!
//! ```text
//! dv/dt = k2 v² + k1 v + k0 − u + I        k2, k1, k0 = 0.04 /mV/ms, 5 /ms, 140 mV/ms
//! du/dt = a (b (v − v_u) − k_u u)           v_u = 0 mV, k_u = 1: Izhikevich's a (b v − u)
//! v ≥ 30 mV: spike, v ← c, u ← u + d        (no refractory period)
//! I = 1000 · (i_offset + i_ext)             currents in nA, I in the paper's units (pA)
//! a spike of weight w arriving in a step: v ← v + w (mV) at the start of that step
//! ```
//!
//! **Units.** v, c and v_u are mV; u and d are mV/ms; a and b are 1/ms (PyNN's units). Currents
//! are PyNN's nA, but the paper's `I` is in pA on an implicit 1 pF membrane (so that
//! `pA / pF = mV/ms`): the kernel uses `I = 1000 · (i_offset + i_ext)`, as PyNN and NEST do
//! (`i_offset = 0.01` nA is NEST's `I_e = 10` pA). A paper current of 14 is therefore
//! `i_offset = 0.014` nA. Synapses are NEST's `izhikevich` delta synapses: the weight is the
//! jump of v in mV (excitatory ≥ 0, inhibitory ≤ 0), applied at the start of the step in which
//! the spike arrives; the model is not conductance based.
//!
//! **Non-PyNN parameters**, whose defaults give the standard model:
//! * `k2`, `k1`, `k0`: the quadratic `k2 v² + k1 v + k0`. Izhikevich (2004) uses
//!   0.04 v² + 4.1 v + 108 for the class 1 excitable and integrator cells (figure 1 G, L).
//! * `v_u`, `k_u`: the recovery equation `u' = a (b (v − v_u) − k_u u)`. Accommodation
//!   (figure 1 R) uses `u' = a b (v + 65)`: `v_u = −65`, `k_u = 0`.
//! * `v0`, `u0`: the initial state, as pyN's `IzhikevichPopulation(a, b, c, d, v0, u0)` carries
//!   it. `u0` absent (NaN in the parameter table) means `b · v0` (Izhikevich's `u = b*v`, pyN's
//!   `u0=None`); with the defaults that is PyNN's u = −14. `Population::initial("v"/"u", ..)`
//!   overrides either value afterwards, as PyNN's `initial_values` do. [`Izhikevich::pyn`]
//!   builds a cell from a pyN parameter set.
//!
//! **Integrator** (per population, [`IzhikevichNumerics`]):
//! * `Rk4` (default): classical Runge–Kutta with `N = ⌈dt / 0.02 ms⌉` fixed sub-steps per step
//!   (5 at dt = 0.1 ms). A sub-step that ends at or above v_peak = 30 mV is cut at the crossing
//!   (linear interpolation of v within the sub-step, fraction θ): u is interpolated there, the
//!   neuron is reset (v ← c, u ← u + d) and integrated for the remaining (1 − θ) of the
//!   sub-step, then the step goes on. Resetting at the sub-step's end instead would delay
//!   every reset by h/2 on average, a phase lag that accumulates from spike to spike (0.56 ms
//!   after the 28 spikes of the fast-spiking reference case even at h = 0.01 ms, in a float64
//!   prototype); interpolation removes it, so the step size only has to resolve the
//!   sub-threshold dynamics. The spike is stamped at the end of the step (t + dt), like every
//!   spikeflow model; a neuron that crosses twice in one step is reset twice but emits one
//!   spike. Measured at dt = 0.1 ms against the Brian2 RK4 dt = 0.001 ms references (RS, FS,
//!   tonic spiking, tonic bursting; tests/izhikevich.rs): every spike within 0.092 ms (less
//!   than one step), v before the first spike within 2.1e-4 mV.
//! * `Published`: Izhikevich's own numerics (2003 paper's `net.m`; NEST's `izhikevich` with
//!   `consistent_integration = false`): forward Euler, v advanced in two half-steps of dt/2 with
//!   u frozen, then u in one step of dt using the new v; then the threshold test. Kept to
//!   reproduce published runs, not for accuracy: at dt = 0.1 ms it is off by milliseconds
//!   after a few spikes (NEST's source calls it "not recommended"). NEST's branch adds the spike
//!   input inside each half-step (so a weight w moves v by dt·w); spikeflow adds it as a jump in
//!   both modes. The figures of Izhikevich (2004) were drawn with yet another variant
//!   (`figure1.m`: one Euler step of 0.1–0.5 ms), which is why some of them are not what the
//!   exact model does; see [`super::izhikevich_behaviours`].
//!
//! **Same bits on every back end.** The kernel does not divide (WGSL promises division only to
//! 2.5 ulp; θ uses a Newton reciprocal built from + and ×), and it passes the RK4 slopes and
//! results through an opaque identity (`fence`), because shader compilers rewrite
//! floating-point expressions inexactly (Mesa's NIR turns a·x + a·y into a·(x + y) and
//! (u + x) − u into x), which parted GPU from CPU in 1 neuron of ~300 per step before.
//!
//! **Guards.** The threshold test runs before integration too, so a synaptic jump to or above
//! v_peak resets the neuron in that step. After the synaptic jump v is floored at −10⁴ mV (as
//! NEST's `V_min`), and the derivative sees v clamped to ±10⁴ mV, so no sub-step overflows f32
//! even for absurd inputs (tested with ±10⁶ mV kicks and 10⁵ nA); whatever still turns
//! non-finite is reported by the kernel's finiteness check. Neither bound is reached by any
//! physiological trajectory.

use super::{ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use serde::{Deserialize, Serialize};

/// Spike cut-off v_peak (mV); mirrored by `V_PEAK` in `shaders/integrate_izhikevich.wgsl`.
pub const V_PEAK: f32 = 30.0;

/// Bound on |v| (mV) in the derivative and floor of v after synaptic input (overflow guard);
/// mirrored by `V_BOUND` in the shader.
pub const V_BOUND: f32 = 10_000.0;

/// Longest RK4 sub-step, ms: `N = ⌈dt / MAX_SUBSTEP_MS⌉` sub-steps per step.
pub const MAX_SUBSTEP_MS: f64 = 0.02;

/// Kernel parameter indices (`[K][n]` layout); mirrored by the constants in
/// `shaders/integrate_izhikevich.wgsl` (checked by a test).
pub mod k {
    /// Time scale of u (1/ms).
    pub const A: usize = 0;
    /// Sensitivity of u to v (1/ms).
    pub const B: usize = 1;
    /// Reset value of v (mV).
    pub const C: usize = 2;
    /// Increment of u at a spike (mV/ms).
    pub const D: usize = 3;
    /// Constant current in the paper's units, 1000 · i_offset (pA).
    pub const I_OFFSET: usize = 4;
    /// Quadratic coefficient (1/(mV ms)).
    pub const K2: usize = 5;
    /// Linear coefficient (1/ms).
    pub const K1: usize = 6;
    /// Constant term (mV/ms).
    pub const K0: usize = 7;
    /// Offset of v in the u equation (mV).
    pub const V_U: usize = 8;
    /// Coefficient of u in the u equation.
    pub const K_U: usize = 9;
    /// RK4 sub-step h = dt / N (ms).
    pub const H: usize = 10;
    /// Number of RK4 sub-steps N.
    pub const SUBSTEPS: usize = 11;
    /// The time step dt (ms), used by the published numerics.
    pub const DT: usize = 12;
    /// 0: RK4 sub-steps; 1: published numerics.
    pub const NUMERICS: usize = 13;
    /// h / 6 (ms), RK4's weight; a parameter rather than `h * (1/6)` in the kernel, so that no
    /// shader compiler can reassociate the constant (which changes the rounding).
    pub const H6: usize = 14;
    /// Number of kernel parameters.
    pub const COUNT: usize = 15;
}

/// State indices (`[S][n]` layout).
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Recovery variable (mV/ms).
    pub const U: usize = 1;
}

/// Parameters: PyNN's five, then the initial state and the equation variants (non-PyNN).
pub const PARAMS: [ParamSpec; 12] = [
    ParamSpec { name: "a", default: 0.02, unit: "1/ms" },
    ParamSpec { name: "b", default: 0.2, unit: "1/ms" },
    ParamSpec { name: "c", default: -65.0, unit: "mV" },
    ParamSpec { name: "d", default: 2.0, unit: "mV/ms" },
    ParamSpec { name: "i_offset", default: 0.0, unit: "nA" },
    ParamSpec { name: "v0", default: -70.0, unit: "mV" },
    // NaN: b · v0.
    ParamSpec { name: "u0", default: f64::NAN, unit: "mV/ms" },
    ParamSpec { name: "k2", default: 0.04, unit: "1/(mV ms)" },
    ParamSpec { name: "k1", default: 5.0, unit: "1/ms" },
    ParamSpec { name: "k0", default: 140.0, unit: "mV/ms" },
    ParamSpec { name: "v_u", default: 0.0, unit: "mV" },
    ParamSpec { name: "k_u", default: 1.0, unit: "" },
];

const STATE: [StateSpec; 2] = [StateSpec { name: "v", unit: "mV" }, StateSpec { name: "u", unit: "mV/ms" }];

/// Model description.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "Izhikevich",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_izhikevich",
    receives_input: true,
    conductance_based: false,
    integrator: "RK4 with ⌈dt/0.02 ms⌉ sub-steps, reset at the interpolated crossing (default); or Izhikevich's published Euler half-steps",
    reads_table: false,
};

/// How an [`Izhikevich`] population is integrated (see the module documentation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IzhikevichNumerics {
    /// RK4 with fixed sub-steps and an interpolated reset: accurate at dt = 0.1 ms.
    #[default]
    Rk4,
    /// Izhikevich (2003) / NEST `consistent_integration = false`: two Euler half-steps for v,
    /// one for u with the new v. Reproduces published runs, inaccurate.
    Published,
}

/// `Izhikevich` parameters (PyNN names, defaults and units, plus the documented extras).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Izhikevich {
    /// Time scale of the recovery variable u, 1/ms (0.02).
    pub a: Param,
    /// Sensitivity of u to v, 1/ms (0.2).
    pub b: Param,
    /// After-spike reset of v, mV (−65).
    pub c: Param,
    /// After-spike increment of u, mV/ms (2).
    pub d: Param,
    /// Constant injected current, nA (0); the model sees 1000 · i_offset.
    pub i_offset: Param,
    /// Initial v, mV (−70).
    pub v0: Param,
    /// Initial u, mV/ms (absent: b · v0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u0: Option<Param>,
    /// Coefficient of v² in dv/dt, 1/(mV ms) (0.04).
    pub k2: Param,
    /// Coefficient of v in dv/dt, 1/ms (5).
    pub k1: Param,
    /// Constant term of dv/dt, mV/ms (140).
    pub k0: Param,
    /// Offset of v in du/dt = a (b (v − v_u) − k_u u), mV (0).
    pub v_u: Param,
    /// Coefficient of u in du/dt (1; 0 for Izhikevich's accommodation variant).
    pub k_u: Param,
    /// Integration scheme of the population (RK4).
    pub numerics: IzhikevichNumerics,
}

impl Default for Izhikevich {
    fn default() -> Self {
        let d = |i: usize| Param::Const(PARAMS[i].default);
        Self {
            a: d(0),
            b: d(1),
            c: d(2),
            d: d(3),
            i_offset: d(4),
            v0: d(5),
            u0: None,
            k2: d(7),
            k1: d(8),
            k0: d(9),
            v_u: d(10),
            k_u: d(11),
            numerics: IzhikevichNumerics::Rk4,
        }
    }
}

impl Izhikevich {
    /// A cell from one of pyN's parameter sets, `IzhikevichPopulation(a, b, c, d, v0, u0)`
    /// (`u0 = None`: b · v0), everything else at its default.
    #[must_use]
    pub fn pyn(a: f64, b: f64, c: f64, d: f64, v0: f64, u0: Option<f64>) -> Self {
        Self { a: a.into(), b: b.into(), c: c.into(), d: d.into(), v0: v0.into(), u0: u0.map(Param::Const), ..Self::default() }
    }

    /// The same cell integrated with `numerics`.
    #[must_use]
    pub fn with_numerics(mut self, numerics: IzhikevichNumerics) -> Self {
        self.numerics = numerics;
        self
    }

    /// Parameters in [`PARAMS`] order (an absent `u0` is NaN).
    pub fn params(&self) -> Vec<Param> {
        vec![
            self.a.clone(),
            self.b.clone(),
            self.c.clone(),
            self.d.clone(),
            self.i_offset.clone(),
            self.v0.clone(),
            self.u0.clone().unwrap_or(Param::Const(f64::NAN)),
            self.k2.clone(),
            self.k1.clone(),
            self.k0.clone(),
            self.v_u.clone(),
            self.k_u.clone(),
        ]
    }
}

/// Every parameter finite (u0 may be NaN: b · v0), and the reset below the spike cut-off
/// (otherwise a reset would itself be a spike).
pub fn validate(t: &ParamTable) -> Result<(), ModelError> {
    for p in PARAMS.iter().filter(|p| p.name != "u0") {
        t.check(p.name, "must be finite (not NaN or infinite)", f64::is_finite)?;
    }
    t.check("u0", "must be finite (or absent/NaN for b·v0)", |v| !v.is_infinite())?;
    t.check("c", &format!("must be below the spike cut-off v_peak = {V_PEAK} mV"), |v| v < f64::from(V_PEAK))?;
    Ok(())
}

/// RK4 sub-steps per step of `dt` ms: `⌈dt / 0.02 ms⌉` (at least 1).
pub fn substeps(dt: f64) -> u32 {
    // The tolerance keeps dt = 0.1 at 5 sub-steps despite 0.1 / 0.02 = 5.000000000000001.
    ((dt / MAX_SUBSTEP_MS) - 1e-9).ceil().max(1.0) as u32
}

/// Kernel parameters `[K][n]` for step `dt` (ms) and the population's numerics.
pub fn derive(t: &ParamTable, dt: f64, numerics: IzhikevichNumerics) -> Vec<f32> {
    let n = t.len();
    let mut out = vec![0f32; k::COUNT * n];
    let steps = substeps(dt);
    let h = dt / f64::from(steps);
    let mode = match numerics {
        IzhikevichNumerics::Rk4 => 0.0,
        IzhikevichNumerics::Published => 1.0,
    };
    let copied: [(usize, &[f64]); 9] = [
        (k::A, t.get("a")),
        (k::B, t.get("b")),
        (k::C, t.get("c")),
        (k::D, t.get("d")),
        (k::K2, t.get("k2")),
        (k::K1, t.get("k1")),
        (k::K0, t.get("k0")),
        (k::V_U, t.get("v_u")),
        (k::K_U, t.get("k_u")),
    ];
    let i_offset = t.get("i_offset");
    for i in 0..n {
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        for (row, values) in &copied {
            set(*row, values[i]);
        }
        set(k::I_OFFSET, 1000.0 * i_offset[i]);
        set(k::H, h);
        set(k::H6, h / 6.0);
        set(k::SUBSTEPS, f64::from(steps));
        set(k::DT, dt);
        set(k::NUMERICS, mode);
    }
    out
}

/// v = v0, u = u0 (or b · v0 where u0 is NaN).
pub fn initial_state(t: &ParamTable) -> Vec<Vec<f64>> {
    let (v0, u0, b) = (t.get("v0"), t.get("u0"), t.get("b"));
    let u = v0.iter().zip(u0).zip(b).map(|((&v, &u), &b)| if u.is_nan() { b * v } else { u }).collect();
    vec![v0.to_vec(), u]
}
