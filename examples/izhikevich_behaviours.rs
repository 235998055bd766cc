//! The 20 neuro-computational behaviours of Izhikevich (2004), figure 1, on one population:
//! one Izhikevich neuron per behaviour (per-neuron parameters as arrays), each with its own
//! injected current (`spikeflow::model::izhikevich_behaviours`: protocols, criteria, and the
//! three protocols that follow PyNN's corrections). All run for the longest protocol (400 ms);
//! each trace is cut to its own protocol's duration.
//!
//! `cargo run --release --example izhikevich_behaviours -- [--out FILE.png] [--backend gpu|cpu] [--dt MS]`
//!
//! Prints one JSON line per behaviour (`id`, `name`, `spikes_ms`, whether its criterion holds)
//! and one summary line last; writes a 20-panel figure of v against time (the injected current
//! drawn below each trace, scaled, as in the paper's figure).

use anyhow::{Context, Result};
use clap::Parser;
use spikeflow::model::izhikevich_behaviours::{population_cell, BEHAVIOURS};
use spikeflow::plot::{panels, Panel};
use spikeflow::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Izhikevich (2004) figure 1: 20 behaviours of one cell type")]
struct Args {
    /// Figure file (.png, or .svg).
    #[arg(long, default_value = "izhikevich_behaviours.png")]
    out: PathBuf,
    /// gpu (the best wgpu adapter, lavapipe included) or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// Time step, ms (the protocols are validated at 0.1).
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let t0 = Instant::now();
    let mut sim = Simulation::builder().dt(args.dt).seed(1).backend(args.backend).build()?;
    let pop = sim.create(Population::new(BEHAVIOURS.len(), population_cell(&BEHAVIOURS)).label("behaviours"))?;
    for (i, b) in BEHAVIOURS.iter().enumerate() {
        sim.inject(b.current_source(args.dt), pop.view([i]))?;
    }
    sim.record(pop, &["spikes", "v"])?;
    let t_stop = BEHAVIOURS.iter().map(|b| b.duration_ms).fold(0.0, f64::max);
    let report = sim.run(t_stop)?;
    let seg = sim.get_data(pop)?;
    let v = seg.signal("v").context("v was recorded")?;

    let mut figure = Vec::new();
    let mut passed = 0;
    for (i, b) in BEHAVIOURS.iter().enumerate() {
        let spikes: Vec<f64> = seg.spiketrains[i].times.iter().copied().filter(|&t| t <= b.duration_ms + 1e-9).collect();
        let samples = ((b.duration_ms / args.dt).round() as usize).min(v.data[i].len());
        let trace: Vec<f64> = v.data[i][..samples].iter().map(|&x| f64::from(x)).collect();
        let check = b.check(&spikes, &trace, args.dt);
        passed += usize::from(check.is_ok());
        let line = serde_json::json!({
            "id": b.id,
            "name": b.name,
            "spikes_ms": spikes.iter().map(|t| (t * 1e6).round() / 1e6).collect::<Vec<_>>(),
            "criterion": b.criterion,
            "criterion_met": check.is_ok(),
            "deviation_from_figure1": b.deviation,
        });
        println!("{line}");

        // v, and the injected current scaled into the band below −80 mV (the paper's layout).
        let times: Vec<f64> = (0..samples).map(|k| k as f64 * args.dt).collect();
        let currents: Vec<f64> = times.iter().map(|&t| b.current(t + 0.5 * args.dt)).collect();
        let (lo, hi) = currents.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, c), &x| (a.min(x), c.max(x)));
        let scale = if hi > lo { 10.0 / (hi - lo) } else { 0.0 };
        let drawn: Vec<f64> = currents.iter().map(|&x| -95.0 + (x - lo) * scale).collect();
        figure.push(Panel {
            title: format!("({}) {}", b.id, b.name),
            y_label: "v (mV)".into(),
            lines: vec![(times.clone(), trace), (times, drawn)],
        });
    }
    let title = format!("Izhikevich (2004), figure 1: one Izhikevich population, RK4 at dt = {} ms", args.dt);
    panels(&args.out, &title, 4, &figure).with_context(|| format!("writing {}", args.out.display()))?;
    let summary = serde_json::json!({
        "backend": args.backend.to_string(),
        "adapter": sim.adapter_name(),
        "dt_ms": args.dt,
        "t_stop_ms": t_stop,
        "behaviours": BEHAVIOURS.len(),
        "criteria_met": passed,
        "figure": args.out.display().to_string(),
        "sim_s": report.sim_s,
        "wall_s": t0.elapsed().as_secs_f64(),
    });
    println!("{summary}");
    Ok(())
}
