//! Song, Miller & Abbott (2000): competitive Hebbian learning through STDP. 1000 Poisson inputs
//! at 15 Hz excite one IF_cond_exp neuron (tau_m 10 ms, E_L −74 mV, V_th −54, V_reset −60,
//! tau_e 5 ms) through additive STDP synapses (g_max 0.01, A_plus 0.01, A_minus 1.05·A_plus
//! — both in units of g_max, PyNN's additive rule — tau± 20 ms, initial weights uniform in
//! [0, g_max]). The weights become bimodal: most end near 0 or near g_max.
//!
//! Conductances are in units of the leak, as in the paper: cm = 10 nF with tau_m = 10 ms gives
//! g_L = 1 µS, so g_max = 0.01 µS.
//!
//! Prints one JSON object on the last line with the final weight histogram (20 bins over
//! [0, g_max]), the fraction of weights within 10 % of either bound and the output rate;
//! writes the histogram as a PNG.
//!
//! `cargo run --release --example song2000 -- [--duration 100000] [--backend cpu|gpu]
//!  [--plot song2000_weights.png] [--seed 1]`

use anyhow::Result;
use clap::Parser;
use spikeflow::plot::{histogram, Histogram};
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Song, Miller & Abbott (2000): STDP makes the weights of one neuron's inputs bimodal")]
struct Args {
    /// Simulated time, ms.
    #[arg(long, default_value_t = 100_000.0)]
    duration: f64,
    /// gpu or cpu (the CPU back end is the faster one for this single neuron).
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the weight histogram to this PNG/SVG file.
    #[arg(long, default_value = "song2000_weights.png")]
    plot: std::path::PathBuf,
}

const N_INPUTS: usize = 1000;
const G_MAX: f64 = 0.01;
const BINS: usize = 20;

fn main() -> Result<()> {
    let args = Args::parse();
    let mut sim = Simulation::builder().dt(0.1).seed(args.seed).backend(args.backend).progress(true).build()?;
    let inputs = sim.create(Population::new(N_INPUTS, SpikeSourcePoisson { rate: 15.0.into(), ..Default::default() }).label("inputs"))?;
    let cell = IfCondExp {
        cm: 10.0.into(),
        tau_m: 10.0.into(),
        v_rest: (-74.0).into(),
        v_thresh: (-54.0).into(),
        v_reset: (-60.0).into(),
        tau_syn_e: 5.0.into(),
        e_rev_e: 0.0.into(),
        ..Default::default()
    };
    let neuron = sim.create(Population::new(1, cell).label("neuron").initial("v", -74.0))?;
    let stdp = StdpMechanism {
        timing_dependence: SpikePairRule::new(20.0, 20.0, 0.01, 0.0105),
        weight_dependence: WeightDependence::additive(0.0, G_MAX),
        weight: RandomDistribution::uniform(0.0, G_MAX).into(),
        ..Default::default()
    };
    let proj = sim.connect(Projection::new(inputs, neuron, Connector::all_to_all(), stdp).label("stdp"))?;
    sim.record(neuron, &["spikes"])?;

    let t0 = Instant::now();
    sim.run(args.duration)?;
    let wall = t0.elapsed().as_secs_f64();

    let w: Vec<f64> = sim.connections(proj)?.iter().map(|s| s.weight).collect();
    let mut counts = vec![0usize; BINS];
    for &x in &w {
        counts[((x / G_MAX * BINS as f64) as usize).min(BINS - 1)] += 1;
    }
    let near_bounds = w.iter().filter(|&&x| !(0.1 * G_MAX..=0.9 * G_MAX).contains(&x)).count() as f64 / w.len() as f64;
    let spikes = sim.get_data(neuron)?;
    // Output rate over the last tenth of the run (after learning has settled).
    let t_last = args.duration * 0.9;
    let late = spikes.spiketrains[0].times.iter().filter(|&&t| t > t_last).count() as f64;
    let late_rate = late / (args.duration - t_last) * 1000.0;
    let edges: Vec<f64> = (0..=BINS).map(|k| G_MAX * k as f64 / BINS as f64).collect();
    histogram(
        &args.plot,
        &Histogram {
            title: format!("Song et al. 2000: weights after {:.0} s", args.duration / 1000.0),
            x_label: "weight (µS)".into(),
            y_label: "synapses".into(),
            edges: edges.clone(),
            counts: counts.iter().map(|&c| c as f64).collect(),
        },
    )?;
    eprintln!(
        "{:.0} s simulated in {wall:.1} s on {}; {:.0} % of weights within 10 % of a bound; output {late_rate:.1} Hz (last 10 %)",
        args.duration / 1000.0,
        sim.adapter_name(),
        100.0 * near_bounds
    );
    println!(
        "{}",
        serde_json::json!({
            "duration_ms": args.duration,
            "g_max": G_MAX,
            "bin_edges": edges,
            "histogram": counts,
            "fraction_near_bounds": near_bounds,
            "mean_weight": w.iter().sum::<f64>() / w.len() as f64,
            "output_rate_hz_last_10_percent": late_rate,
            "output_spikes": spikes.spike_count(),
            "wall_s": wall,
            "backend": args.backend,
        })
    );
    Ok(())
}
