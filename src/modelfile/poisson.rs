//! `SpikeSourceInhomogeneousPoisson`: Poisson spike trains whose rate changes with time, given
//! as an expression of `t` (ms) or as a table, generated on the host when the model is built
//! and run as a `SpikeSourceArray`.
//!
//! **Method: thinning** (Lewis & Shedler 1979). For each neuron, candidate times are drawn
//! from a homogeneous Poisson process at `rate_max` (exponential intervals), from `start` on;
//! a candidate at t is kept with probability `rate(t) / rate_max`. `rate_max` is the file's
//! value, or the largest rate of the table, or the largest value of the expression sampled
//! every dt/4 over [start, stop) (a larger rate at a point between samples is treated as
//! `rate_max`, i.e. the candidate is kept). Draws come from the seeded Philox stream
//! `Stream::Parameter { pop, param: INHOMOGENEOUS_STREAM }`, one sequence per population, neuron
//! after neuron, so a seed fixes the trains on either back end.
//!
//! **On the step grid.** Like every spikeflow source, a neuron emits at most one spike per
//! step: a kept time T becomes the end of its step, `max(1, round(T/dt))·dt`, and a second
//! spike in the same step is dropped (at rate·dt ≪ 1 this is rare; it is the same limit as
//! `SpikeSourcePoisson`).

use super::expr::Expr;
use crate::random::{Rng, Stream};
use std::collections::BTreeMap;

/// Parameter slot of the random stream used for the thinning draws.
pub const INHOMOGENEOUS_STREAM: u32 = 0x00FF_FFFF;

/// The rate as a function of time.
#[derive(Debug, Clone, PartialEq)]
pub enum RateFunction {
    /// An expression of `t` (ms) giving Hz; other names are the model's parameters.
    Expr {
        /// The parsed expression.
        expr: Expr,
        /// Values of the other names.
        vars: BTreeMap<String, f64>,
    },
    /// Piecewise constant: `rates[k]` Hz from `times[k]` ms until the next time; 0 before the
    /// first.
    Table {
        /// ms, strictly increasing.
        times: Vec<f64>,
        /// Hz, ≥ 0.
        rates: Vec<f64>,
    },
}

impl RateFunction {
    /// The rate at `t` ms, Hz.
    pub fn at(&self, t: f64) -> Result<f64, String> {
        match self {
            RateFunction::Expr { expr, vars } => {
                expr.eval(&|n| if n == "t" { Some(t) } else { vars.get(n).copied() }).map_err(|e| e.to_string())
            }
            RateFunction::Table { times, rates } => {
                let k = times.partition_point(|&x| x <= t);
                Ok(if k == 0 { 0.0 } else { rates[k - 1] })
            }
        }
    }
}

/// A population of inhomogeneous Poisson sources.
#[derive(Debug, Clone, PartialEq)]
pub struct InhomogeneousPoisson {
    /// The rate, Hz.
    pub rate: RateFunction,
    /// First time a spike may occur, ms.
    pub start: f64,
    /// No spikes at or after this time, ms.
    pub stop: f64,
    /// Upper bound of the rate for thinning, Hz (found from the rate when absent).
    pub rate_max: Option<f64>,
}

impl InhomogeneousPoisson {
    /// The bound used for thinning, and a check that the rate is finite and ≥ 0 everywhere on
    /// the dt/4 grid (the error names the first bad time).
    pub fn bound(&self, dt: f64) -> Result<f64, String> {
        let mut max = 0.0f64;
        let h = dt / 4.0;
        let n = ((self.stop - self.start) / h).ceil().max(0.0) as u64;
        for k in 0..n {
            let t = self.start + k as f64 * h;
            let r = self.rate.at(t)?;
            if !(r.is_finite() && r >= 0.0) {
                return Err(format!("the rate must be finite and ≥ 0 Hz (it is {r} at t = {t} ms)"));
            }
            max = max.max(r);
        }
        if let RateFunction::Table { rates, .. } = &self.rate {
            max = rates.iter().copied().fold(max, f64::max);
        }
        match self.rate_max {
            Some(m) if !(m.is_finite() && m >= 0.0) => Err(format!("rate_max must be finite and ≥ 0 Hz (got {m})")),
            Some(m) => Ok(m),
            None => Ok(max),
        }
    }

    /// Spike times (ms, on the step grid) of `n` neurons for population `pop` of a simulation
    /// with time step `dt` and seed `seed`.
    pub fn spike_times(&self, n: usize, dt: f64, seed: u64, pop: u32) -> Result<Vec<Vec<f64>>, String> {
        let bound = self.bound(dt)?;
        let mut rng = Rng::new(seed, Stream::Parameter { pop, param: INHOMOGENEOUS_STREAM });
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let mut times: Vec<f64> = Vec::new();
            let mut last_step = 0u64;
            if bound > 0.0 {
                let mut t = self.start;
                loop {
                    t += -(1.0 - rng.uniform()).ln() / bound * 1000.0;
                    if t >= self.stop {
                        break;
                    }
                    let r = self.rate.at(t)?;
                    if rng.uniform() * bound < r {
                        let step = ((t / dt).round() as u64).max(1);
                        if step > last_step {
                            times.push(step as f64 * dt);
                            last_step = step;
                        }
                    }
                }
            }
            out.push(times);
        }
        Ok(out)
    }
}
