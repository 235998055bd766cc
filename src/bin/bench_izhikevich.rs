//! Benchmark: the 1000-neuron Izhikevich (2003) network (`spikeflow::networks::izhikevich2003`,
//! dt 1 ms, all spikes recorded), best of `--repeats`. Prints one line per repeat and, last,
//! one JSON object (issue 7's keys; rates of the excitatory and inhibitory cells).
//!
//! `cargo run --release --bin bench_izhikevich -- [--scale 1] [--duration 1000] [--backend cpu|gpu] [--repeats 3]`

use anyhow::Result;
use clap::Parser;
use spikeflow::bench_report::report;
use spikeflow::networks::izhikevich2003_scaled;
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Most steps one kernel dispatch advances (1: step by step; the network may allow fewer).
    #[arg(long, default_value_t = spikeflow::abi::MAX_STEPS_PER_DISPATCH)]
    max_steps_per_dispatch: u32,
    /// Biological time, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Cells as a multiple of 1000 (weights × 1/scale; 1: the paper's network).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Back end.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Repeats (the fastest run is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut best = None;
    for _ in 0..args.repeats.max(1) {
        let t0 = Instant::now();
        let mut sim = Simulation::builder()
            .dt(1.0)
            .seed(args.seed)
            .backend(args.backend)
            .max_steps_per_dispatch(args.max_steps_per_dispatch)
            .build()?;
        let net = izhikevich2003_scaled(&mut sim, args.scale)?;
        sim.record(net.cells, &["spikes"])?;
        sim.build_now()?;
        let build_s = t0.elapsed().as_secs_f64();
        let sim_s = sim.run(args.duration)?.sim_s;
        let r = report(
            &sim,
            "izhikevich2003",
            &[("exc".into(), net.exc.clone()), ("inh".into(), net.inh.clone())],
            &[],
            0.0,
            0.0,
            args.duration,
            build_s,
            sim_s,
            false,
        )?;
        println!(
            "{} {}: build {:.3} s, sim {:.4} s, rates exc {:.1} Hz inh {:.1} Hz",
            r.backend, r.adapter, r.build_s, r.sim_s, r.rates["exc"], r.rates["inh"]
        );
        if best.as_ref().is_none_or(|b: &spikeflow::bench_report::BenchReport| r.sim_s < b.sim_s) {
            best = Some(r);
        }
    }
    println!("{}", serde_json::to_string(&best.expect("at least one repeat"))?);
    Ok(())
}
