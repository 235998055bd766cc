//! Standard benchmark networks, built with the public API (used by the demo, examples and
//! benchmarks).

use crate::prelude::*;
use crate::Error;
use crate::ProjectionId;

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
    let net = coba_with(sim, n, 0.02, 1.0)?;
    Ok(Coba { exc: net.exc, inh: net.inh })
}

/// The COBA network handles, with the kick sources.
#[derive(Debug, Clone, Copy)]
pub struct CobaScaled {
    /// 80 % excitatory IF_cond_exp cells.
    pub exc: PopulationId,
    /// 20 % inhibitory IF_cond_exp cells.
    pub inh: PopulationId,
    /// The 20 Poisson kick sources (100 Hz for the first 100 ms).
    pub kick: PopulationId,
    /// The recurrent projections: exc→exc, exc→inh, inh→exc, inh→inh.
    pub recurrent: [ProjectionId; 4],
}

/// [`coba`] with `n` neurons at the in-degree of the 4000-neuron network: p = 80 / n, so each
/// cell has on average 64 excitatory and 16 inhibitory inputs whatever `n` (the scaling curve
/// of issue 7: the work per spike stays the same, the number of spikes grows with `n`). The
/// kick sources keep p = 0.01 (0.2 kick synapses per cell on average). `n ≥ 4000`.
pub fn coba_fixed_indegree(sim: &mut Simulation, n: usize) -> Result<CobaScaled, Error> {
    coba_indegree(sim, n, 80.0)
}

/// [`coba`] with `n` neurons and on average `k` recurrent inputs per cell (p = k / n), the
/// recurrent weights scaled by 80 / k so that the mean conductance a cell receives at a given
/// rate is that of the 4000-neuron network (the Vogels–Abbott network at 1e5 neurons and 1e9
/// synapses is `n` = 1e5, `k` = 1e4). `k` = 80 is [`coba_fixed_indegree`], the same synapses
/// and weights to the bit. `n ≥ 4000`, 1 ≤ `k` ≤ `n`.
pub fn coba_indegree(sim: &mut Simulation, n: usize, k: f64) -> Result<CobaScaled, Error> {
    if n < 4000 {
        return Err(Error::Invalid { what: "coba_indegree.n".into(), rule: format!("must be ≥ 4000 (got {n})") });
    }
    if !(k.is_finite() && k >= 1.0 && k <= n as f64) {
        return Err(Error::Invalid { what: "coba_indegree.k".into(), rule: format!("must be in [1, n = {n}] (got {k})") });
    }
    coba_with(sim, n, k / n as f64, 80.0 / k)
}

/// `w_scale` multiplies the recurrent weights (4 and 51 nS).
fn coba_with(sim: &mut Simulation, n: usize, p_connect: f64, w_scale: f64) -> Result<CobaScaled, Error> {
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
    let conn = Connector::fixed_probability(p_connect).allow_self_connections(false);
    let mut recurrent = Vec::with_capacity(4);
    for (pre, post, w, r, name) in [
        (exc, exc, 0.004, Receptor::Excitatory, "exc->exc"),
        (exc, inh, 0.004, Receptor::Excitatory, "exc->inh"),
        (inh, exc, 0.051, Receptor::Inhibitory, "inh->exc"),
        (inh, inh, 0.051, Receptor::Inhibitory, "inh->inh"),
    ] {
        recurrent.push(sim.connect(Projection::new(pre, post, conn.clone(), StaticSynapse::new(w * w_scale, dt)).receptor(r).label(name))?);
    }
    for (post, name) in [(exc, "kick->exc"), (inh, "kick->inh")] {
        sim.connect(Projection::new(kick, post, Connector::fixed_probability(0.01), StaticSynapse::new(0.1, dt)).label(name))?;
    }
    let recurrent = [recurrent[0], recurrent[1], recurrent[2], recurrent[3]];
    Ok(CobaScaled { exc, inh, kick, recurrent })
}

/// The eight populations of [`pd14`], in the order of the published tables.
pub const PD14_POPULATIONS: [&str; 8] = ["L23e", "L23i", "L4e", "L4i", "L5e", "L5i", "L6e", "L6i"];

/// Full-scale population sizes of the Potjans & Diesmann (2014) microcircuit (table 5 of the
/// paper; 77,169 neurons), in [`PD14_POPULATIONS`] order.
pub const PD14_SIZES: [usize; 8] = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948];

/// Connection probabilities `C[target][source]` of Potjans & Diesmann (2014), table 5 (rows and
/// columns in [`PD14_POPULATIONS`] order: L2/3e, L2/3i, L4e, L4i, L5e, L5i, L6e, L6i), as in
/// NEST's `microcircuit` example (`network_params.py`, `conn_probs`).
pub const PD14_CONN_PROBS: [[f64; 8]; 8] = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
];

/// External (thalamo-/cortico-cortical background) in-degrees per population (Potjans &
/// Diesmann 2014, table 5, "K_ext"), each input a Poisson process of [`PD14_BG_RATE`].
pub const PD14_K_EXT: [usize; 8] = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100];

/// Rate of each external input, Hz.
pub const PD14_BG_RATE: f64 = 8.0;

/// Mean excitatory weight: a PSP of 0.15 mV is a current of 87.81 pA (0.08781 nA).
pub const PD14_W_EXC: f64 = 0.087_81;

/// Published mean rates (Hz) at full scale with Poisson input (MODELS.md), in
/// [`PD14_POPULATIONS`] order.
pub const PD14_REFERENCE_RATES: [f64; 8] = [0.9, 2.8, 4.4, 5.7, 6.8, 8.2, 1.1, 7.6];

/// How [`pd14`] drives the network from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pd14Input {
    /// Independent Poisson input per neuron: `K_ext` processes of 8 Hz, i.e. one process of
    /// `8 · K_ext` Hz of 87.81 pA events ([`PoissonInput`]: each step a Poisson count per
    /// neuron, added to its excitatory input — NEST's `poisson_generator`).
    #[default]
    Poisson,
    /// The equivalent DC (NEST example's `poisson_input = False`): `8 Hz · K_ext · 87.81 pA ·
    /// tau_syn` as `i_offset`.
    Dc,
}

/// Handles of the PD14 populations, in [`PD14_POPULATIONS`] order.
#[derive(Debug, Clone)]
pub struct Pd14 {
    /// The eight cortical populations (IF_curr_exp).
    pub pops: Vec<PopulationId>,
}

/// Synapses of one PD14 projection: `K = ln(1 − C) / ln(1 − 1/(N_pre N_post))` at full scale
/// (Potjans & Diesmann 2014, eq. 1: `C` is the probability of at least one synapse between a
/// pair when `K` synapses are drawn with replacement), scaled with the number of target
/// neurons (`scale` keeps the in-degrees `K / N_post`).
pub fn pd14_synapse_count(target: usize, source: usize, scale: f64) -> usize {
    let c = PD14_CONN_PROBS[target][source];
    if c <= 0.0 {
        return 0;
    }
    let (n_pre, n_post) = (PD14_SIZES[source] as f64, PD14_SIZES[target] as f64);
    let k_full = (1.0 - c).ln() / (1.0 - 1.0 / (n_pre * n_post)).ln();
    let n_post_scaled = (n_post * scale).round().max(1.0);
    (k_full / n_post * n_post_scaled).round() as usize
}

/// The cortical microcircuit of Potjans & Diesmann (2014), Cereb. Cortex 24:785 — the model of
/// NEST's `microcircuit` example and PyNN's `PD14` implementations. `scale` ∈ (0, 1] multiplies
/// the population sizes ([`PD14_SIZES`]) and keeps the in-degrees (each projection has
/// [`pd14_synapse_count`] synapses), so the mean input of a neuron does not change with scale;
/// smaller networks lose only the correlations of the full one.
///
/// * Cells: IF_curr_exp with tau_m 10 ms, cm 0.25 nF (250 pF), v_rest = v_reset −65 mV,
///   v_thresh −50 mV, tau_refrac 2 ms, tau_syn_E = tau_syn_I 0.5 ms; initial v normal(−58, 10)
///   mV (the example's `V0_mean`, `V0_sd`).
/// * Connectivity: FixedTotalNumber per (source, target) pair with multapses and autapses,
///   probabilities [`PD14_CONN_PROBS`] (table 5).
/// * Weights: 87.81 pA (a 0.15 mV PSP) from excitatory, −4 × that from inhibitory sources,
///   2 × for L4e → L2/3e; normal with a 10 % standard deviation, clipped at 0 (the sign
///   never flips: redrawn, PyNN's `normal_clipped`).
/// * Delays: normal 1.5 ± 0.75 ms (excitatory), 0.75 ± 0.375 ms (inhibitory), redrawn below
///   dt (the paper's 0.1 ms minimum at dt = 0.1 ms), rounded to whole steps.
/// * External input: [`Pd14Input`] (Poisson 8 Hz × K_ext, or the equivalent DC).
///
/// Expected (full scale, Poisson input, MODELS.md): rates ≈ 0.9, 2.8, 4.4, 5.7, 6.8, 8.2,
/// 1.1, 7.6 Hz ([`PD14_REFERENCE_RATES`]), ISI CV 0.8–0.95. Run at dt = 0.1 ms.
pub fn pd14(sim: &mut Simulation, scale: f64, input: Pd14Input) -> Result<Pd14, Error> {
    if !(scale > 0.0 && scale <= 1.0) {
        return Err(Error::Invalid { what: "pd14.scale".into(), rule: format!("must be in (0, 1] (got {scale})") });
    }
    let dt = sim.dt();
    let tau_syn = 0.5;
    let mut pops = Vec::with_capacity(8);
    for (p, name) in PD14_POPULATIONS.iter().enumerate() {
        let n = ((PD14_SIZES[p] as f64) * scale).round().max(1.0) as usize;
        let i_offset = match input {
            Pd14Input::Poisson => 0.0,
            // Hz · nA · ms · 1e-3 = nA.
            Pd14Input::Dc => PD14_BG_RATE * PD14_K_EXT[p] as f64 * PD14_W_EXC * tau_syn * 1e-3,
        };
        let cell = IfCurrExp {
            cm: 0.25.into(),
            tau_m: 10.0.into(),
            v_rest: (-65.0).into(),
            v_reset: (-65.0).into(),
            v_thresh: (-50.0).into(),
            tau_refrac: 2.0.into(),
            tau_syn_e: tau_syn.into(),
            tau_syn_i: tau_syn.into(),
            i_offset: i_offset.into(),
        };
        let v0 = RandomDistribution::normal(-58.0, 10.0);
        pops.push(sim.create(Population::new(n, cell).label(*name).initial("v", v0))?);
    }
    for (t, &post) in pops.iter().enumerate() {
        for (s, &pre) in pops.iter().enumerate() {
            let k = pd14_synapse_count(t, s, scale);
            if k == 0 {
                continue;
            }
            let exc = s % 2 == 0;
            let mut w = if exc { PD14_W_EXC } else { -4.0 * PD14_W_EXC };
            if s == 2 && t == 0 {
                w *= 2.0; // L4e → L2/3e
            }
            let weight = if exc {
                RandomDistribution::normal_clipped(w, 0.1 * w.abs(), 0.0, f64::INFINITY)
            } else {
                RandomDistribution::normal_clipped(w, 0.1 * w.abs(), f64::NEG_INFINITY, 0.0)
            };
            let (d_mean, receptor) = if exc { (1.5, Receptor::Excitatory) } else { (0.75, Receptor::Inhibitory) };
            let delay = RandomDistribution::normal_clipped(d_mean, 0.5 * d_mean, dt, f64::INFINITY);
            sim.connect(
                Projection::new(pre, post, Connector::fixed_total_number(k), StaticSynapse::new(weight, delay))
                    .receptor(receptor)
                    .label(format!("{}->{}", PD14_POPULATIONS[s], PD14_POPULATIONS[t])),
            )?;
        }
    }
    if input == Pd14Input::Poisson {
        for (t, &post) in pops.iter().enumerate() {
            sim.add_poisson_input(PoissonInput::new(PD14_BG_RATE * PD14_K_EXT[t] as f64, PD14_W_EXC), post)?;
        }
    }
    Ok(Pd14 { pops })
}

/// Handles of [`izhikevich2003`].
#[derive(Debug, Clone)]
pub struct Izhikevich2003 {
    /// All 1000 cells: 800 excitatory (0..800), then 200 inhibitory.
    pub cells: PopulationId,
    /// The excitatory cells.
    pub exc: PopulationView,
    /// The inhibitory cells.
    pub inh: PopulationView,
}

/// The network of Izhikevich (2003), "Simple model of spiking neurons", IEEE TNN 14:1569 — the
/// paper's MATLAB script `net.m` (MODELS.md): 800 excitatory cells (a 0.02, b 0.2,
/// c −65 + 15 r², d 8 − 6 r²) and 200 inhibitory ones (a 0.02 + 0.08 r, b 0.25 − 0.05 r,
/// c −65, d 2), r uniform in [0, 1) per cell (one r per cell for all its parameters);
/// all-to-all with self-connections, weights uniform in [0, 0.5) mV from excitatory and
/// [−1, 0) mV from inhibitory cells; thalamic input `5 · randn` (excitatory) and `2 · randn`
/// (inhibitory) drawn anew each ms (NoisyCurrentSource, 0.005 and 0.002 nA in PyNN units);
/// v0 = −65, u0 = b · v0; Izhikevich's published numerics (v in two 0.5 ms half-steps).
///
/// Run it at dt = 1 ms (the paper's). One departure: a spike reaches its targets after one step
/// (1 ms, spikeflow's minimum delay) rather than in the step after the one that detected it,
/// so every synaptic effect comes 1 ms later than in `net.m`. Alpha (~10 Hz) and gamma
/// (~40 Hz) rhythms emerge.
pub fn izhikevich2003(sim: &mut Simulation) -> Result<Izhikevich2003, Error> {
    izhikevich2003_scaled(sim, 1.0)
}

/// [`izhikevich2003`] with `1000 · scale` cells (80 % excitatory) and the weights multiplied by
/// `1 / scale`, so that the summed input of a cell stays the paper's (all-to-all: the synapses
/// grow as scale²). `scale = 1` is exactly [`izhikevich2003`]. A load test for benchmarks.
pub fn izhikevich2003_scaled(sim: &mut Simulation, scale: f64) -> Result<Izhikevich2003, Error> {
    use crate::random::{Rng, Stream};
    let n = (1000.0 * scale).round();
    if !(scale.is_finite() && (5.0..=1e5).contains(&n)) {
        return Err(Error::Invalid { what: "izhikevich2003.scale".into(), rule: format!("must give 5 to 1e5 cells (got {scale})") });
    }
    let n = n as usize;
    let (ne, ni) = (n * 4 / 5, n - n * 4 / 5);
    let w = 1000.0 / n as f64;
    // The builder's own stream (no population has this index), so r is fixed by the seed.
    let mut rng = Rng::new(sim.seed(), Stream::Parameter { pop: u32::MAX, param: 0 });
    let re: Vec<f64> = (0..ne).map(|_| rng.uniform()).collect();
    let ri: Vec<f64> = (0..ni).map(|_| rng.uniform()).collect();
    let cat = |e: &dyn Fn(f64) -> f64, i: &dyn Fn(f64) -> f64| -> Param {
        Param::from(re.iter().map(|&r| e(r)).chain(ri.iter().map(|&r| i(r))).collect::<Vec<f64>>())
    };
    let cell = Izhikevich {
        a: cat(&|_| 0.02, &|r| 0.02 + 0.08 * r),
        b: cat(&|_| 0.2, &|r| 0.25 - 0.05 * r),
        c: cat(&|r| -65.0 + 15.0 * r * r, &|_| -65.0),
        d: cat(&|r| 8.0 - 6.0 * r * r, &|_| 2.0),
        v0: (-65.0).into(),
        numerics: IzhikevichNumerics::Published,
        ..Default::default()
    };
    let cells = sim.create(Population::new(ne + ni, cell).label("izhikevich2003"))?;
    let (exc, inh) = (cells.slice(0..ne), cells.slice(ne..ne + ni));
    let delay = sim.dt();
    sim.connect(
        Projection::new(exc.clone(), cells, Connector::all_to_all(), StaticSynapse::new(RandomDistribution::uniform(0.0, 0.5 * w), delay))
            .label("exc"),
    )?;
    sim.connect(
        Projection::new(inh.clone(), cells, Connector::all_to_all(), StaticSynapse::new(RandomDistribution::uniform(-w, 0.0), delay))
            .receptor(Receptor::Inhibitory)
            .label("inh"),
    )?;
    sim.inject(CurrentSource::noisy(0.0, 0.005, 0.0, f64::INFINITY, Some(1.0)), exc.clone())?;
    sim.inject(CurrentSource::noisy(0.0, 0.002, 0.0, f64::INFINITY, Some(1.0)), inh.clone())?;
    Ok(Izhikevich2003 { cells, exc, inh })
}
