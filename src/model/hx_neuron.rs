//! `HXNeuron`: one BrainScaleS-2 neuron circuit, configured in **hardware units** (BSS-2 PyNN's
//! `pynn.cells.HXNeuron`, same parameter names), emulated on the GPU.
//!
//! The parameters are the circuit's configuration: CapMem values 0–1022 for analog
//! potentials and bias currents, the capacitance setting 0–63, the refractory counter 0–255,
//! switches 0/1 (false/true). What they *do* depends on the circuit: each population is placed
//! on consecutive circuits of an emulated chip ([`HxPlacement`]: the chip's seed and the first
//! circuit), and every circuit turns its configuration into biological quantities through its
//! own transfer functions ([`crate::brainscales::chip`], with fixed-pattern deviations). Those
//! quantities are the kernel parameters; the hardware values never reach the kernel.
//!
//! ```text
//! cm dv/dt = g_L (v_leak - v) + g_L Δ_T exp((min(v, v_thresh) - V_T) / Δ_T)     [exponential_enable]
//!            + I_E + I_I                                  (CUBA: currents, nA)
//!            | g_E (E_E - v) + g_I (E_I - v)              (COBA: conductances, µS, per input)
//!            - w + I_const                                [adaptation_enable, constant_current_enable]
//! tau_syn_X dI_X/dt = -I_X          a spike of weight k (0–63) adds k·scale_X (scale_I < 0 in CUBA)
//! tau_w dw/dt = a (v - v_ref) - w                         [adaptation_enable]
//! v >= v_thresh: spike, v <- v_reset, w <- w + b, v clamped for tau_refrac   [threshold_enable]
//! ```
//!
//! Time in the kernel is biological (ms = hardware µs; the chip is 1000× faster), potentials
//! mV (through the CADC map [`crate::brainscales::chip::cadc`]), capacitance nF (hardware pF ×
//! 0.1), currents nA (hardware nA × 0.1), conductances µS (hardware nS × 1e-4): the hardware
//! circuit with time stretched by 1000 and capacitance by 100, so that every time constant
//! and every potential is the hardware's.
//!
//! **Integrator: classical RK4 in sub-steps**, the AdEx scheme of [`super::adex`] (its kernel
//! rows, `AdexConsts` and `adex_dv` are imported by the kernel, not copied), with the synaptic
//! inputs from their exact exponential solution at each RK4 stage. Why RK4 rather than the
//! exact propagators of `IF_curr_exp`: the exponential term and adaptation (both optional,
//! per neuron) make the system non-linear, and one scheme for every configuration keeps the
//! kernel branch-free across neurons. At the emulator's dt = 0.01 ms (10 ns hardware) the
//! step is ≤ 2 % of the shortest membrane time constant BSS-2 calibrates (0.5 µs), where
//! RK4's local error is ~1e-10 of the step: the calibration tests measure tau_m, v_leak,
//! v_thresh and tau_refrac from simulated traces within 0.5 % of the tables' values.
//!
//! Not modelled: reset_i_bias (the reset is an ideal clamp; the chip's settles within its
//! refractory latency for reset_i_bias ≳ 500), the synaptic input's own saturation, noise.

use super::adex::{self, k as adex_k};
use super::{ModelError, ModelSpec, Param, ParamSpec, ParamTable, StateSpec};
use crate::brainscales::chip::{self, cadc, Chip, Circuit};
use serde::{Deserialize, Serialize};

/// Kernel parameter rows: the AdEx rows ([`adex::k`], 0–21, filled from the circuit's
/// biological values) followed by HXNeuron's own; mirrored by the `K_` constants of
/// `shaders/integrate_hx_neuron.wgsl` (checked by a test).
pub mod k {
    pub use super::adex_k::*;
    /// Input per excitatory weight LSB: nA (CUBA) or µS (COBA).
    pub const W_SCALE_E: usize = 22;
    /// Input per inhibitory weight LSB: nA, negative (CUBA) or µS (COBA).
    pub const W_SCALE_I: usize = 23;
    /// 1 when the excitatory input is conductance-based, else 0.
    pub const COBA_E: usize = 24;
    /// 1 when the inhibitory input is conductance-based, else 0.
    pub const COBA_I: usize = 25;
    /// Reference potential of the adaptation, mV.
    pub const V_REF: usize = 26;
    /// Number of kernel parameters.
    pub const COUNT: usize = 27;
}

/// State rows (`[S][n]` layout); the names are BSS-2's recordables.
pub mod s {
    /// Membrane potential (mV).
    pub const V: usize = 0;
    /// Adaptation current w (nA).
    pub const ADAPTATION: usize = 1;
    /// Excitatory synaptic input: current (nA, CUBA) or conductance (µS, COBA).
    pub const EXC_SYNIN: usize = 2;
    /// Inhibitory synaptic input: current (nA, ≤ 0, CUBA) or conductance (µS, COBA).
    pub const INH_SYNIN: usize = 3;
}

/// What kind of hardware value a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwRange {
    /// A whole number in 0..=max.
    Int(u16),
    /// A switch: 0 (false) or 1 (true).
    Bool,
}

impl HwRange {
    /// Whether `v` is allowed.
    #[must_use]
    pub fn contains(self, v: f64) -> bool {
        match self {
            HwRange::Int(max) => v.fract() == 0.0 && (0.0..=f64::from(max)).contains(&v),
            HwRange::Bool => v == 0.0 || v == 1.0,
        }
    }

    /// The rule, for error messages.
    #[must_use]
    pub fn rule(self) -> String {
        match self {
            HwRange::Int(max) => format!("must be a whole number in 0–{max} (hardware range)"),
            HwRange::Bool => "must be 0 or 1 (false or true)".into(),
        }
    }
}

const CM: HwRange = HwRange::Int(chip::CAPMEM_MAX);
const B: HwRange = HwRange::Bool;

/// HXNeuron's parameters: (spec, hardware range). Defaults are BSS-2 PyNN's tutorial
/// configuration where it gives one, otherwise values near the CUBA calibration targets on the
/// ideal circuit (noted per field of [`HxNeuron`]).
pub const HW: [(ParamSpec, HwRange); 32] = [
    (ParamSpec { name: "leak_v_leak", default: 400.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "leak_i_bias", default: 200.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "leak_enable_division", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "leak_enable_multiplication", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "reset_v_reset", default: 300.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "reset_i_bias", default: 1000.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "threshold_v_threshold", default: 400.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "threshold_enable", default: 1.0, unit: "bool" }, B),
    (ParamSpec { name: "membrane_capacitance_capacitance", default: 63.0, unit: "0-63" }, HwRange::Int(chip::CAPACITANCE_MAX)),
    (ParamSpec { name: "refractory_period_refractory_time", default: 100.0, unit: "clock cycles" }, HwRange::Int(chip::REFRACTORY_MAX)),
    (ParamSpec { name: "refractory_period_reset_holdoff", default: 0.0, unit: "clock cycles" }, HwRange::Int(chip::HOLDOFF_MAX)),
    (ParamSpec { name: "refractory_period_input_clock", default: 0.0, unit: "0-1" }, HwRange::Int(1)),
    (ParamSpec { name: "excitatory_input_enable", default: 1.0, unit: "bool" }, B),
    (ParamSpec { name: "excitatory_input_i_bias_tau", default: 244.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "excitatory_input_i_bias_gm", default: 500.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "excitatory_input_enable_coba_mode", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "excitatory_input_i_bias_coba", default: 900.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "inhibitory_input_enable", default: 1.0, unit: "bool" }, B),
    (ParamSpec { name: "inhibitory_input_i_bias_tau", default: 244.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "inhibitory_input_i_bias_gm", default: 500.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "inhibitory_input_enable_coba_mode", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "inhibitory_input_i_bias_coba", default: 250.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "exponential_enable", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "exponential_v_exp", default: 500.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "exponential_i_bias", default: 500.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "adaptation_enable", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "adaptation_v_ref", default: 400.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "adaptation_i_bias_tau", default: 300.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "adaptation_i_bias_a", default: 100.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "adaptation_i_bias_b", default: 100.0, unit: "CapMem" }, CM),
    (ParamSpec { name: "constant_current_enable", default: 0.0, unit: "bool" }, B),
    (ParamSpec { name: "constant_current_i_offset", default: 0.0, unit: "CapMem" }, CM),
];

/// The parameter specs (the first column of [`HW`]).
pub const PARAMS: [ParamSpec; 32] = {
    let mut out = [HW[0].0; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = HW[i].0;
        i += 1;
    }
    out
};

const STATE: [StateSpec; 4] = [
    StateSpec { name: "v", unit: "mV" },
    StateSpec { name: "adaptation", unit: "nA" },
    StateSpec { name: "exc_synin", unit: "nA (CUBA) or uS (COBA)" },
    StateSpec { name: "inh_synin", unit: "nA (CUBA) or uS (COBA)" },
];

/// Model description. Weights are hardware weights (0–63 in strict mode, any value ≥ 0
/// otherwise) for either receptor — the receptor gives the sign, as on the chip — which is
/// the rule the engine applies to conductance-based cells.
pub static SPEC: ModelSpec = ModelSpec {
    cell_type: "HXNeuron",
    params: &PARAMS,
    state: &STATE,
    kernel_params: k::COUNT,
    kernel: "integrate_hx_neuron",
    receives_input: true,
    conductance_based: true,
    integrator: "RK4 in sub-steps of <= 0.05 ms (AdEx scheme), exact synaptic decay, per-circuit transfer functions",
    reads_table: false,
};

/// Where a population sits on an emulated chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HxPlacement {
    /// Seed of the emulated chip ([`Chip::new`]); `None` (the default) is the ideal chip,
    /// whose circuits all follow the nominal curves.
    #[serde(default)]
    pub chip_seed: Option<u64>,
    /// Index (0–511) of the circuit of the population's neuron 0; neuron i uses circuit
    /// `(first_circuit + i) mod 512` ([`circuit_of`]).
    #[serde(default)]
    pub first_circuit: u32,
}

macro_rules! hx_struct {
    ($($(#[$doc:meta])* $field:ident = $i:expr;)*) => {
        /// `HXNeuron` parameters (BSS-2 PyNN names, hardware units; defaults in [`HW`]).
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct HxNeuron {
            $($(#[$doc])* pub $field: Param,)*
            /// The chip and circuits the population is placed on (not a hardware parameter).
            pub placement: HxPlacement,
        }

        impl Default for HxNeuron {
            fn default() -> Self {
                Self { $($field: Param::Const(HW[$i].0.default),)* placement: HxPlacement::default() }
            }
        }

        impl HxNeuron {
            /// Parameters in [`PARAMS`] order.
            pub fn params(&self) -> Vec<Param> {
                vec![$(self.$field.clone()),*]
            }
        }
    };
}

hx_struct! {
    /// Leak potential, CapMem 0–1022 (400; ≈ 80 LSB on the ideal circuit).
    leak_v_leak = 0;
    /// Leak conductance bias, CapMem 0–1022 (200; tau_m ≈ 10 µs at capacitance 63).
    leak_i_bias = 1;
    /// Divide the leak conductance by 8, 0/1 (0).
    leak_enable_division = 2;
    /// Multiply the leak conductance by 8, 0/1 (0).
    leak_enable_multiplication = 3;
    /// Reset potential, CapMem 0–1022 (300; ≈ 70 LSB).
    reset_v_reset = 4;
    /// Reset conductance bias, CapMem 0–1022 (1000; range-checked, the emulated reset is ideal).
    reset_i_bias = 5;
    /// Spike threshold, CapMem 0–1022 (400; ≈ 123 LSB).
    threshold_v_threshold = 6;
    /// Threshold comparator on, 0/1 (1).
    threshold_enable = 7;
    /// Membrane capacitance setting, 0–63 (63 ≈ 2.2 pF).
    membrane_capacitance_capacitance = 8;
    /// Refractory counter, clock cycles 0–255 (100; 2 µs + latency with the fast clock).
    refractory_period_refractory_time = 9;
    /// Cycles before the end of the refractory period at which the reset is released, 0–15 (0).
    refractory_period_reset_holdoff = 10;
    /// Refractory clock: 0 fast (50 MHz), 1 slow (6.25 MHz) (0).
    refractory_period_input_clock = 11;
    /// Excitatory input on, 0/1 (1).
    excitatory_input_enable = 12;
    /// Excitatory time-constant bias, CapMem 0–1022 (244; ≈ 10 µs).
    excitatory_input_i_bias_tau = 13;
    /// Excitatory weight-scale (gm) bias, CapMem 0–1022 (500).
    excitatory_input_i_bias_gm = 14;
    /// Excitatory input conductance-based, 0/1 (0).
    excitatory_input_enable_coba_mode = 15;
    /// Excitatory reversal potential (COBA), CapMem 0–1022 (900; ≈ 287 LSB ≈ −3 mV).
    excitatory_input_i_bias_coba = 16;
    /// Inhibitory input on, 0/1 (1).
    inhibitory_input_enable = 17;
    /// Inhibitory time-constant bias, CapMem 0–1022 (244; ≈ 10 µs).
    inhibitory_input_i_bias_tau = 18;
    /// Inhibitory weight-scale (gm) bias, CapMem 0–1022 (500).
    inhibitory_input_i_bias_gm = 19;
    /// Inhibitory input conductance-based, 0/1 (0).
    inhibitory_input_enable_coba_mode = 20;
    /// Inhibitory reversal potential (COBA), CapMem 0–1022 (250; ≈ 29 LSB ≈ −80 mV).
    inhibitory_input_i_bias_coba = 21;
    /// Exponential term on, 0/1 (0); needs threshold_enable.
    exponential_enable = 22;
    /// Exponential term's V_T, CapMem 0–1022 (500; ≈ 152 LSB).
    exponential_v_exp = 23;
    /// Exponential term's Δ_T bias, CapMem 0–1022 (500; ≈ 2 mV).
    exponential_i_bias = 24;
    /// Adaptation on, 0/1 (0).
    adaptation_enable = 25;
    /// Adaptation reference potential, CapMem 0–1022 (400).
    adaptation_v_ref = 26;
    /// Adaptation time-constant bias, CapMem 0–1022 (300; ≈ 78 µs).
    adaptation_i_bias_tau = 27;
    /// Sub-threshold adaptation a, CapMem 0–1022 (100; 5 nS hardware).
    adaptation_i_bias_a = 28;
    /// Spike-triggered adaptation b, CapMem 0–1022 (100; 0.1 nA hardware).
    adaptation_i_bias_b = 29;
    /// Constant current on, 0/1 (0).
    constant_current_enable = 30;
    /// Constant current, CapMem 0–1022 (0; 0.005 nA hardware per LSB).
    constant_current_i_offset = 31;
}

/// One neuron's configuration read from a [`ParamTable`] row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HwConfig(pub [f64; 32]);

impl HwConfig {
    /// Value of parameter `name`.
    ///
    /// # Panics
    /// If `name` is not an HXNeuron parameter (a programming error; names are constants).
    #[must_use]
    pub fn get(&self, name: &str) -> f64 {
        let i = PARAMS.iter().position(|p| p.name == name).unwrap_or_else(|| panic!("{name} is not an HXNeuron parameter"));
        self.0[i]
    }

    fn on(&self, name: &str) -> bool {
        self.get(name) != 0.0
    }

    /// The defaults.
    #[must_use]
    pub fn default_values() -> Self {
        Self(PARAMS.map(|p| p.default))
    }

    /// Neuron `i` of `t`.
    #[must_use]
    pub fn of(t: &ParamTable, i: usize) -> Self {
        let mut v = [0.0; 32];
        for (p, row) in v.iter_mut().zip(&t.values) {
            *p = row[i];
        }
        Self(v)
    }
}

/// What a circuit makes of a configuration, in the kernel's biological units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Biological {
    /// Leak potential, mV.
    pub v_rest: f64,
    /// Reset potential, mV.
    pub v_reset: f64,
    /// Threshold, mV (`None`: threshold disabled).
    pub v_thresh: Option<f64>,
    /// Exponential term (V_T mV, Δ_T mV), when enabled.
    pub exponential: Option<(f64, f64)>,
    /// Membrane capacitance, nF.
    pub cm: f64,
    /// Leak conductance, µS.
    pub g_l: f64,
    /// Membrane time constant cm / g_L, ms (infinite without leak).
    pub tau_m: f64,
    /// Refractory period, ms.
    pub tau_refrac: f64,
    /// Synaptic time constants (exc, inh), ms.
    pub tau_syn: [f64; 2],
    /// Input per weight LSB (exc, inh): nA (inh < 0) in CUBA, µS in COBA; 0 when disabled.
    pub w_scale: [f64; 2],
    /// Conductance mode (exc, inh).
    pub coba: [bool; 2],
    /// Reversal potentials (exc, inh), mV.
    pub e_rev: [f64; 2],
    /// Adaptation (a µS, b nA, tau_w ms, v_ref mV); a = b = 0 when disabled.
    pub adaptation: (f64, f64, f64, f64),
    /// Constant current, nA.
    pub i_offset: f64,
}

/// Hardware → biology: one circuit's transfer functions applied to one configuration.
#[must_use]
pub fn biological(c: &Circuit, hw: &HwConfig) -> Biological {
    let mv = |curve: &chip::PotentialCurve, name: &str| cadc::lsb_to_mv(curve.eval(hw.get(name)));
    let cm_pf = c.capacitance_pf(hw.get("membrane_capacitance_capacitance"));
    let g_ns = c.g_leak_ns(hw.get("leak_i_bias"), hw.on("leak_enable_division"), hw.on("leak_enable_multiplication"));
    let cm = 0.1 * cm_pf;
    let g_l = 1e-4 * g_ns;
    let clock = hw.get("refractory_period_input_clock") as usize;
    let tau_refrac = c.tau_refrac_us(hw.get("refractory_period_refractory_time"), hw.get("refractory_period_reset_holdoff"), clock);
    let input = |ch: usize, prefix: &str| {
        let tau = c.tau_syn_us(ch, hw.get(&format!("{prefix}_i_bias_tau")));
        let coba = hw.on(&format!("{prefix}_enable_coba_mode"));
        let na = if hw.on(&format!("{prefix}_enable")) { c.weight_scale_na(ch, hw.get(&format!("{prefix}_i_bias_gm"))) } else { 0.0 };
        let curve = if ch == 0 { &c.e_rev_exc } else { &c.e_rev_inh };
        let e_rev = mv(curve, &format!("{prefix}_i_bias_coba"));
        // Hardware nA → biological 0.1 nA; COBA: nA / drive (mV) = µS hardware → 0.1 µS.
        let scale = if coba {
            0.1 * na / chip::COBA_DRIVE_MV
        } else if ch == 1 {
            -0.1 * na
        } else {
            0.1 * na
        };
        (tau, scale, coba, e_rev)
    };
    let (te, we, ce, ee) = input(0, "excitatory_input");
    let (ti, wi, ci, ei) = input(1, "inhibitory_input");
    let adaptation = if hw.on("adaptation_enable") {
        let g = c.adaptation_gain;
        (
            1e-4 * chip::A_NS_PER_LSB * hw.get("adaptation_i_bias_a") * g[0],
            0.1 * chip::B_NA_PER_LSB * hw.get("adaptation_i_bias_b") * g[1],
            c.tau_w_us(hw.get("adaptation_i_bias_tau")),
            mv(&c.v_ref, "adaptation_v_ref"),
        )
    } else {
        (0.0, 0.0, c.tau_w_us(hw.get("adaptation_i_bias_tau")), mv(&c.v_ref, "adaptation_v_ref"))
    };
    let i_offset = if hw.on("constant_current_enable") {
        0.1 * chip::I_OFFSET_NA_PER_LSB * hw.get("constant_current_i_offset") * c.i_offset_gain
    } else {
        0.0
    };
    Biological {
        v_rest: mv(&c.v_leak, "leak_v_leak"),
        v_reset: mv(&c.v_reset, "reset_v_reset"),
        v_thresh: hw.on("threshold_enable").then(|| mv(&c.v_thresh, "threshold_v_threshold")),
        exponential: hw.on("exponential_enable").then(|| (mv(&c.v_exp, "exponential_v_exp"), c.delta_t_mv(hw.get("exponential_i_bias")))),
        cm,
        g_l,
        tau_m: if g_l > 0.0 { cm / g_l } else { f64::INFINITY },
        tau_refrac,
        tau_syn: [te, ti],
        w_scale: [we, wi],
        coba: [ce, ci],
        e_rev: [ee, ei],
        adaptation,
        i_offset,
    }
}

/// The circuit of neuron `i`: `(first_circuit + i) mod 512` (a population larger than the
/// chip reuses circuits, as on several identical chips; strict sessions forbid it).
#[must_use]
pub fn circuit_of(placement: &HxPlacement, i: usize) -> usize {
    (placement.first_circuit as usize + i) % chip::N_CIRCUITS
}

/// The chip a population is placed on.
#[must_use]
pub fn chip_of(placement: &HxPlacement) -> Chip {
    Chip::from_seed(placement.chip_seed)
}

fn invalid(field: &str, rule: String, neuron: usize, value: f64) -> ModelError {
    ModelError::Invalid { cell_type: SPEC.cell_type, field: field.into(), rule, neuron, value }
}

/// Hardware ranges, placement on the chip, and the rules of the resulting dynamics.
pub fn validate(t: &ParamTable, dt: f64, placement: &HxPlacement) -> Result<(), ModelError> {
    t.check_finite(&[])?;
    for (spec, range) in HW {
        t.check(spec.name, &range.rule(), |v| range.contains(v))?;
    }
    let n = t.len();
    if placement.first_circuit as usize >= chip::N_CIRCUITS {
        let rule = format!("must be < {} (the chip's circuits)", chip::N_CIRCUITS);
        return Err(invalid("placement.first_circuit", rule, 0, f64::from(placement.first_circuit)));
    }
    t.check_pair(
        "exponential_enable",
        "threshold_enable",
        "needs threshold_enable = 1 (without the reset the exponential runs away)",
        |e, th| e == 0.0 || th != 0.0,
    )?;
    let chip = chip_of(placement);
    let h = dt / f64::from(adex::substeps(dt));
    for i in 0..n {
        let b = biological(chip.circuit(circuit_of(placement, i)), &HwConfig::of(t, i));
        if let (Some(vt), Some((v_exp, delta_t))) = (b.v_thresh, b.exponential) {
            if !(delta_t > 0.0 && (vt - v_exp) / delta_t <= adex::MAX_EXP_ARG) {
                return Err(invalid(
                    "exponential_i_bias",
                    format!(
                        "gives Δ_T = {delta_t:.4} mV; (v_thresh - V_T) / Δ_T = ({vt:.2} - {v_exp:.2}) / Δ_T must be in (0, {}] (the exponential would overflow f32)",
                        adex::MAX_EXP_ARG
                    ),
                    i,
                    t.get("exponential_i_bias")[i],
                ));
            }
        }
        if b.tau_refrac / h >= 16_777_216.0 {
            return Err(invalid(
                "refractory_period_refractory_time",
                format!("gives tau_refrac = {} ms, which must be < 2^24 sub-steps of {h} ms", b.tau_refrac),
                i,
                t.get("refractory_period_refractory_time")[i],
            ));
        }
    }
    Ok(())
}

/// Kernel parameters `[K][n]` for step `dt` (ms): each neuron's [`biological`] values.
pub fn derive(t: &ParamTable, dt: f64, placement: &HxPlacement) -> Vec<f32> {
    let n = t.len();
    let chip = chip_of(placement);
    let m = adex::substeps(dt);
    let h = dt / f64::from(m);
    let mut out = vec![0f32; k::COUNT * n];
    for i in 0..n {
        let b = biological(chip.circuit(circuit_of(placement, i)), &HwConfig::of(t, i));
        let mut set = |kk: usize, v: f64| out[kk * n + i] = v as f32;
        let (v_exp, delta_t) = b.exponential.unwrap_or((0.0, 0.0));
        let (a, bb, tau_w, v_ref) = b.adaptation;
        set(k::E_L, b.v_rest);
        set(k::V_RESET, b.v_reset);
        // Threshold off: no v ever reaches f32::MAX (and the exponential is off: validated).
        set(k::V_SPIKE, b.v_thresh.unwrap_or(f64::from(f32::MAX)));
        set(k::V_THRESH, v_exp);
        set(k::INV_DELTA_T, if delta_t > 0.0 { 1.0 / delta_t } else { 0.0 });
        set(k::G_L, b.g_l);
        set(k::G_L_DELTA_T, b.g_l * delta_t);
        set(k::INV_CM, 1.0 / b.cm);
        set(k::A, a);
        set(k::B, bb);
        set(k::INV_TAU_W, 1.0 / tau_w);
        set(k::DECAY_W, (-h / tau_w).exp());
        set(k::E_REV_E, b.e_rev[0]);
        set(k::E_REV_I, b.e_rev[1]);
        set(k::HALF_E, (-0.5 * h / b.tau_syn[0]).exp());
        set(k::HALF_I, (-0.5 * h / b.tau_syn[1]).exp());
        set(k::I_OFFSET, b.i_offset);
        set(k::H, h);
        set(k::H_HALF, 0.5 * h);
        set(k::H_SIXTH, h / 6.0);
        set(k::SUBSTEPS, f64::from(m));
        set(k::REFRAC, (b.tau_refrac / h).round());
        set(k::W_SCALE_E, b.w_scale[0]);
        set(k::W_SCALE_I, b.w_scale[1]);
        set(k::COBA_E, f64::from(u8::from(b.coba[0])));
        set(k::COBA_I, f64::from(u8::from(b.coba[1])));
        set(k::V_REF, v_ref);
    }
    out
}

/// v = the circuit's leak potential, no adaptation, no synaptic input.
pub fn initial_state(t: &ParamTable, placement: &HxPlacement) -> Vec<Vec<f64>> {
    let n = t.len();
    let chip = chip_of(placement);
    let v = (0..n).map(|i| biological(chip.circuit(circuit_of(placement, i)), &HwConfig::of(t, i)).v_rest).collect();
    vec![v, vec![0.0; n], vec![0.0; n], vec![0.0; n]]
}
