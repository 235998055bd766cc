//! Per-neuron calibration tables: hardware value → the biological quantity it sets, measured
//! from the emulated chip's circuits on a grid of hardware values, interpolated between grid
//! points, inverted to find the hardware value of a target, saved and loaded as JSON (a saved
//! [`ChipCalibration`] plays the role of the chip's nightly calibration).
//!
//! Units are the chip's: potentials in CADC LSB, times in hardware µs (= biological ms),
//! capacitance pF, leak conductance nS, weight scale nA (hardware) per weight LSB.
//!
//! Interpolation is linear between grid points, in the value itself or (for the synaptic time
//! constants, which the chip sets exponentially) in its logarithm, so the tables reproduce the
//! linear and exponential curves exactly and the curved potential ones to ~0.01 LSB on the
//! 32-value CapMem grid. Every table is strictly monotone (checked on load and by the tests);
//! inversion is the interpolant's inverse.

use super::chip::{Chip, Circuit, CAPACITANCE_MAX, CAPMEM_MAX, REFRACTORY_MAX};
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Errors of loading, saving and checking calibrations.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CalibrationError {
    /// The file could not be read or written.
    #[error("calibration file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The file is not a calibration.
    #[error("calibration file {path}: not a calibration: {message}")]
    Format {
        /// The file.
        path: String,
        /// serde's message.
        message: String,
    },
    /// A table breaks a rule (monotone, matching lengths, ≥ 2 points).
    #[error("calibration of neuron {neuron}, table {table}: {rule}")]
    BadTable {
        /// Neuron index.
        neuron: usize,
        /// The table's quantity.
        table: String,
        /// The rule.
        rule: String,
    },
}

/// One monotone table: `value[j]` at hardware value `hw[j]` (increasing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// What the table gives (`v_leak`, `tau_syn_exc`, ...).
    pub quantity: String,
    /// Its unit.
    pub unit: String,
    /// Hardware values of the grid, strictly increasing.
    pub hw: Vec<f64>,
    /// The quantity at each grid point, strictly monotone.
    pub value: Vec<f64>,
    /// Interpolate in ln(value) (exponential curves) instead of value.
    pub log: bool,
}

/// The CapMem grid: every 32nd value and 1022.
#[must_use]
pub fn capmem_grid() -> Vec<f64> {
    let mut g: Vec<f64> = (0..CAPMEM_MAX).step_by(32).map(f64::from).collect();
    g.push(f64::from(CAPMEM_MAX));
    g
}

fn full_grid(max: u16) -> Vec<f64> {
    (0..=max).map(f64::from).collect()
}

impl Table {
    /// Sample `f` on `grid`.
    pub fn sample(quantity: &str, unit: &str, grid: &[f64], log: bool, f: impl Fn(f64) -> f64) -> Self {
        Self { quantity: quantity.into(), unit: unit.into(), hw: grid.to_vec(), value: grid.iter().map(|&x| f(x)).collect(), log }
    }

    fn y(&self, j: usize) -> f64 {
        if self.log {
            self.value[j].ln()
        } else {
            self.value[j]
        }
    }

    fn out(&self, y: f64) -> f64 {
        if self.log {
            y.exp()
        } else {
            y
        }
    }

    /// The quantity at hardware value `x` (clamped to the grid's range), interpolated.
    #[must_use]
    pub fn eval(&self, x: f64) -> f64 {
        let last = self.hw.len() - 1;
        let x = x.clamp(self.hw[0], self.hw[last]);
        let j = self.hw.partition_point(|&h| h <= x).clamp(1, last);
        let (x0, x1) = (self.hw[j - 1], self.hw[j]);
        let t = (x - x0) / (x1 - x0);
        self.out(self.y(j - 1) + t * (self.y(j) - self.y(j - 1)))
    }

    /// +1 if strictly increasing, −1 if strictly decreasing, 0 otherwise.
    #[must_use]
    pub fn direction(&self) -> i32 {
        let d: Vec<f64> = self.value.windows(2).map(|w| w[1] - w[0]).collect();
        if d.iter().all(|&x| x > 0.0) {
            1
        } else if d.iter().all(|&x| x < 0.0) {
            -1
        } else {
            0
        }
    }

    /// Smallest and largest value the table reaches.
    #[must_use]
    pub fn range(&self) -> (f64, f64) {
        let (a, b) = (self.value[0], self.value[self.value.len() - 1]);
        (a.min(b), a.max(b))
    }

    /// The (fractional) hardware value giving `target`, or `None` if out of the table's range.
    #[must_use]
    pub fn invert(&self, target: f64) -> Option<f64> {
        let (lo, hi) = self.range();
        if !(target >= lo && target <= hi) || (self.log && target <= 0.0) {
            return None;
        }
        let y = if self.log { target.ln() } else { target };
        let inc = self.direction() >= 0;
        // First grid point at or beyond the target in the table's direction.
        let j = (1..self.hw.len()).find(|&j| if inc { self.y(j) >= y } else { self.y(j) <= y })?;
        let (y0, y1) = (self.y(j - 1), self.y(j));
        let t = if y1 == y0 { 0.0 } else { (y - y0) / (y1 - y0) };
        Some(self.hw[j - 1] + t * (self.hw[j] - self.hw[j - 1]))
    }

    /// The whole hardware value whose interpolated quantity is nearest `target` (of floor and
    /// ceil of the inverse), with that quantity; `None` if the target is out of range.
    #[must_use]
    pub fn nearest(&self, target: f64) -> Option<(u16, f64)> {
        let x = self.invert(target)?;
        let cands = [x.floor(), x.ceil()];
        cands.iter().map(|&c| (c as u16, self.eval(c))).min_by(|a, b| (a.1 - target).abs().total_cmp(&(b.1 - target).abs()))
    }

    fn check(&self, neuron: usize) -> Result<(), CalibrationError> {
        let bad = |rule: &str| CalibrationError::BadTable { neuron, table: self.quantity.clone(), rule: rule.into() };
        if self.hw.len() < 2 || self.hw.len() != self.value.len() {
            return Err(bad("needs ≥ 2 grid points and one value per point"));
        }
        if !self.hw.windows(2).all(|w| w[1] > w[0]) {
            return Err(bad("hardware values must increase strictly"));
        }
        if !self.value.iter().all(|v| v.is_finite() && (!self.log || *v > 0.0)) {
            return Err(bad("values must be finite (and > 0 for a log table)"));
        }
        if self.direction() == 0 {
            return Err(bad("values must be strictly monotone"));
        }
        Ok(())
    }
}

/// The tables of one neuron circuit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuronCalibration {
    /// leak_v_leak → v_leak, LSB.
    pub v_leak: Table,
    /// reset_v_reset → v_reset, LSB.
    pub v_reset: Table,
    /// threshold_v_threshold → v_thresh, LSB.
    pub v_thresh: Table,
    /// leak_i_bias → g_L, nS, with division (÷8), neither, multiplication (×8).
    pub g_leak: [Table; 3],
    /// membrane_capacitance_capacitance → C_m, pF.
    pub capacitance: Table,
    /// Analog refractory latency, µs (the refractory period at count 0).
    pub refractory_latency: f64,
    /// refractory_time → tau_refrac, µs, for input_clock 0 and 1 (holdoff 0).
    pub tau_refrac: [Table; 2],
    /// i_bias_tau → tau_syn, µs (exc, inh).
    pub tau_syn: [Table; 2],
    /// i_bias_gm → current per weight LSB, nA hardware (exc, inh).
    pub weight_scale: [Table; 2],
    /// i_bias_coba → reversal potential, LSB (exc, inh).
    pub e_rev: [Table; 2],
}

impl NeuronCalibration {
    /// Measure circuit `c` on the grids.
    #[must_use]
    pub fn measure(c: &Circuit) -> Self {
        let g = capmem_grid();
        let pot = |q: &str, curve: super::chip::PotentialCurve| Table::sample(q, "LSB", &g, false, |x| curve.eval(x));
        let leak = |q: &str, d: bool, m: bool| Table::sample(q, "nS", &g[1..], false, |x| c.g_leak_ns(x, d, m));
        let refrac = |clock: usize| {
            Table::sample(&format!("tau_refrac_clock{clock}"), "us", &full_grid(REFRACTORY_MAX), false, |x| c.tau_refrac_us(x, 0.0, clock))
        };
        Self {
            v_leak: pot("v_leak", c.v_leak),
            v_reset: pot("v_reset", c.v_reset),
            v_thresh: pot("v_thresh", c.v_thresh),
            g_leak: [leak("g_leak_division", true, false), leak("g_leak", false, false), leak("g_leak_multiplication", false, true)],
            capacitance: Table::sample("capacitance", "pF", &full_grid(CAPACITANCE_MAX), false, |x| c.capacitance_pf(x)),
            refractory_latency: c.refractory_latency_us,
            tau_refrac: [refrac(0), refrac(1)],
            tau_syn: [
                Table::sample("tau_syn_exc", "us", &g, true, |x| c.tau_syn_us(0, x)),
                Table::sample("tau_syn_inh", "us", &g, true, |x| c.tau_syn_us(1, x)),
            ],
            weight_scale: [
                Table::sample("weight_scale_exc", "nA", &g[1..], false, |x| c.weight_scale_na(0, x)),
                Table::sample("weight_scale_inh", "nA", &g[1..], false, |x| c.weight_scale_na(1, x)),
            ],
            e_rev: [pot("e_rev_exc", c.e_rev_exc), pot("e_rev_inh", c.e_rev_inh)],
        }
    }

    /// Every table of the neuron.
    #[must_use]
    pub fn tables(&self) -> Vec<&Table> {
        let mut t = vec![&self.v_leak, &self.v_reset, &self.v_thresh, &self.capacitance];
        t.extend(self.g_leak.iter().chain(&self.tau_refrac).chain(&self.tau_syn).chain(&self.weight_scale).chain(&self.e_rev));
        t
    }

    /// Membrane time constant, µs, for a leak setting and capacitance (from the tables).
    #[must_use]
    pub fn tau_m(&self, leak_i_bias: f64, mode: usize, capacitance: f64) -> f64 {
        1000.0 * self.capacitance.eval(capacitance) / self.g_leak[mode].eval(leak_i_bias)
    }
}

/// The calibration of a whole chip: one [`NeuronCalibration`] per circuit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChipCalibration {
    /// Seed of the chip it was measured on (`None`: the ideal chip).
    pub chip_seed: Option<u64>,
    /// Tables by circuit.
    pub neurons: Vec<NeuronCalibration>,
}

impl ChipCalibration {
    /// Measure every circuit of `chip`.
    #[must_use]
    pub fn measure(chip: &Chip) -> Self {
        Self { chip_seed: chip.seed, neurons: chip.circuits.iter().map(NeuronCalibration::measure).collect() }
    }

    /// Check every table (monotone, consistent grids).
    pub fn check(&self) -> Result<(), CalibrationError> {
        for (i, n) in self.neurons.iter().enumerate() {
            for t in n.tables() {
                t.check(i)?;
            }
        }
        Ok(())
    }

    /// As JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Write to `path` as JSON.
    pub fn save(&self, path: &Path) -> Result<(), CalibrationError> {
        std::fs::write(path, self.to_json()).map_err(|e| CalibrationError::Io { path: path.display().to_string(), message: e.to_string() })
    }

    /// Read from `path` and check it.
    pub fn load(path: &Path) -> Result<Self, CalibrationError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| CalibrationError::Io { path: path.display().to_string(), message: e.to_string() })?;
        let cal: Self = serde_json::from_str(&text)
            .map_err(|e| CalibrationError::Format { path: path.display().to_string(), message: e.to_string() })?;
        cal.check()?;
        Ok(cal)
    }
}
