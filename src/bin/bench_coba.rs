//! Benchmark: COBA 4000 × 1 s biological on both back ends, and the fixed cost of a step
//! (a one-neuron network) at several steps per submission. Prints a table and, last, one JSON
//! object. Record results in BENCHMARKS.md with the device name and date.
//!
//! `cargo run --release --bin bench_coba -- [--duration 1000] [--repeats 3] [--backends cpu,gpu]
//! [--max-steps-per-dispatch 16]`

use anyhow::Result;
use clap::Parser;
use spikeflow::networks::coba;
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Biological time of the COBA runs, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Repeats per measurement (the best is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Back ends to measure.
    #[arg(long, value_delimiter = ',', default_value = "cpu,gpu")]
    backends: Vec<Backend>,
    /// Most steps one kernel dispatch advances in the COBA runs (1: step by step).
    #[arg(long, default_value_t = spikeflow::abi::MAX_STEPS_PER_DISPATCH)]
    max_steps_per_dispatch: u32,
    /// Steps of the fixed-cost runs.
    #[arg(long, default_value_t = 10_000)]
    fixed_steps: u32,
}

fn coba_once(backend: Backend, duration: f64, per_dispatch: u32) -> Result<(f64, f64, String, usize, f64)> {
    let t0 = Instant::now();
    let mut sim = Simulation::builder().seed(1).backend(backend).max_steps_per_dispatch(per_dispatch).build()?;
    let net = coba(&mut sim, 4000)?;
    sim.record(net.exc, &["spikes"])?;
    sim.record(net.inh, &["spikes"])?;
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();
    let r = sim.run(duration)?;
    let exc = sim.get_data(net.exc)?;
    Ok((build_s, r.sim_s, sim.adapter_name(), exc.spike_count() + sim.get_data(net.inh)?.spike_count(), exc.mean_rate()))
}

fn fixed_cost(backend: Backend, steps: u32, per_submission: u32) -> Result<f64> {
    let mut sim = Simulation::builder().backend(backend).steps_per_submission(per_submission).build()?;
    let p = sim.create(Population::new(1, IfCondExp::default()))?;
    sim.record(p, &["spikes"])?;
    sim.build_now()?;
    let r = sim.run(f64::from(steps) * sim.dt())?;
    Ok(r.sim_s / f64::from(steps) * 1e6)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut rows = Vec::new();
    for &backend in &args.backends {
        let mut best: Option<(f64, f64, String, usize, f64)> = None;
        for _ in 0..args.repeats {
            let r = coba_once(backend, args.duration, args.max_steps_per_dispatch)?;
            if best.as_ref().is_none_or(|b| r.1 < b.1) {
                best = Some(r);
            }
        }
        let (build_s, sim_s, adapter, spikes, rate) = best.expect("repeats ≥ 1");
        let mut fixed = Vec::new();
        for per in [1u32, 10, 100, 1000] {
            let steps = if per == 1 { args.fixed_steps.min(2000) } else { args.fixed_steps };
            let us = (0..args.repeats)
                .map(|_| fixed_cost(backend, steps, per))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .fold(f64::INFINITY, f64::min);
            fixed.push(serde_json::json!({"steps_per_submission": per, "us_per_step": us}));
        }
        println!(
            "{backend:>4} {adapter}: COBA 4000 x {} ms: build {build_s:.3} s, sim {sim_s:.3} s ({spikes} spikes, exc {rate:.1} Hz)",
            args.duration
        );
        for f in &fixed {
            println!(
                "     fixed cost {:>5} steps/submission: {:.1} us/step",
                f["steps_per_submission"],
                f["us_per_step"].as_f64().unwrap_or(f64::NAN)
            );
        }
        rows.push(serde_json::json!({"backend": backend.to_string(), "adapter": adapter, "build_s": build_s, "sim_s": sim_s, "spikes": spikes, "exc_rate_hz": rate, "fixed_cost": fixed}));
    }
    if rows.len() == 2 {
        let (a, b) = (rows[0]["sim_s"].as_f64().unwrap_or(f64::NAN), rows[1]["sim_s"].as_f64().unwrap_or(f64::NAN));
        println!("ratio {}/{} sim time: {:.2}", rows[1]["backend"], rows[0]["backend"], b / a);
    }
    println!("{}", serde_json::json!({"benchmark": "coba_4000", "duration_ms": args.duration, "results": rows}));
    Ok(())
}
