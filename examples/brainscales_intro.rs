//! The BrainScaleS-2 introductory PyNN experiment (../shared/seeds, "Introduction to PyNN") on
//! the emulated chip: one HXNeuron driven by five spike sources, in hardware units and time.
//! Prints the spike count and times as one JSON object on the last line and plots v in CADC
//! LSB against hardware time.
//!
//! `cargo run --release --example brainscales_intro -- [--backend cpu|gpu] [--chip 7]
//!  [--plot brainscales_intro.png]`

use anyhow::{Context, Result};
use clap::Parser;
use spikeflow::brainscales::Session;
use spikeflow::plot::{panels, Panel};
use spikeflow::prelude::*;

#[derive(Parser)]
#[command(about = "BrainScaleS-2 introduction: one HXNeuron, five spike sources, run(0.1) ms hardware")]
struct Args {
    /// gpu or cpu.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed of the emulated chip (its fixed-pattern mismatch); without it, the ideal chip.
    #[arg(long)]
    chip: Option<u64>,
    /// Where to write the figure (PNG, or SVG by extension).
    #[arg(long, default_value = "brainscales_intro.png")]
    plot: std::path::PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut builder = Session::builder().backend(args.backend).strict(true);
    if let Some(seed) = args.chip {
        builder = builder.chip(seed);
    }
    let mut session = builder.build()?;

    // The tutorial's neuron parameters (hardware units).
    let neuron = spikeflow::brainscales::tutorial_neuron();
    let pop = session.create(Population::new(1, neuron).label("pop"))?;
    session.record(pop, &["spikes", "v"])?;

    // Five sources spiking at 0.01 … 0.09 ms hardware time.
    let spike_times = vec![0.01, 0.03, 0.05, 0.07, 0.09];
    let src = session.create(Population::new(5, SpikeSourceArray::new(spike_times)).label("src"))?;
    session.connect(Projection::new(src, pop, Connector::all_to_all(), StaticSynapse::with_weight(63.0)).receptor(Receptor::Excitatory))?;

    // 0.1 ms hardware = 100 ms biological.
    session.run(0.1)?;

    let data = session.get_data(pop)?;
    let train = &data.spiketrains[0];
    let v = data.traces.iter().find(|t| t.name == "v").context("v recorded")?;
    panels(
        &args.plot,
        "HXNeuron, five inputs of weight 63 (emulated BrainScaleS-2)",
        1,
        &[Panel {
            title: "membrane potential (CADC)".into(),
            y_label: "membrane potential [LSB]".into(),
            lines: vec![(v.times_hw.clone(), v.lsb.iter().map(|&x| f64::from(x)).collect())],
        }],
    )?;
    eprintln!("The neuron spiked {} times.", train.times_hw.len());
    eprintln!("The spike times were: {:?} ms (hardware)", train.times_hw);
    eprintln!("wrote {} (x axis: hardware time in ms)", args.plot.display());
    println!(
        "{}",
        serde_json::json!({
            "experiment": "brainscales_intro",
            "backend": args.backend.to_string(),
            "chip_seed": args.chip,
            "n_spikes": train.times_hw.len(),
            "spike_times_hw_ms": train.times_hw,
            "spike_times_bio_ms": train.times_bio,
            "duration_hw_ms": session.time_hw(),
        })
    );
    Ok(())
}
