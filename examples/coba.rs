//! The COBA benchmark (Vogels & Abbott 2005; Brette et al. 2007, benchmark 1): 4000
//! IF_cond_exp neurons, 2 % connectivity, self-sustained asynchronous irregular activity.
//!
//! `cargo run --release --example coba -- --duration 1000 --seed 1 --backend gpu`
//! The last line printed is one JSON object.

use anyhow::Result;
use clap::Parser;
use spikeflow::networks::coba;
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "COBA benchmark network (Vogels & Abbott 2005)")]
struct Args {
    /// Biological time to simulate, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Seed of the network and initial state.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// gpu (the best wgpu adapter, lavapipe included) or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// Number of neurons (80 % excitatory).
    #[arg(long, default_value_t = 4000)]
    neurons: usize,
    /// Time step, ms.
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let t0 = Instant::now();
    let mut sim = Simulation::builder().dt(args.dt).seed(args.seed).backend(args.backend).progress(true).build()?;
    let net = coba(&mut sim, args.neurons)?;
    sim.record(net.exc, &["spikes"])?;
    sim.record(net.inh, &["spikes"])?;
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();
    let report = sim.run(args.duration)?;
    let (neurons, synapses) = sim.size()?;
    let exc = sim.get_data(net.exc)?;
    let inh = sim.get_data(net.inh)?;
    let json = serde_json::json!({
        "backend": args.backend.to_string(),
        "adapter": sim.adapter_name(),
        "neurons": neurons,
        "synapses": synapses,
        "duration_ms": args.duration,
        "exc_rate_hz": exc.mean_rate(),
        "inh_rate_hz": inh.mean_rate(),
        "cv_isi_exc": exc.cv_isi(),
        "spikes": exc.spike_count() + inh.spike_count(),
        "build_s": build_s,
        "sim_s": report.sim_s,
        "steps_per_submission": sim.steps_per_submission(),
    });
    println!("{json}");
    Ok(())
}
