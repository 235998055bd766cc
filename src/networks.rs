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

/// Vogels & Abbott (2005) COBA, Brette et al. (2007) benchmark 1, as in PyNN's
/// `examples/VAbenchmarks.py`: `n` neurons (80 % excitatory), p = 0.02 without
/// self-connections, IF_cond_exp with tau_m 20 ms, cm 0.2 nF, v_rest −60, v_thresh −50,
/// v_reset −60, tau_refrac 5 ms, tau_syn_E 5, tau_syn_I 10, e_rev_E 0, e_rev_I −80; weights
/// 4 nS (exc) and 51 nS (inh), delay dt (MODELS.md: no delay beyond one step); initial v
/// uniform in [−60, −50] mV. As in PyNN's script, 20 Poisson sources at 100 Hz (p = 0.01,
/// 0.1 µS) kick the network into its self-sustained state — for the first 100 ms instead of
/// PyNN's 50: at N = 4000 with 4/51 nS the asynchronous state is marginal, and a 50 ms kick left
/// 2 of 12 seeds silent after it, while 100 ms ignited all 12 (14–16 Hz, ISI CV ≈ 1.4). A
/// stronger kick (p = 0.1) synchronises the network and it falls silent.
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
    let v0 = RandomDistribution::uniform(-60.0, -50.0);
    let exc = sim.create(Population::new(n_exc, cell.clone()).label("exc").initial("v", v0.clone()))?;
    let inh = sim.create(Population::new(n_inh, cell).label("inh").initial("v", v0))?;
    let kick = sim.create(
        Population::new(20, SpikeSourcePoisson { rate: 100.0.into(), duration: 100.0.into(), ..Default::default() }).label("kick"),
    )?;
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
    for (post, name) in [(exc, "kick->exc"), (inh, "kick->inh")] {
        sim.connect(Projection::new(kick, post, Connector::fixed_probability(0.01), StaticSynapse::new(0.1, dt)).label(name))?;
    }
    Ok(Coba { exc, inh })
}
