//! Calibrated cell types (BSS-2 calix's `CalibHXNeuronCuba` / `CalibHXNeuronCoba`): biological
//! targets in, per-neuron hardware values out, found by inverting each neuron's tables.
//!
//! Targets use BSS-2's units: potentials in CADC LSB (convert with
//! [`super::chip::cadc`]), times in hardware µs (= biological ms). For each neuron:
//!
//! * v_leak, v_reset, v_thresh (and COBA reversal potentials): the nearest whole CapMem value;
//! * tau_m: the capacitance is fixed (`membrane_capacitance`), then the leak conductance
//!   C/tau_m is looked up in the division (÷8), plain and multiplication (×8) tables, in that
//!   order, taking the first that reaches it — the one with the largest bias, i.e. the finest
//!   resolution;
//! * tau_refrac: the fast clock if 255 counts reach the target, else the slow one; the
//!   circuit's analog latency is part of the table, so the count absorbs it;
//! * tau_syn: the nearest whole i_bias_tau;
//! * i_synin_gm: the target is a gm bias *of the ideal circuit*; each neuron gets the i_bias_gm
//!   that gives its weight scale equal to the ideal circuit's at that bias (BSS-2 equalises the
//!   synaptic input strength the same way).
//!
//! A target no setting reaches is an error naming the neuron, the quantity and the reachable
//! range ([`CalibError::OutOfReach`]); nothing is clamped silently.

use super::calibration::{ChipCalibration, NeuronCalibration, Table};
use super::chip::{Circuit, CAPACITANCE_MAX, CLOCK_PERIOD_US, REFRACTORY_MAX};
use crate::model::hx_neuron::{HxNeuron, HxPlacement, HW};
use crate::model::Param;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use thiserror::Error;

/// Errors of a calibration.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CalibError {
    /// A target no hardware setting of the neuron reaches.
    #[error("neuron {neuron}: {parameter} target {target} {unit} is out of reach (this circuit reaches {min:.4}–{max:.4} {unit})")]
    OutOfReach {
        /// Neuron (circuit) index.
        neuron: usize,
        /// The calibrated quantity.
        parameter: &'static str,
        /// The target.
        target: f64,
        /// Unit of the target.
        unit: &'static str,
        /// Smallest reachable value.
        min: f64,
        /// Largest reachable value.
        max: f64,
    },
    /// A target that is not a number, or circuits outside the calibration.
    #[error("{what}: {rule}")]
    Invalid {
        /// The argument.
        what: String,
        /// The rule it breaks.
        rule: String,
    },
}

/// What one neuron achieves with its calibrated values (from its tables).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Achieved {
    /// Membrane time constant, µs.
    pub tau_m: f64,
    /// Leak potential, LSB.
    pub v_leak: f64,
    /// Reset potential, LSB.
    pub v_reset: f64,
    /// Threshold, LSB.
    pub v_thresh: f64,
    /// Refractory period, µs.
    pub tau_refrac: f64,
    /// Synaptic time constants (exc, inh), µs.
    pub tau_syn: [f64; 2],
    /// Weight scales (exc, inh), nA hardware per weight LSB.
    pub weight_scale: [f64; 2],
    /// Reversal potentials (exc, inh), LSB (COBA only; CUBA reports the defaults' values).
    pub e_rev: [f64; 2],
}

/// A calibrated population: the cell (per-neuron hardware values, placed on the calibrated
/// circuits) and what each neuron achieves.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibrated {
    /// The HXNeuron to create (arrays of hardware values; placement set).
    pub cell: HxNeuron,
    /// Per neuron, what the tables say it achieves.
    pub achieved: Vec<Achieved>,
}

/// `CalibHXNeuronCuba`: current-based synaptic inputs. Defaults are BSS-2's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalibHXNeuronCuba {
    /// Membrane time constant, µs (10).
    pub tau_m: f64,
    /// Leak potential, LSB (80).
    pub v_leak: f64,
    /// Reset potential, LSB (70).
    pub v_reset: f64,
    /// Threshold, LSB (125).
    pub v_thresh: f64,
    /// Refractory period, µs (2).
    pub tau_refrac: f64,
    /// Excitatory synaptic time constant, µs (10).
    #[serde(rename = "tau_syn_E")]
    pub tau_syn_e: f64,
    /// Inhibitory synaptic time constant, µs (10).
    #[serde(rename = "tau_syn_I")]
    pub tau_syn_i: f64,
    /// Synaptic input strength as a gm bias of the ideal circuit (500).
    pub i_synin_gm: f64,
    /// Membrane capacitance setting, 0–63 (63).
    pub membrane_capacitance: u16,
}

impl Default for CalibHXNeuronCuba {
    fn default() -> Self {
        Self {
            tau_m: 10.0,
            v_leak: 80.0,
            v_reset: 70.0,
            v_thresh: 125.0,
            tau_refrac: 2.0,
            tau_syn_e: 10.0,
            tau_syn_i: 10.0,
            i_synin_gm: 500.0,
            membrane_capacitance: 63,
        }
    }
}

/// `CalibHXNeuronCoba`: conductance-based inputs; the CUBA targets plus reversal potentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalibHXNeuronCoba {
    /// The targets shared with CUBA.
    #[serde(flatten)]
    pub base: CalibHXNeuronCuba,
    /// Excitatory reversal potential, LSB (250 = −14 mV).
    pub e_coba_reversal_exc: f64,
    /// Inhibitory reversal potential, LSB (30 = −80 mV).
    pub e_coba_reversal_inh: f64,
}

impl Default for CalibHXNeuronCoba {
    fn default() -> Self {
        Self { base: CalibHXNeuronCuba::default(), e_coba_reversal_exc: 250.0, e_coba_reversal_inh: 30.0 }
    }
}

fn reach(t: &Table, target: f64, neuron: usize, parameter: &'static str, unit: &'static str) -> Result<(u16, f64), CalibError> {
    if !target.is_finite() {
        return Err(CalibError::Invalid { what: parameter.into(), rule: format!("target must be finite (got {target})") });
    }
    t.nearest(target).ok_or_else(|| {
        let (min, max) = t.range();
        CalibError::OutOfReach { neuron, parameter, target, unit, min, max }
    })
}

/// Per-neuron hardware values in [`HW`] order, starting from the defaults.
struct Columns(Vec<Vec<f64>>);

impl Columns {
    fn new(n: usize) -> Self {
        Self(HW.iter().map(|(p, _)| vec![p.default; n]).collect())
    }
    fn set(&mut self, name: &str, i: usize, v: f64) {
        let j = HW.iter().position(|(p, _)| p.name == name).unwrap_or_else(|| panic!("{name} is not an HXNeuron parameter"));
        self.0[j][i] = v;
    }
    fn into_cell(self, placement: HxPlacement) -> HxNeuron {
        let mut cell = HxNeuron { placement, ..HxNeuron::default() };
        let params = self.0;
        // HxNeuron's fields in HW order.
        let fields: Vec<&mut Param> = vec![
            &mut cell.leak_v_leak,
            &mut cell.leak_i_bias,
            &mut cell.leak_enable_division,
            &mut cell.leak_enable_multiplication,
            &mut cell.reset_v_reset,
            &mut cell.reset_i_bias,
            &mut cell.threshold_v_threshold,
            &mut cell.threshold_enable,
            &mut cell.membrane_capacitance_capacitance,
            &mut cell.refractory_period_refractory_time,
            &mut cell.refractory_period_reset_holdoff,
            &mut cell.refractory_period_input_clock,
            &mut cell.excitatory_input_enable,
            &mut cell.excitatory_input_i_bias_tau,
            &mut cell.excitatory_input_i_bias_gm,
            &mut cell.excitatory_input_enable_coba_mode,
            &mut cell.excitatory_input_i_bias_coba,
            &mut cell.inhibitory_input_enable,
            &mut cell.inhibitory_input_i_bias_tau,
            &mut cell.inhibitory_input_i_bias_gm,
            &mut cell.inhibitory_input_enable_coba_mode,
            &mut cell.inhibitory_input_i_bias_coba,
            &mut cell.exponential_enable,
            &mut cell.exponential_v_exp,
            &mut cell.exponential_i_bias,
            &mut cell.adaptation_enable,
            &mut cell.adaptation_v_ref,
            &mut cell.adaptation_i_bias_tau,
            &mut cell.adaptation_i_bias_a,
            &mut cell.adaptation_i_bias_b,
            &mut cell.constant_current_enable,
            &mut cell.constant_current_i_offset,
        ];
        for (f, col) in fields.into_iter().zip(params) {
            *f = if col.iter().all(|&v| v == col[0]) { Param::Const(col[0]) } else { Param::Array(col) };
        }
        cell
    }
}

impl CalibHXNeuronCuba {
    /// Calibrate circuits `circuits` of the chip `tables` was measured on.
    pub fn calibrate(&self, tables: &ChipCalibration, circuits: Range<usize>) -> Result<Calibrated, CalibError> {
        calibrate(self, None, tables, circuits)
    }
}

impl CalibHXNeuronCoba {
    /// Calibrate circuits `circuits` of the chip `tables` was measured on (COBA inputs).
    pub fn calibrate(&self, tables: &ChipCalibration, circuits: Range<usize>) -> Result<Calibrated, CalibError> {
        calibrate(&self.base, Some([self.e_coba_reversal_exc, self.e_coba_reversal_inh]), tables, circuits)
    }
}

fn calibrate(
    t: &CalibHXNeuronCuba,
    coba: Option<[f64; 2]>,
    tables: &ChipCalibration,
    circuits: Range<usize>,
) -> Result<Calibrated, CalibError> {
    if circuits.is_empty() || circuits.end > tables.neurons.len() {
        return Err(CalibError::Invalid {
            what: "circuits".into(),
            rule: format!("must be a non-empty range within the calibration's {} circuits (got {circuits:?})", tables.neurons.len()),
        });
    }
    if t.membrane_capacitance > CAPACITANCE_MAX {
        return Err(CalibError::Invalid {
            what: "membrane_capacitance".into(),
            rule: format!("must be a whole number in 0–{CAPACITANCE_MAX} (got {})", t.membrane_capacitance),
        });
    }
    let n = circuits.len();
    let mut cols = Columns::new(n);
    let ideal = Circuit::ideal();
    let mut achieved = Vec::with_capacity(n);
    for (i, c) in circuits.clone().enumerate() {
        let cal: &NeuronCalibration = &tables.neurons[c];
        let (vl, vl_a) = reach(&cal.v_leak, t.v_leak, c, "v_leak", "LSB")?;
        let (vr, vr_a) = reach(&cal.v_reset, t.v_reset, c, "v_reset", "LSB")?;
        let (vt, vt_a) = reach(&cal.v_thresh, t.v_thresh, c, "v_thresh", "LSB")?;
        cols.set("leak_v_leak", i, f64::from(vl));
        cols.set("reset_v_reset", i, f64::from(vr));
        cols.set("threshold_v_threshold", i, f64::from(vt));
        cols.set("threshold_enable", i, 1.0);

        // tau_m: capacitance fixed, leak conductance from the finest table that reaches it.
        let cap = f64::from(t.membrane_capacitance);
        cols.set("membrane_capacitance_capacitance", i, cap);
        let c_pf = cal.capacitance.eval(cap);
        if !(t.tau_m.is_finite() && t.tau_m > 0.0) {
            return Err(CalibError::Invalid { what: "tau_m".into(), rule: format!("target must be > 0 µs (got {})", t.tau_m) });
        }
        let g_target = 1000.0 * c_pf / t.tau_m;
        let pick = (0..3).find_map(|mode| cal.g_leak[mode].nearest(g_target).map(|r| (mode, r)));
        let Some((mode, (lb, g_a))) = pick else {
            let lo = cal.g_leak[0].range().0;
            let hi = cal.g_leak[2].range().1;
            return Err(CalibError::OutOfReach {
                neuron: c,
                parameter: "tau_m",
                target: t.tau_m,
                unit: "us",
                min: 1000.0 * c_pf / hi,
                max: 1000.0 * c_pf / lo,
            });
        };
        cols.set("leak_i_bias", i, f64::from(lb));
        cols.set("leak_enable_division", i, f64::from(u8::from(mode == 0)));
        cols.set("leak_enable_multiplication", i, f64::from(u8::from(mode == 2)));

        // tau_refrac: fast clock if it reaches, else slow.
        let pick = (0..2).find_map(|clk| cal.tau_refrac[clk].nearest(t.tau_refrac).map(|r| (clk, r)));
        let Some((clk, (count, tr_a))) = pick else {
            return Err(CalibError::OutOfReach {
                neuron: c,
                parameter: "tau_refrac",
                target: t.tau_refrac,
                unit: "us",
                min: cal.refractory_latency,
                max: cal.refractory_latency + f64::from(REFRACTORY_MAX) * CLOCK_PERIOD_US[1],
            });
        };
        cols.set("refractory_period_refractory_time", i, f64::from(count));
        cols.set("refractory_period_reset_holdoff", i, 0.0);
        cols.set("refractory_period_input_clock", i, clk as f64);

        let mut tau_syn = [0.0; 2];
        let mut weight_scale = [0.0; 2];
        let mut e_rev = [0.0; 2];
        for (ch, prefix) in ["excitatory_input", "inhibitory_input"].into_iter().enumerate() {
            let (name_tau, name_gm): (&'static str, &'static str) =
                if ch == 0 { ("tau_syn_E", "i_synin_gm (exc)") } else { ("tau_syn_I", "i_synin_gm (inh)") };
            let target_tau = if ch == 0 { t.tau_syn_e } else { t.tau_syn_i };
            let (tb, ta) = reach(&cal.tau_syn[ch], target_tau, c, name_tau, "us")?;
            let (gb, ga) = reach(&cal.weight_scale[ch], ideal.weight_scale_na(ch, t.i_synin_gm), c, name_gm, "nA")?;
            cols.set(&format!("{prefix}_enable"), i, 1.0);
            cols.set(&format!("{prefix}_i_bias_tau"), i, f64::from(tb));
            cols.set(&format!("{prefix}_i_bias_gm"), i, f64::from(gb));
            tau_syn[ch] = ta;
            weight_scale[ch] = ga;
            if let Some(e) = coba {
                let (eb, ea) = reach(&cal.e_rev[ch], e[ch], c, if ch == 0 { "e_coba_reversal_exc" } else { "e_coba_reversal_inh" }, "LSB")?;
                cols.set(&format!("{prefix}_enable_coba_mode"), i, 1.0);
                cols.set(&format!("{prefix}_i_bias_coba"), i, f64::from(eb));
                e_rev[ch] = ea;
            } else {
                let d = HW.iter().find(|(p, _)| p.name == format!("{prefix}_i_bias_coba")).map_or(0.0, |(p, _)| p.default);
                e_rev[ch] = cal.e_rev[ch].eval(d);
            }
        }
        achieved.push(Achieved {
            tau_m: 1000.0 * c_pf / g_a,
            v_leak: vl_a,
            v_reset: vr_a,
            v_thresh: vt_a,
            tau_refrac: tr_a,
            tau_syn,
            weight_scale,
            e_rev,
        });
    }
    let placement = HxPlacement { chip_seed: tables.chip_seed, first_circuit: circuits.start as u32 };
    Ok(Calibrated { cell: cols.into_cell(placement), achieved })
}
