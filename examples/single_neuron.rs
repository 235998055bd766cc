//! One neuron of any cell type under a constant current: spike times (end-of-step convention,
//! as in ../shared/reference) and the integrator used, as one JSON object on the last line.
//!
//! `cargo run --release --example single_neuron -- --model IF_cond_exp --i-offset 1.0 --duration 200
//!  [--dt 0.1] [--param tau_m=10 --param v_thresh=-52] [--backend gpu|cpu] [--plot v.png]`

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser;
use spikeflow::plot::{panels, Panel};
use spikeflow::prelude::*;

#[derive(Parser)]
#[command(about = "Simulate one neuron of a PyNN cell type under a constant current")]
struct Args {
    /// PyNN cell type name (IF_curr_exp, IF_cond_exp, IF_curr_alpha, IF_cond_alpha, ...).
    #[arg(long)]
    model: String,
    /// Constant current, nA (the model's i_offset).
    #[arg(long, default_value_t = 0.0)]
    i_offset: f64,
    /// Simulated time, ms.
    #[arg(long, default_value_t = 200.0)]
    duration: f64,
    /// Time step, ms.
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
    /// Parameter overrides, `name=value` (repeatable).
    #[arg(long = "param")]
    params: Vec<String>,
    /// gpu or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// Write the membrane trace to this PNG/SVG file.
    #[arg(long)]
    plot: Option<std::path::PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    // A cell type from its PyNN name with PyNN's defaults (every model's parameters default).
    let cell: CellType = serde_json::from_value(serde_json::json!({ "cell_type": args.model }))
        .map_err(|e| anyhow!("unknown or unsupported cell type '{}': {e} (known: {})", args.model, known()))?;
    let spec = cell.spec();
    if !spec.receives_input {
        bail!("{} is a spike source, not a neuron", spec.cell_type);
    }
    let mut sim = Simulation::builder().dt(args.dt).seed(1).backend(args.backend).build()?;
    let pop = sim.create(Population::new(1, cell))?;
    sim.set(pop, "i_offset", args.i_offset)?;
    for p in &args.params {
        let (name, value) = p.split_once('=').with_context(|| format!("--param {p}: expected name=value"))?;
        let value: f64 = value.trim().parse().with_context(|| format!("--param {p}: '{value}' is not a number"))?;
        sim.set(pop, name.trim(), value)?;
    }
    sim.record(pop, &["spikes", "v"])?;
    sim.run(args.duration)?;
    let seg = sim.get_data(pop)?;
    let spikes = seg.spiketrains[0].times.clone();
    let v = seg.signal("v").context("v recorded")?;
    if let Some(path) = &args.plot {
        let trace = (v.times(), v.data[0].iter().map(|&x| f64::from(x)).collect());
        panels(
            path,
            &format!("{} — i_offset {} nA", spec.cell_type, args.i_offset),
            1,
            &[Panel { title: "membrane potential".into(), y_label: "v (mV)".into(), lines: vec![trace] }],
        )?;
        eprintln!("wrote {}", path.display());
    }
    println!(
        "{}",
        serde_json::json!({
            "model": spec.cell_type,
            "integrator": spec.integrator,
            "backend": args.backend.to_string(),
            "adapter": sim.adapter_name(),
            "dt_ms": args.dt,
            "duration_ms": args.duration,
            "i_offset_nA": args.i_offset,
            "n_spikes": spikes.len(),
            "spikes_ms": spikes,
        })
    );
    Ok(())
}

fn known() -> String {
    spikeflow::model::registry().iter().filter(|s| s.receives_input).map(|s| s.cell_type).collect::<Vec<_>>().join(", ")
}
