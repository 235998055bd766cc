//! Izhikevich (2006), "Polychronization: computation with spikes": 800 regular-spiking
//! excitatory and 200 fast-spiking inhibitory Izhikevich neurons, 100 random targets each (no
//! self-connections); excitatory axons have delays of 1–20 ms and plastic weights starting at
//! 6 mV (at most 10), inhibitory ones project onto excitatory cells only with 1 ms delays and
//! fixed weights of −5 mV; every millisecond a random neuron receives a 20 mV kick. STDP
//! makes the excitatory weights bimodal.
//!
//! Departures from the paper's `spnet.m`, stated: dt = 1 ms with Izhikevich's own numerics (two
//! half-steps for v); the kick is a 1 Hz Poisson source per neuron through a 20 mV synapse (one
//! neuron per ms on average, not exactly one); STDP is PyNN's additive rule applied at once —
//! A_plus·w_max = 0.1 and A_minus·w_max = 0.12 mV per pair, tau 20 ms (the paper's 0.95 per
//! ms) — rather than accumulated into a derivative that decays by 0.9 and is applied once a
//! second. The paper's +0.01 mV/s drift of every weight is applied once a second between runs
//! (weights read out, shifted, written back).
//!
//! Prints one JSON object on the last line: the histogram of the excitatory weights (20 bins
//! over [0, 10] mV), the fractions near each bound and the rates; writes the histogram as PNG.
//!
//! `cargo run --release --example polychronization -- [--duration 60000] [--backend cpu|gpu]
//!  [--plot polychronization_weights.png] [--seed 1]`

use anyhow::Result;
use clap::Parser;
use spikeflow::model::{Izhikevich, IzhikevichNumerics};
use spikeflow::plot::{histogram, Histogram};
use spikeflow::prelude::*;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Izhikevich (2006) polychronization network: STDP with axonal delays")]
struct Args {
    /// Simulated time, seconds.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// gpu or cpu.
    #[arg(long, default_value = "cpu")]
    backend: Backend,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write the weight histogram to this PNG/SVG file.
    #[arg(long, default_value = "polychronization_weights.png")]
    plot: std::path::PathBuf,
}

const N_EXC: usize = 800;
const N_INH: usize = 200;
const W_MAX: f64 = 10.0;
const BINS: usize = 20;
/// mV added to every plastic weight each second (the paper's `0.01 + sd`).
const DRIFT: f64 = 0.01;

fn main() -> Result<()> {
    let args = Args::parse();
    let duration = args.seconds * 1000.0;
    let mut sim = Simulation::builder().dt(1.0).seed(args.seed).backend(args.backend).progress(true).build()?;
    let n = N_EXC + N_INH;
    let per = |exc: f64, inh: f64| Param::from((0..n).map(|i| if i < N_EXC { exc } else { inh }).collect::<Vec<_>>());
    let cells = Izhikevich {
        a: per(0.02, 0.1),
        b: 0.2.into(),
        c: (-65.0).into(),
        d: per(8.0, 2.0),
        v0: (-65.0).into(),
        numerics: IzhikevichNumerics::Published,
        ..Default::default()
    };
    let net = sim.create(Population::new(n, cells).label("network"))?;
    let (exc, inh) = (net.slice(0..N_EXC), net.slice(N_EXC..n));
    let kicks = sim.create(Population::new(n, SpikeSourcePoisson { rate: 1.0.into(), ..Default::default() }).label("thalamus"))?;
    sim.connect(Projection::new(kicks, net, Connector::OneToOne, StaticSynapse::new(20.0, 1.0)).label("kick"))?;
    let stdp = StdpMechanism {
        timing_dependence: SpikePairRule::new(20.0, 20.0, 0.1 / W_MAX, 0.12 / W_MAX),
        weight_dependence: WeightDependence::additive(0.0, W_MAX),
        weight: 6.0.into(),
        delay: Some(RandomDistribution::uniform_int(1, 20).into()),
        // Izhikevich 2006: the delays are axonal (the synapse sees the spike where it arrives).
        dendritic_delay_fraction: 0.0,
    };
    let targets = Connector::fixed_number_post(100).allow_self_connections(false);
    let plastic = sim.connect(Projection::new(exc.clone(), net, targets.clone(), stdp).label("exc"))?;
    sim.connect(
        Projection::new(inh, exc, Connector::fixed_number_post(100), StaticSynapse::new(-5.0, 1.0))
            .receptor(Receptor::Inhibitory)
            .label("inh"),
    )?;
    sim.record(net, &["spikes"])?;

    // The paper's activity-independent drift, +0.01 mV per second on every plastic weight,
    // applied between one-second runs through the weights-out/in API.
    let t0 = Instant::now();
    let mut done = 0.0;
    while done < duration {
        let chunk = (duration - done).min(1000.0);
        sim.run(chunk)?;
        // Firing rates of this second (as the paper's script prints them).
        let seg = sim.get_data(net)?;
        let in_chunk = |r: std::ops::Range<usize>| -> f64 {
            let c: usize =
                seg.spiketrains[r.clone()].iter().map(|s| s.times.iter().filter(|&&t| t > done && t <= done + chunk).count()).sum();
            c as f64 / r.len() as f64 / (chunk / 1000.0)
        };
        eprintln!("t = {:>5.0} s: exc {:5.2} Hz, inh {:5.2} Hz", (done + chunk) / 1000.0, in_chunk(0..N_EXC), in_chunk(N_EXC..n));
        done += chunk;
        if chunk == 1000.0 {
            let w: Vec<f64> = sim.connections(plastic)?.iter().map(|s| (s.weight + DRIFT).min(W_MAX)).collect();
            sim.set_weights(plastic, w)?;
        }
    }
    let wall = t0.elapsed().as_secs_f64();

    let w: Vec<f64> = sim.connections(plastic)?.iter().map(|s| s.weight).collect();
    let mut counts = vec![0usize; BINS];
    for &x in &w {
        counts[((x / W_MAX * BINS as f64) as usize).min(BINS - 1)] += 1;
    }
    let frac = |f: &dyn Fn(f64) -> bool| w.iter().filter(|&&x| f(x)).count() as f64 / w.len() as f64;
    let (low, high) = (frac(&|x| x < 0.1 * W_MAX), frac(&|x| x > 0.9 * W_MAX));
    let seg = sim.get_data(net)?;
    let last_s = duration.min(1000.0);
    let rate = |range: std::ops::Range<usize>| {
        let spikes: usize = seg.spiketrains[range.clone()].iter().map(|s| s.times.iter().filter(|&&t| t > duration - last_s).count()).sum();
        spikes as f64 / range.len() as f64 / (last_s / 1000.0)
    };
    let (rate_exc, rate_inh) = (rate(0..N_EXC), rate(N_EXC..n));
    // Plastic throughput: every excitatory spike reaches its 100 plastic synapses (depression
    // and transmission) and every spike of the network updates its incoming plastic synapses.
    let exc_spikes: usize = seg.spiketrains[0..N_EXC].iter().map(|s| s.times.len()).sum();
    let all_spikes: usize = seg.spiketrains.iter().map(|s| s.times.len()).sum();
    let edges: Vec<f64> = (0..=BINS).map(|k| W_MAX * k as f64 / BINS as f64).collect();
    histogram(
        &args.plot,
        &Histogram {
            title: format!("Izhikevich 2006: excitatory weights after {:.0} s", duration / 1000.0),
            x_label: "weight (mV)".into(),
            y_label: "synapses".into(),
            edges: edges.clone(),
            counts: counts.iter().map(|&c| c as f64).collect(),
        },
    )?;
    eprintln!(
        "{:.0} s simulated in {wall:.1} s on {}; weights < 1 mV: {:.0} %, > 9 mV: {:.0} %; rates {rate_exc:.1} Hz (exc), {rate_inh:.1} Hz (inh) in the last second",
        duration / 1000.0,
        sim.adapter_name(),
        100.0 * low,
        100.0 * high
    );
    println!(
        "{}",
        serde_json::json!({
            "duration_ms": duration,
            "w_max": W_MAX,
            "bin_edges": edges,
            "histogram": counts,
            "fraction_below_10_percent": low,
            "fraction_above_90_percent": high,
            "rate_exc_hz_last_second": rate_exc,
            "rate_inh_hz_last_second": rate_inh,
            "wall_s": wall,
            "plastic_synapses": w.len(),
            "exc_spikes": exc_spikes,
            "spikes": all_spikes,
            "plastic_arrivals_per_s": exc_spikes as f64 * 100.0 / wall,
            "adapter": sim.adapter_name(),
            "backend": args.backend,
        })
    );
    Ok(())
}
