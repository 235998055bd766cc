//! `spikeflow`: the demonstration job. Runs the COBA benchmark network (Vogels & Abbott 2005,
//! 4000 IF_cond_exp neurons, built into the binary) on the best GPU adapter wgpu finds — or, with
//! no adapter at all, says so and runs on the CPU back end — and prints a readable summary.

use anyhow::Result;
use clap::Parser;
use spikeflow::networks::coba;
use spikeflow::prelude::*;
use spikeflow::{engine::GpuContext, Segment};
use std::time::Instant;

#[derive(Parser)]
#[command(version, about = "spikeflow demo: the COBA network on the best adapter")]
struct Args {
    /// Biological time, ms.
    #[arg(long, default_value_t = 1000.0)]
    duration: f64,
    /// Neurons (80 % excitatory).
    #[arg(long, default_value_t = 4000)]
    neurons: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Force a back end (gpu or cpu); by default the GPU if any adapter exists.
    #[arg(long)]
    backend: Option<Backend>,
}

/// A one-line population-rate sparkline, `bins` bins over the run.
fn sparkline(segs: &[&Segment], t_stop: f64, bins: usize) -> String {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let mut counts = vec![0usize; bins];
    for s in segs {
        for t in s.spiketrains.iter().flat_map(|s| &s.times) {
            let b = ((t / t_stop) * bins as f64) as usize;
            counts[b.min(bins - 1)] += 1;
        }
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    counts.iter().map(|&c| LEVELS[(c * 7).div_ceil(max).min(7)]).collect()
}

fn main() -> Result<()> {
    let args = Args::parse();
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // Mesa's Vulkan drivers print an alarming but harmless warning without it (headless).
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    let backend = match args.backend {
        Some(b) => b,
        None => match GpuContext::new() {
            Ok(ctx) => {
                println!("adapter: {}", ctx.adapter_name());
                Backend::Gpu
            }
            Err(e) => {
                println!("{e}\nrunning on the CPU back end instead.");
                Backend::Cpu
            }
        },
    };
    let t0 = Instant::now();
    let mut sim = Simulation::builder().seed(args.seed).backend(backend).progress(true).build()?;
    let net = coba(&mut sim, args.neurons)?;
    sim.record(net.exc, &["spikes"])?;
    sim.record(net.inh, &["spikes"])?;
    sim.record(net.exc.slice(0..1), &["v"])?;
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();
    let (neurons, synapses) = sim.size()?;
    println!("spikeflow {} — COBA benchmark (Vogels & Abbott 2005) on {}", env!("CARGO_PKG_VERSION"), sim.adapter_name());
    println!("  {neurons} neurons, {synapses} synapses, dt {} ms, seed {}; built in {build_s:.3} s", sim.dt(), args.seed);
    let report = sim.run(args.duration)?;
    let exc = sim.get_data(net.exc)?;
    let inh = sim.get_data(net.inh)?;
    let cv = |s: &Segment| s.cv_isi().map_or("n/a".into(), |c| format!("{c:.2}"));
    println!(
        "  simulated {} ms in {:.3} s (real-time factor {:.3}, {} submissions)",
        args.duration,
        report.sim_s,
        report.sim_s / (args.duration / 1000.0),
        report.chunks
    );
    println!("  excitatory: {:6.2} Hz, ISI CV {}", exc.mean_rate(), cv(&exc));
    println!("  inhibitory: {:6.2} Hz, ISI CV {}", inh.mean_rate(), cv(&inh));
    println!("  population rate over time: {}", sparkline(&[&exc, &inh], sim.time(), 60));
    if let Some(v) = exc.signal("v").and_then(|s| s.trace(0)) {
        let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        println!("  neuron exc[0]: {} spikes, v between {lo:.1} and {hi:.1} mV", exc.spiketrains[0].times.len());
    }
    Ok(())
}
