//! Benchmark: the Potjans & Diesmann (2014) cortical microcircuit (`spikeflow::networks::pd14`)
//! at `--scale` (in-degrees kept), dt 0.1 ms, all cortical spikes recorded (the Poisson inputs'
//! events are counted by their expectation, 8 Hz × K_ext per neuron, not recorded). The first
//! `--warmup` ms are simulated and discarded from the rates (transient), then `--duration` ms
//! are timed. Prints a summary and, last, one JSON object (issue 7's keys, rates and ISI CVs
//! keyed L23e … L6i).
//!
//! `cargo run --release --bin bench_pd14 -- [--scale 0.1] [--duration 1000] [--backend cpu|gpu] [--max-steps-per-dispatch 16]
//!  [--input poisson|dc] [--warmup 0]`

use anyhow::Result;
use clap::Parser;
use spikeflow::bench_report::report;
use spikeflow::networks::{pd14, Pd14Input, PD14_BG_RATE, PD14_K_EXT, PD14_POPULATIONS, PD14_REFERENCE_RATES};
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Most steps one kernel dispatch advances (1: step by step; the network may allow fewer).
    #[arg(long, default_value_t = spikeflow::abi::MAX_STEPS_PER_DISPATCH)]
    max_steps_per_dispatch: u32,
    /// Where the static CSR is assembled: auto (the `construct` kernel on the GPU when the
    /// network qualifies), host or kernel.
    #[arg(long, default_value = "auto")]
    csr_assembly: CsrAssembly,
    /// Fraction of the full network's neurons (in-degrees kept).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// Timed biological time, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Back end.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// External input: poisson or dc.
    #[arg(long, default_value = "poisson")]
    input: String,
    /// Simulated first and left out of rates, CVs and timing (the start-up transient), ms.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let input = match args.input.as_str() {
        "poisson" => Pd14Input::Poisson,
        "dc" => Pd14Input::Dc,
        other => anyhow::bail!("--input must be poisson or dc (got {other})"),
    };
    let t0 = Instant::now();
    let mut sim = Simulation::builder()
        .dt(0.1)
        .seed(args.seed)
        .backend(args.backend)
        .max_steps_per_dispatch(args.max_steps_per_dispatch)
        .csr_assembly(args.csr_assembly)
        .build()?;
    let net = pd14(&mut sim, args.scale, input)?;
    for &p in &net.pops {
        sim.record(p, &["spikes"])?;
    }
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();
    if args.warmup > 0.0 {
        sim.run(args.warmup)?;
    }
    let sim_s = sim.run(args.duration)?.sim_s;
    let named: Vec<(String, PopulationView)> = PD14_POPULATIONS.iter().zip(&net.pops).map(|(n, p)| (n.to_string(), p.all())).collect();
    // The Poisson inputs (one synapse each) are not recorded: their expected events count.
    let background_events: f64 = (0..if input == Pd14Input::Poisson { net.pops.len() } else { 0 })
        .map(|t| net.pops[t].size() as f64 * PD14_BG_RATE * PD14_K_EXT[t] as f64 * args.duration / 1000.0)
        .sum();
    let r = report(&sim, "pd14", &named, &[], background_events, args.warmup, args.duration, build_s, sim_s, true)?;
    eprintln!(
        "{} {}: PD14 scale {} ({} neurons, {} synapses, {:?} input): build {:.2} s, sim {:.2} s for {} ms (rtf {:.2}), {:.3e} events/s",
        r.backend, r.adapter, args.scale, r.neurons, r.synapses, input, r.build_s, r.sim_s, args.duration, r.rtf, r.events_per_s
    );
    let cv = r.cv_isi.clone().unwrap_or_default();
    for (name, reference) in PD14_POPULATIONS.iter().zip(PD14_REFERENCE_RATES) {
        eprintln!("  {name:>5}: {:6.2} Hz (published {reference:.1}), ISI CV {:.2}", r.rates[*name], cv[*name]);
    }
    println!("{}", serde_json::to_string(&r)?);
    Ok(())
}
