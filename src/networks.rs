//! Standard benchmark networks, built with the public API (used by the demo, examples and
//! benchmarks).

use crate::prelude::*;
use crate::Error;

/// The COBA network handles.
#[derive(Debug, Clone, Copy)]
pub struct Coba {
    /// 3200 (scaled) excitatory IF_cond_exp cells.
    pub exc: PopulationId,
    /// 800 (scaled) inhibitory IF_cond_exp cells.
    pub inh: PopulationId,
}

/// Vogels & Abbott (2005) COBA, Brette et al. (2007) benchmark 1, as in PyNN's VAbenchmarks and
/// Brian2's example: `n` neurons (80 % excitatory), p = 0.02, IF_cond_exp with tau_m 20 ms,
/// cm 0.2 nF, v_rest −60, v_thresh −50, v_reset −60, tau_refrac 5 ms, tau_syn_E 5, tau_syn_I 10,
/// e_rev_E 0, e_rev_I −80; weights 4 nS (exc) and 51 nS (inh), delay dt. Initial v uniform in
/// [−60, −50] mV and initial conductances normal(4, 1.5) × 10 nS and normal(20, 12) × 10 nS
/// (clipped at 0), as Brian2's COBA example, so activity is self-sustained from t = 0.
pub fn coba(sim: &mut Simulation, n: usize) -> Result<Coba, Error> {
    let n_exc = n * 4 / 5;
    let n_inh = n - n_exc;
    let cell = IfCondExp {
        cm: 0.2.into(),
        tau_m: 20.0.into(),
        v_rest: (-60.0).into(),
        v_thresh: (-50.0).into(),
        v_reset: (-60.0).into(),
        tau_refrac: 5.0.into(),
        tau_syn_e: 5.0.into(),
        tau_syn_i: 10.0.into(),
        e_rev_e: 0.0.into(),
        e_rev_i: (-80.0).into(),
        i_offset: 0.0.into(),
    };
    let with_init = |p: Population| {
        p.initial("v", RandomDistribution::uniform(-60.0, -50.0))
            .initial("gsyn_exc", RandomDistribution::NormalClippedToBoundary { mu: 0.04, sigma: 0.015, low: 0.0, high: f64::INFINITY })
            .initial("gsyn_inh", RandomDistribution::NormalClippedToBoundary { mu: 0.2, sigma: 0.12, low: 0.0, high: f64::INFINITY })
    };
    let exc = sim.create(with_init(Population::new(n_exc, cell.clone()).label("exc")))?;
    let inh = sim.create(with_init(Population::new(n_inh, cell).label("inh")))?;
    let dt = sim.dt();
    let conn = Connector::fixed_probability(0.02).allow_self_connections(false);
    for (pre, post, w, r, name) in [
        (exc, exc, 0.004, Receptor::Excitatory, "exc->exc"),
        (exc, inh, 0.004, Receptor::Excitatory, "exc->inh"),
        (inh, exc, 0.051, Receptor::Inhibitory, "inh->exc"),
        (inh, inh, 0.051, Receptor::Inhibitory, "inh->inh"),
    ] {
        sim.connect(Projection::new(pre, post, conn.clone(), StaticSynapse::new(w, dt)).receptor(r).label(name))?;
    }
    Ok(Coba { exc, inh })
}
