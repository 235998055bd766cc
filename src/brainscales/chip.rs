//! The emulated chip: 512 neuron circuits, each with its own fixed-pattern deviations.
//!
//! Every analog quantity a circuit produces from its hardware configuration goes through a
//! *transfer function*: a nominal curve (the same for every circuit, documented below) and the
//! circuit's deviations from it. The deviations are drawn once per chip from Philox streams
//! keyed by the chip's seed (`crate::random::Stream::Chip`), one stream per quantity, so a
//! seed fixes a chip: `Chip::new(7)` is the same chip on every machine and every run.
//!
//! | quantity | nominal transfer (hardware value x) | deviation per circuit |
//! |---|---|---|
//! | v_leak, adaptation v_ref | `0.21·x·(1 − κ·x/1022)` LSB | gain lognormal(σ 0.05), offset normal(σ 5 LSB), κ = 0.1 + normal(σ 0.02) |
//! | v_reset | `10 + 0.21·x·(1 − κ·x/1022)` LSB | as above |
//! | v_thresh, exponential v_exp | `0.32·x·(1 − κ·x/1022)` LSB | as above |
//! | e_rev (COBA), exc / inh | `0.35·x·(…)` / `0.12·x·(…)` LSB | as above |
//! | leak conductance g_L | `1.1 nS · x · m`, m = 1/8 (division), 1, 8 (multiplication) | gain lognormal(σ 0.15) |
//! | membrane capacitance | `0.1 pF + x · 2.1/63 pF` (63 → 2.2 pF) | gain lognormal(σ 0.03) |
//! | refractory time | `max(count − holdoff, 0) / f_clk + latency`, f_clk 50 MHz (input_clock 0) or 6.25 MHz (1) | latency normal(0.1 µs, σ 0.04 µs) clipped to [0.02, 0.25] µs |
//! | tau_syn exc / inh | `30 µs · 0.01^(x/1022)` (30 µs … 0.3 µs) | gain lognormal(σ 0.1) |
//! | weight scale exc / inh (CUBA) | `2.86e-4 nA · gm` per weight LSB | gain lognormal(σ 0.1) |
//! | weight scale (COBA) | `2.86e-4 nA/60 mV · gm` per weight LSB (µS) | the same gain |
//! | Δ_T | `0.004 mV · x` | gain lognormal(σ 0.1) |
//! | adaptation a, b, tau_w | `0.05 nS · x`, `0.001 nA · x`, `300 µs · 0.01^(x/1022)` | gains lognormal(σ 0.1) |
//! | constant current | `0.005 nA · x` | gain lognormal(σ 0.1) |
//!
//! Potentials come out in CADC LSB and become mV through [`cadc`]'s affine map. Times are
//! hardware µs, capacitances pF, currents nA, conductances nS — the chip's own units.
//! [`crate::model::hx_neuron::biological`] turns them into the kernel's biological units. The numbers are spikeflow's choice: they put the
//! calibrated defaults of BSS-2 (v_leak 80 LSB, tau_m 10 µs, …) well inside every range, and the
//! spread they give (v_leak ± 15 LSB, tau_m ± 50 % over 512 circuits) is the order of
//! magnitude the real chip shows before calibration. No public source gives the real curves.

use crate::random::{Rng, Stream};
use serde::{Deserialize, Serialize};

/// Neuron circuits on one chip.
pub const N_CIRCUITS: usize = 512;
/// Largest CapMem (analog parameter) value.
pub const CAPMEM_MAX: u16 = 1022;
/// Largest membrane capacitance setting.
pub const CAPACITANCE_MAX: u16 = 63;
/// Largest refractory counter value.
pub const REFRACTORY_MAX: u16 = 255;
/// Largest reset holdoff.
pub const HOLDOFF_MAX: u16 = 15;
/// Largest synaptic weight (6 bits).
pub const WEIGHT_MAX: u16 = 63;
/// The chip runs this much faster than biology: 1 ms hardware = 1000 ms biological.
pub const SPEEDUP: f64 = 1000.0;

/// Curvature of the nominal CapMem → potential curves (the κ of the module table).
pub const NOMINAL_CURVATURE: f64 = 0.1;
/// Leak conductance per leak_i_bias LSB, nS (before division / multiplication).
pub const G_LEAK_NS_PER_LSB: f64 = 1.1;
/// Capacitance at setting 0, pF.
pub const C_BASE_PF: f64 = 0.1;
/// Capacitance per setting LSB, pF (63 → 2.2 pF).
pub const C_PER_LSB_PF: f64 = 2.1 / 63.0;
/// Refractory clock periods, µs: input_clock 0 (50 MHz) and 1 (6.25 MHz).
pub const CLOCK_PERIOD_US: [f64; 2] = [0.02, 0.16];
/// Mean analog refractory latency (comparator and reset settling), µs.
pub const NOMINAL_LATENCY_US: f64 = 0.1;
/// Synaptic time constant at i_bias_tau = 0, µs (it falls ×0.01 over the CapMem range).
pub const TAU_SYN_MAX_US: f64 = 30.0;
/// CUBA synaptic current per weight LSB and gm LSB, nA.
pub const SYN_NA_PER_WEIGHT_GM: f64 = 2.86e-4;
/// COBA: the conductance per weight is the CUBA current divided by this driving force, mV.
pub const COBA_DRIVE_MV: f64 = 60.0;
/// Δ_T per exponential_i_bias LSB, mV.
pub const DELTA_T_MV_PER_LSB: f64 = 0.004;
/// Adaptation a per LSB, nS.
pub const A_NS_PER_LSB: f64 = 0.05;
/// Adaptation b per LSB, nA.
pub const B_NA_PER_LSB: f64 = 0.001;
/// Adaptation tau_w at i_bias_tau = 0, µs.
pub const TAU_W_MAX_US: f64 = 300.0;
/// Constant current per LSB, nA.
pub const I_OFFSET_NA_PER_LSB: f64 = 0.005;

/// The CADC's affine map between its 8-bit readings (LSB) and the kernel's mV (spikeflow's
/// own definition: no public source gives one): `mV = −89 + 0.3·LSB`, so 80 LSB = −65 mV,
/// 125 LSB = −51.5 mV, 70 LSB = −68 mV; a reading is `round` of the inverse, saturating at
/// 0 and 255 (−89 mV and −12.5 mV). BSS-2 trusts readings in 30–210 LSB.
pub mod cadc {
    /// mV at 0 LSB.
    pub const MV_AT_ZERO: f64 = -89.0;
    /// mV per LSB.
    pub const MV_PER_LSB: f64 = 0.3;
    /// Largest reading (8 bits).
    pub const MAX: u8 = 255;

    /// A potential in LSB (fractional) as mV.
    #[must_use]
    pub fn lsb_to_mv(lsb: f64) -> f64 {
        MV_AT_ZERO + MV_PER_LSB * lsb
    }

    /// A potential in mV as fractional LSB (not rounded, not saturated).
    #[must_use]
    pub fn mv_to_lsb(mv: f64) -> f64 {
        (mv - MV_AT_ZERO) / MV_PER_LSB
    }

    /// What the 8-bit CADC reads for `mv`: rounded, saturating at 0 and 255 (NaN reads 0).
    #[must_use]
    pub fn read(mv: f64) -> u8 {
        let l = mv_to_lsb(mv).round();
        if l >= f64::from(MAX) {
            MAX
        } else if l > 0.0 {
            l as u8
        } else {
            0
        }
    }
}

/// A CapMem value → potential (LSB) curve: `offset + base + gain·slope·x·(1 − κ·x/1022)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PotentialCurve {
    /// Nominal offset, LSB.
    pub base: f64,
    /// Nominal slope, LSB per CapMem LSB.
    pub slope: f64,
    /// The circuit's gain.
    pub gain: f64,
    /// The circuit's offset, LSB.
    pub offset: f64,
    /// Curvature κ.
    pub curvature: f64,
}

impl PotentialCurve {
    /// The potential (LSB) at CapMem value `x`; monotone increasing on 0..=1022 (κ < 0.5).
    #[must_use]
    pub fn eval(&self, x: f64) -> f64 {
        self.offset + self.base + self.gain * self.slope * x * (1.0 - self.curvature * x / f64::from(CAPMEM_MAX))
    }

    fn nominal(base: f64, slope: f64) -> Self {
        Self { base, slope, gain: 1.0, offset: 0.0, curvature: NOMINAL_CURVATURE }
    }
}

/// One neuron circuit: its transfer functions (nominal curves with its deviations).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Circuit {
    /// leak_v_leak → v_leak.
    pub v_leak: PotentialCurve,
    /// reset_v_reset → v_reset.
    pub v_reset: PotentialCurve,
    /// threshold_v_threshold → v_thresh.
    pub v_thresh: PotentialCurve,
    /// exponential_v_exp → V_T.
    pub v_exp: PotentialCurve,
    /// adaptation_v_ref → the adaptation's reference potential.
    pub v_ref: PotentialCurve,
    /// excitatory_input_i_bias_coba → excitatory reversal potential.
    pub e_rev_exc: PotentialCurve,
    /// inhibitory_input_i_bias_coba → inhibitory reversal potential.
    pub e_rev_inh: PotentialCurve,
    /// Gain of the leak conductance.
    pub leak_gain: f64,
    /// Gain of the membrane capacitance.
    pub capacitance_gain: f64,
    /// Analog refractory latency, µs.
    pub refractory_latency_us: f64,
    /// Gains of the excitatory and inhibitory synaptic time constants.
    pub tau_syn_gain: [f64; 2],
    /// Gains of the excitatory and inhibitory weight scales.
    pub gm_gain: [f64; 2],
    /// Gain of Δ_T.
    pub delta_t_gain: f64,
    /// Gains of the adaptation's a, b and tau_w.
    pub adaptation_gain: [f64; 3],
    /// Gain of the constant current.
    pub i_offset_gain: f64,
}

impl Circuit {
    /// The ideal circuit: nominal curves, no deviation.
    #[must_use]
    pub fn ideal() -> Self {
        Self {
            v_leak: PotentialCurve::nominal(0.0, 0.21),
            v_reset: PotentialCurve::nominal(10.0, 0.21),
            v_thresh: PotentialCurve::nominal(0.0, 0.32),
            v_exp: PotentialCurve::nominal(0.0, 0.32),
            v_ref: PotentialCurve::nominal(0.0, 0.21),
            e_rev_exc: PotentialCurve::nominal(0.0, 0.35),
            e_rev_inh: PotentialCurve::nominal(0.0, 0.12),
            leak_gain: 1.0,
            capacitance_gain: 1.0,
            refractory_latency_us: NOMINAL_LATENCY_US,
            tau_syn_gain: [1.0; 2],
            gm_gain: [1.0; 2],
            delta_t_gain: 1.0,
            adaptation_gain: [1.0; 3],
            i_offset_gain: 1.0,
        }
    }

    /// Leak conductance, nS, for leak_i_bias `x` and the division / multiplication switches.
    #[must_use]
    pub fn g_leak_ns(&self, x: f64, division: bool, multiplication: bool) -> f64 {
        let m = match (division, multiplication) {
            (true, false) => 0.125,
            (false, true) => 8.0,
            // Both switches at once cancel (÷8 ×8).
            _ => 1.0,
        };
        G_LEAK_NS_PER_LSB * x * m * self.leak_gain
    }

    /// Membrane capacitance, pF, for setting `x` (0–63).
    #[must_use]
    pub fn capacitance_pf(&self, x: f64) -> f64 {
        (C_BASE_PF + C_PER_LSB_PF * x) * self.capacitance_gain
    }

    /// Refractory period, µs: `max(count − holdoff, 0)` clock periods plus the latency.
    #[must_use]
    pub fn tau_refrac_us(&self, count: f64, holdoff: f64, input_clock: usize) -> f64 {
        (count - holdoff).max(0.0) * CLOCK_PERIOD_US[input_clock.min(1)] + self.refractory_latency_us
    }

    /// Synaptic time constant, µs, of input `channel` (0 exc, 1 inh) for i_bias_tau `x`.
    #[must_use]
    pub fn tau_syn_us(&self, channel: usize, x: f64) -> f64 {
        TAU_SYN_MAX_US * (0.01f64).powf(x / f64::from(CAPMEM_MAX)) * self.tau_syn_gain[channel]
    }

    /// CUBA current per weight LSB, nA (hardware), of `channel` for i_bias_gm `x`.
    #[must_use]
    pub fn weight_scale_na(&self, channel: usize, x: f64) -> f64 {
        SYN_NA_PER_WEIGHT_GM * x * self.gm_gain[channel]
    }

    /// Δ_T, mV, for exponential_i_bias `x`.
    #[must_use]
    pub fn delta_t_mv(&self, x: f64) -> f64 {
        DELTA_T_MV_PER_LSB * x * self.delta_t_gain
    }

    /// Adaptation tau_w, µs, for adaptation_i_bias_tau `x`.
    #[must_use]
    pub fn tau_w_us(&self, x: f64) -> f64 {
        TAU_W_MAX_US * (0.01f64).powf(x / f64::from(CAPMEM_MAX)) * self.adaptation_gain[2]
    }
}

/// An emulated BrainScaleS-2 chip: [`N_CIRCUITS`] circuits with seeded fixed-pattern deviations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chip {
    /// The seed the deviations were drawn from (`None`: the ideal chip).
    pub seed: Option<u64>,
    /// The circuits, by index.
    pub circuits: Vec<Circuit>,
}

/// lognormal(0, sigma) gains for every circuit from one stream.
fn gains(rng: &mut Rng, sigma: f64) -> Vec<f64> {
    (0..N_CIRCUITS).map(|_| (sigma * rng.normal()).exp()).collect()
}

impl Chip {
    /// The chip of seed `seed` (its deviations follow the module table).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut q = 0u32;
        let mut stream = || {
            q += 1;
            Rng::new(seed, Stream::Chip { quantity: q })
        };
        let mut circuits = vec![Circuit::ideal(); N_CIRCUITS];
        // Potentials: gain, offset, curvature, each from its own stream.
        type Pick = fn(&mut Circuit) -> &mut PotentialCurve;
        let curves: [Pick; 7] = [
            |c| &mut c.v_leak,
            |c| &mut c.v_reset,
            |c| &mut c.v_thresh,
            |c| &mut c.v_exp,
            |c| &mut c.v_ref,
            |c| &mut c.e_rev_exc,
            |c| &mut c.e_rev_inh,
        ];
        for pick in curves {
            let g = gains(&mut stream(), 0.05);
            let (mut o, mut k) = (stream(), stream());
            for (i, c) in circuits.iter_mut().enumerate() {
                let curve = pick(c);
                curve.gain = g[i];
                curve.offset = 5.0 * o.normal();
                curve.curvature = (NOMINAL_CURVATURE + 0.02 * k.normal()).clamp(0.0, 0.3);
            }
        }
        let leak = gains(&mut stream(), 0.15);
        let cap = gains(&mut stream(), 0.03);
        let mut lat = stream();
        let tau = [gains(&mut stream(), 0.1), gains(&mut stream(), 0.1)];
        let gm = [gains(&mut stream(), 0.1), gains(&mut stream(), 0.1)];
        let dt = gains(&mut stream(), 0.1);
        let ad = [gains(&mut stream(), 0.1), gains(&mut stream(), 0.1), gains(&mut stream(), 0.1)];
        let ioff = gains(&mut stream(), 0.1);
        for (i, c) in circuits.iter_mut().enumerate() {
            c.leak_gain = leak[i];
            c.capacitance_gain = cap[i];
            c.refractory_latency_us = (NOMINAL_LATENCY_US + 0.04 * lat.normal()).clamp(0.02, 0.25);
            c.tau_syn_gain = [tau[0][i], tau[1][i]];
            c.gm_gain = [gm[0][i], gm[1][i]];
            c.delta_t_gain = dt[i];
            c.adaptation_gain = [ad[0][i], ad[1][i], ad[2][i]];
            c.i_offset_gain = ioff[i];
        }
        Self { seed: Some(seed), circuits }
    }

    /// The ideal chip: every circuit nominal (what "uncalibrated" values are computed for).
    #[must_use]
    pub fn ideal() -> Self {
        Self { seed: None, circuits: vec![Circuit::ideal(); N_CIRCUITS] }
    }

    /// The chip of `seed`, or the ideal one for `None`.
    #[must_use]
    pub fn from_seed(seed: Option<u64>) -> Self {
        seed.map_or_else(Self::ideal, Self::new)
    }

    /// Circuit `i`.
    #[must_use]
    pub fn circuit(&self, i: usize) -> &Circuit {
        &self.circuits[i]
    }
}
