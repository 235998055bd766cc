//! Benchmark: the COBA network (`spikeflow::networks::coba_scaled`) from N = 4000 up, at the
//! fixed in-degree of N = 4000 (p = 80 / N: 64 excitatory and 16 inhibitory inputs per cell,
//! so the dynamics stay those of the Vogels–Abbott network), all spikes recorded. Prints a
//! line per size and one JSON object per size; the last line is the largest size's object
//! (issue 7's keys).
//!
//! `--in-degree K` gives each cell K recurrent inputs instead (p = K / N, weights × 80 / K:
//! `networks::coba_indegree`); the Vogels–Abbott network at 1e5 neurons and 1e9 synapses is
//! `--sizes 100000 --in-degree 10000`.
//!
//! `cargo run --release --bin bench_coba_scaling -- [--sizes 4000,16000,64000] [--duration 1000]
//!  [--backend cpu|gpu] [--scale S] [--in-degree 80]` (`--scale S`: the single size 4000·S)

use anyhow::Result;
use clap::Parser;
use spikeflow::bench_report::report;
use spikeflow::networks::coba_indegree;
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
    /// Network sizes (neurons).
    #[arg(long, value_delimiter = ',', default_value = "4000,16000,64000")]
    sizes: Vec<usize>,
    /// One size, 4000 · scale (overrides --sizes).
    #[arg(long)]
    scale: Option<f64>,
    /// Recurrent inputs per cell (p = K / N; the recurrent weights are scaled by 80 / K).
    #[arg(long, default_value_t = 80.0)]
    in_degree: f64,
    /// Constant current into every cell, nA (`i_offset`; 0: the network as published, which
    /// sustains its activity only at in-degree 80).
    #[arg(long, default_value_t = 0.0)]
    i_offset: f64,
    /// Biological time, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Back end.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let sizes = match args.scale {
        Some(s) => vec![(4000.0 * s).round() as usize],
        None => args.sizes.clone(),
    };
    for &n in &sizes {
        let t0 = Instant::now();
        let mut sim = Simulation::builder()
            .seed(args.seed)
            .backend(args.backend)
            .max_steps_per_dispatch(args.max_steps_per_dispatch)
            .csr_assembly(args.csr_assembly)
            .build()?;
        let net = coba_indegree(&mut sim, n, args.in_degree)?;
        if args.i_offset != 0.0 {
            sim.set(net.exc, "i_offset", args.i_offset)?;
            sim.set(net.inh, "i_offset", args.i_offset)?;
        }
        sim.record(net.exc, &["spikes"])?;
        sim.record(net.inh, &["spikes"])?;
        sim.record(net.kick, &["spikes"])?;
        sim.build_now()?;
        let build_s = t0.elapsed().as_secs_f64();
        let sim_s = sim.run(args.duration)?.sim_s;
        let r = report(
            &sim,
            "coba",
            &[("exc".into(), net.exc.all()), ("inh".into(), net.inh.all())],
            &[net.kick],
            0.0,
            0.0,
            args.duration,
            build_s,
            sim_s,
            false,
        )?;
        eprintln!(
            "{} {}: N {} ({} synapses): build {:.3} s, sim {:.3} s, {:.3e} events/s, exc {:.1} Hz",
            r.backend, r.adapter, r.neurons, r.synapses, r.build_s, r.sim_s, r.events_per_s, r.rates["exc"]
        );
        println!("{}", serde_json::to_string(&r)?);
    }
    Ok(())
}
