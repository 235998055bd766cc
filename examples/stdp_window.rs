//! The STDP window of PyNN's additive rule, measured: isolated pre/post pairs at
//! Δt = t_post − (t_pre + delay) from −50 to +50 ms, one synapse each (A_plus 0.01,
//! A_minus 0.012, tau_plus = tau_minus = 20 ms, w 0.5 in [0, 1], delay 1 ms, axonal:
//! `dendritic_delay_fraction = 0`). The presynaptic
//! spikes come from a SpikeSourceArray, the postsynaptic ones from one-step current pulses.
//! Prints one JSON object on the last line: `{"dt_ms": [...], "dw": [...]}`.
//!
//! `cargo run --release --example stdp_window -- [--step 1] [--backend gpu|cpu]`

use anyhow::{ensure, Result};
use clap::Parser;
use spikeflow::prelude::*;

#[derive(Parser)]
#[command(about = "Measure the weight change of isolated spike pairs under additive STDP")]
struct Args {
    /// Spacing of Δt, ms.
    #[arg(long, default_value_t = 1.0)]
    step: f64,
    /// gpu or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
}

const DT: f64 = 0.1;
const DELAY: f64 = 1.0;
const W0: f64 = 0.5;

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.step >= DT, "--step must be ≥ dt = {DT} ms");
    let n = (50.0 / args.step).floor() as i64;
    let dts: Vec<f64> = (-n..=n).map(|k| k as f64 * args.step).collect();

    let mut sim = Simulation::builder().dt(DT).seed(1).backend(args.backend).build()?;
    let pre = sim.create(Population::new(dts.len(), SpikeSourceArray::new(vec![100.0])).label("pre"))?;
    let post = sim.create(Population::new(dts.len(), IfCurrExp::default()).label("post"))?;
    // A source spike is stamped at its time; a 500 nA pulse over one step starting at t makes
    // the cell spike at t + dt.
    for (i, dt_ms) in dts.iter().enumerate() {
        let t = 100.0 + DELAY + dt_ms - DT;
        sim.inject(CurrentSource::step(vec![t, t + DT], vec![500.0, 0.0]), post.view([i]))?;
    }
    let rule = StdpMechanism::new(SpikePairRule::new(20.0, 20.0, 0.01, 0.012), WeightDependence::additive(0.0, 1.0), W0, DELAY)
        .dendritic_delay_fraction(0.0);
    let proj = sim.connect(Projection::new(pre, post, Connector::OneToOne, rule).label("stdp"))?;
    sim.record(post, &["spikes"])?;
    sim.run(200.0)?;

    // Check the pairs came out as placed, then report Δw.
    let spikes = sim.get_data(post)?;
    for (i, train) in spikes.spiketrains.iter().enumerate() {
        let want = 100.0 + DELAY + dts[i];
        ensure!(train.times.len() == 1 && (train.times[0] - want).abs() < 1e-9, "cell {i} spiked at {:?}, not {want}", train.times);
    }
    let dw: Vec<f64> = sim.connections(proj)?.iter().map(|s| s.weight - W0).collect();
    for (t, w) in dts.iter().zip(&dw).filter(|(t, _)| (*t % 10.0).abs() < 1e-9) {
        eprintln!("Δt {t:+6.1} ms: Δw {w:+.6}");
    }
    println!("{}", serde_json::json!({ "dt_ms": dts, "dw": dw }));
    Ok(())
}
