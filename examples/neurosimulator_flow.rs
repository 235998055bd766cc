//! The neurosimulator project's flow (github.com/AghilZadeh/spiking-network-simulator): a
//! striatum-like network runs 1000 ms, then its anti-Hebbian plasticity is switched on for
//! 1000 ms, then off again for 1000 ms — between runs, without rebuilding anything. The
//! weight change of each phase is reported.
//!
//! Network: 200 spiny projection neurons (SPN) and 20 fast-spiking interneurons (FSI), both
//! IF_cond_exp, driven by 200 cortical Poisson inputs at 2–18 Hz; FSI → SPN static inhibition;
//! SPN → SPN recurrent inhibition (p = 0.1) under [`AntiHebbianSynapse`]:
//! `Δw = −eta·r_pre·r_post` (rates as 100 ms exponential traces, applied every 1 ms), which
//! weakens the inhibition between co-active cells and leaves pairs with a silent cell alone.
//! (neurosimulator's own `AntiHebbian` class relaxes weights towards sign-dependent targets of
//! a timing kernel; this is the rate form of the same idea.)
//!
//! Prints one JSON object on the last line: per phase, whether learning was on, the mean
//! weight at its end, the mean and extreme weight change, how many synapses changed, and the
//! SPN rate.
//!
//! `cargo run --release --example neurosimulator_flow -- [--backend cpu|gpu] [--seed 1]`

use anyhow::Result;
use clap::Parser;
use spikeflow::prelude::*;

#[derive(Parser)]
#[command(about = "Run, switch anti-Hebbian plasticity on, run, switch it off, run")]
struct Args {
    /// gpu or cpu.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Duration of each phase, ms.
    #[arg(long, default_value_t = 1000.0)]
    phase: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut sim = Simulation::builder().dt(0.1).seed(args.seed).backend(args.backend).build()?;
    let cell = |tau_m: f64, refrac: f64| IfCondExp {
        tau_m: tau_m.into(),
        tau_refrac: refrac.into(),
        v_rest: (-70.0).into(),
        v_reset: (-70.0).into(),
        v_thresh: (-50.0).into(),
        tau_syn_i: 10.0.into(),
        ..Default::default()
    };
    let spn = sim.create(Population::new(200, cell(20.0, 2.0)).label("SPN").initial("v", RandomDistribution::uniform(-70.0, -55.0)))?;
    let fsi = sim.create(Population::new(20, cell(10.0, 1.0)).label("FSI"))?;
    let cortex = sim.create(
        Population::new(200, SpikeSourcePoisson { rate: RandomDistribution::uniform(2.0, 18.0).into(), ..Default::default() })
            .label("cortex"),
    )?;
    let exc = |w: f64| StaticSynapse::new(RandomDistribution::uniform(0.5 * w, 1.5 * w), 1.0);
    sim.connect(Projection::new(cortex, spn, Connector::fixed_number_pre(40), exc(0.012)).label("cortex->SPN"))?;
    sim.connect(Projection::new(cortex, fsi, Connector::fixed_number_pre(40), exc(0.012)).label("cortex->FSI"))?;
    sim.connect(
        Projection::new(fsi, spn, Connector::fixed_probability(0.3), StaticSynapse::new(0.01, 1.0))
            .receptor(Receptor::Inhibitory)
            .label("FSI->SPN"),
    )?;
    let rule = AntiHebbianSynapse { tau: 100.0, interval: 1.0, ..AntiHebbianSynapse::new(1e-6, 0.0, 0.01, 0.005, 1.0) };
    let lateral = sim.connect(
        Projection::new(spn, spn, Connector::fixed_probability(0.1).allow_self_connections(false), rule)
            .receptor(Receptor::Inhibitory)
            .label("SPN->SPN"),
    )?;
    sim.record(spn, &["spikes"])?;

    let mut phases = Vec::new();
    let mut before: Vec<f64> = sim.connections(lateral)?.iter().map(|s| s.weight).collect();
    let mut spikes_before = 0;
    for (name, on) in [("before", false), ("anti-Hebbian on", true), ("after", false)] {
        sim.set_plasticity(lateral, on)?;
        sim.run(args.phase)?;
        let w: Vec<f64> = sim.connections(lateral)?.iter().map(|s| s.weight).collect();
        let dw: Vec<f64> = w.iter().zip(&before).map(|(a, b)| a - b).collect();
        let n = w.len() as f64;
        let (dw_mean, changed) = (dw.iter().sum::<f64>() / n, dw.iter().filter(|&&d| d != 0.0).count());
        let spikes = sim.get_data(spn)?.spike_count();
        let rate = (spikes - spikes_before) as f64 / 200.0 / (args.phase / 1000.0);
        let phase = serde_json::json!({
            "phase": name,
            "plasticity": on,
            "weight_mean_uS": w.iter().sum::<f64>() / n,
            "dw_mean_uS": dw_mean,
            "dw_min_uS": dw.iter().copied().fold(0.0, f64::min),
            "dw_max_uS": dw.iter().copied().fold(0.0, f64::max),
            "synapses_changed": changed,
            "spn_rate_hz": rate,
        });
        eprintln!("{name:>16}: mean Δw {dw_mean:+.3e} µS, {changed} of {} synapses changed, SPN rate {rate:.1} Hz", w.len());
        phases.push(phase);
        before = w;
        spikes_before = spikes;
    }
    println!("{}", serde_json::json!({ "synapses": before.len(), "phases": phases }));
    Ok(())
}
