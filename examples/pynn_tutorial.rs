//! The PyNN tutorial's network ("Building and simulating a simple model", ../shared/seeds),
//! run on both back ends, printing how closely they agree.
//!
//! Two populations of 100 IF_curr_exp cells with v_rest, v_thresh and v_reset drawn from
//! normal(−65, 1), normal(−55, 1) and normal(−65, 1) mV; tau_m 10 ms, cm 1 nF, refractory
//! 1 ms; i_offset 0.1 nA in population 1 and 0 in population 2; population 1 → 2 with
//! FixedProbabilityConnector(0.5) and StaticSynapse(weight=0.5 nA, delay=0.5 ms); 100 ms; v
//! recorded. Note: with these values R·i_offset = 10 MΩ × 0.1 nA = 1 mV, so no cell reaches
//! threshold from rest; pass `--i-offset 1.2` to see population 1 fire and drive population 2.
//!
//! `cargo run --release --example pynn_tutorial -- [--i-offset NA] [--seed N]`

use anyhow::{Context, Result};
use clap::Parser;
use spikeflow::prelude::*;

#[derive(Parser)]
struct Args {
    /// Bias current of population 1, nA (the tutorial's 0.1).
    #[arg(long, default_value_t = 0.1)]
    i_offset: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

struct Run {
    adapter: String,
    v: Vec<Vec<Vec<f32>>>,
    spikes: Vec<Vec<Vec<f64>>>,
}

fn run(backend: Backend, args: &Args) -> Result<Run> {
    let mut sim = Simulation::builder().dt(0.1).seed(args.seed).backend(backend).build()?;
    let cell = IfCurrExp {
        v_rest: RandomDistribution::normal(-65.0, 1.0).into(),
        v_thresh: RandomDistribution::normal(-55.0, 1.0).into(),
        v_reset: RandomDistribution::normal(-65.0, 1.0).into(),
        tau_refrac: 1.0.into(),
        tau_m: 10.0.into(),
        cm: 1.0.into(),
        i_offset: args.i_offset.into(),
        ..Default::default()
    };
    let p1 = sim.create(Population::new(100, cell.clone()).label("Population 1"))?;
    let p2 = sim.create(Population::new(100, cell).label("Population 2"))?;
    sim.set(p2, "i_offset", 0.0)?;
    sim.record(p1, &["v", "spikes"])?;
    sim.record(p2, &["v", "spikes"])?;
    sim.connect(Projection::new(p1, p2, Connector::fixed_probability(0.5), StaticSynapse::new(0.5, 0.5)))?;
    sim.run(100.0)?;
    let mut v = Vec::new();
    let mut spikes = Vec::new();
    for p in [p1, p2] {
        let seg = sim.get_data(p)?;
        v.push(seg.signal("v").context("v was recorded")?.data.clone());
        spikes.push(seg.spiketrains.iter().map(|s| s.times.clone()).collect());
    }
    Ok(Run { adapter: sim.adapter_name(), v, spikes })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let cpu = run(Backend::Cpu, &args)?;
    let gpu = run(Backend::Gpu, &args)?;
    println!("PyNN tutorial network, 2 × 100 IF_curr_exp, 100 ms, i_offset {} nA", args.i_offset);
    println!("  CPU back end: {}\n  GPU back end: {}", cpu.adapter, gpu.adapter);
    for (p, name) in ["Population 1", "Population 2"].iter().enumerate() {
        let max_dv = cpu.v[p].iter().flatten().zip(gpu.v[p].iter().flatten()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        let bits_equal = cpu.v[p].iter().flatten().zip(gpu.v[p].iter().flatten()).filter(|(a, b)| a.to_bits() == b.to_bits()).count();
        let total = cpu.v[p].iter().map(Vec::len).sum::<usize>();
        let n_spikes: usize = cpu.spikes[p].iter().map(Vec::len).sum();
        println!(
            "  {name}: {n_spikes} spikes (CPU), spike trains {}; v traces: max |CPU − GPU| = {max_dv:e} mV, {bits_equal}/{total} samples bit-identical; v[0] at 100 ms = {:.3} mV",
            if cpu.spikes[p] == gpu.spikes[p] { "identical" } else { "DIFFERENT" },
            cpu.v[p][0].last().copied().unwrap_or(f32::NAN)
        );
    }
    let agree = cpu.spikes == gpu.spikes && cpu.v == gpu.v;
    println!("{}", serde_json::json!({"identical": agree, "cpu": cpu.adapter, "gpu": gpu.adapter}));
    Ok(())
}
