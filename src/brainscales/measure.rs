//! Measuring a population's v_leak, tau_m, v_thresh and tau_refrac **from simulated traces**,
//! as BSS-2's calibration measures the chip (and as the tests check a calibration):
//!
//! 1. *Rest and relaxation*: threshold, exponential term, adaptation and constant current off;
//!    v starts at 20 LSB (below every leak potential) and relaxes for 20 `tau_hint`. v_leak is
//!    the last sample; tau_m is `(t2 − t1) / ln((v1 − v_leak) / (v2 − v_leak))` at
//!    t1 = 0.5 and t2 = 2 `tau_hint` (exact for the exponential relaxation).
//! 2. *Spiking under a current step*: the cell as given (threshold on) with a DC current that
//!    puts every neuron's steady state ≥ 60 mV above its leak potential. v_thresh is the
//!    largest sample (the last before a crossing; at most one step's rise below the
//!    threshold); tau_refrac is the mean length of the runs of identical samples (the clamp),
//!    minus half a step (the crossing's mean position in its step).
//!
//! Potentials are reported in fractional LSB (the CADC map without its 8-bit rounding), times
//! in hardware µs. Every membrane is recorded at once: an emulator's privilege (the chip's
//! CADC also reads all 512 neurons in parallel, if more slowly), so the sessions here are not
//! strict.

use super::chip::{cadc, C_BASE_PF, C_PER_LSB_PF};
use super::session::{SessionBuilder, SessionError};
use crate::model::{HxNeuron, Param};
use crate::{CurrentSource, Population};
use serde::Serialize;

/// Per-neuron values measured from simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measured {
    /// Leak potential, LSB.
    pub v_leak: Vec<f64>,
    /// Membrane time constant, µs (hardware).
    pub tau_m: Vec<f64>,
    /// Threshold, LSB.
    pub v_thresh: Vec<f64>,
    /// Refractory period, µs (hardware).
    pub tau_refrac: Vec<f64>,
}

impl Measured {
    /// Worst relative error of each quantity against `targets` (v_leak, tau_m, v_thresh,
    /// tau_refrac), over all neurons.
    #[must_use]
    pub fn worst_relative_error(&self, targets: [f64; 4]) -> [f64; 4] {
        let worst = |v: &[f64], t: f64| v.iter().map(|x| ((x - t) / t).abs()).fold(0.0, f64::max);
        [
            worst(&self.v_leak, targets[0]),
            worst(&self.tau_m, targets[1]),
            worst(&self.v_thresh, targets[2]),
            worst(&self.tau_refrac, targets[3]),
        ]
    }
}

fn set_all(p: &mut Param, v: f64) {
    *p = Param::Const(v);
}

/// Measure `n` neurons of `cell` (placed from circuit 0 of the session `builder` makes, whose
/// chip must be the cell's); `tau_hint_us` is the expected membrane time constant.
pub fn measure(cell: &HxNeuron, n: usize, builder: impl Fn() -> SessionBuilder, tau_hint_us: f64) -> Result<Measured, SessionError> {
    let bio = |us: f64| us; // hardware µs = biological ms
                            // 1. Rest and relaxation.
    let mut a = cell.clone();
    set_all(&mut a.threshold_enable, 0.0);
    set_all(&mut a.exponential_enable, 0.0);
    set_all(&mut a.adaptation_enable, 0.0);
    set_all(&mut a.constant_current_enable, 0.0);
    let mut s = builder().build()?;
    let interval = 0.1;
    let pop = s.create(Population::new(n, a).label("relax").initial("v", cadc::lsb_to_mv(20.0)))?;
    s.simulation_mut().record_sampled(pop, &["v"], Some(interval))?;
    s.run(20.0 * tau_hint_us / 1000.0)?;
    let seg = s.get_data(pop)?;
    let (k1, k2) = ((0.5 * bio(tau_hint_us) / interval).round() as usize, (2.0 * bio(tau_hint_us) / interval).round() as usize);
    let (t1, t2) = (k1 as f64 * interval, k2 as f64 * interval);
    let mut v_leak = vec![0.0; n];
    let mut tau_m = vec![0.0; n];
    for tr in seg.traces.iter().filter(|t| t.name == "v") {
        let v = &tr.values;
        let rest = f64::from(v[v.len() - 1]);
        let (v1, v2) = (f64::from(v[k1]) - rest, f64::from(v[k2]) - rest);
        v_leak[tr.source_index] = cadc::mv_to_lsb(rest);
        tau_m[tr.source_index] = (t2 - t1) / (v1 / v2).ln();
    }

    // 2. Spiking under a current step: I = C g-drive for 60 mV above the leak at the
    // shortest measured tau_m (the largest capacitance setting's nominal C, 10 % margin).
    let cap = match &cell.membrane_capacitance_capacitance {
        Param::Array(a) => a.iter().copied().fold(0.0, f64::max),
        Param::Const(c) => *c,
        Param::Random(_) => 63.0,
    };
    let cm_nf = 0.1 * (C_BASE_PF + C_PER_LSB_PF * cap);
    let tau_min = tau_m.iter().copied().fold(f64::INFINITY, f64::min);
    let amplitude = 1.1 * cm_nf * 60.0 / tau_min;
    let mut s = builder().build()?;
    let pop = s.create(Population::new(n, cell.clone()).label("drive"))?;
    s.simulation_mut().inject(CurrentSource::dc(amplitude), pop)?;
    s.simulation_mut().record(pop, &["v"])?;
    s.run((6.0 * tau_hint_us + 20.0) / 1000.0)?;
    let dt = s.simulation().dt();
    let seg = s.get_data(pop)?;
    let mut v_thresh = vec![0.0; n];
    let mut tau_refrac = vec![f64::NAN; n];
    let skip = (1.0 / dt).round() as usize;
    for tr in seg.traces.iter().filter(|t| t.name == "v") {
        let v = &tr.values;
        let max = v[skip.min(v.len() - 1)..].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        v_thresh[tr.source_index] = cadc::mv_to_lsb(f64::from(max));
        // Runs of bitwise-identical samples of length ≥ 2, not touching either end.
        let (mut runs, mut total, mut j) = (0usize, 0usize, 1usize);
        while j < v.len() {
            if v[j].to_bits() == v[j - 1].to_bits() {
                let start = j - 1;
                while j < v.len() && v[j].to_bits() == v[start].to_bits() {
                    j += 1;
                }
                if start > 0 && j < v.len() {
                    runs += 1;
                    total += j - start;
                }
            } else {
                j += 1;
            }
        }
        if runs > 0 {
            tau_refrac[tr.source_index] = (total as f64 / runs as f64 - 0.5) * dt;
        }
    }
    Ok(Measured { v_leak, tau_m, v_thresh, tau_refrac })
}
