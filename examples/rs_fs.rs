//! ntwk's RS–FS demo (yzerlaut/neural_network_dynamics, README and `demo/RS-FS.py`): 4000
//! excitatory regular-spiking (RS) and 1000 inhibitory fast-spiking (FS) AdEx cells with
//! exponential conductance synapses, driven by 400 afferent Poisson neurons whose rate follows
//! `4 + 4 exp(-(t - 1000)^2 / (2 · 100^2))` Hz.
//!
//! Parameters, from ntwk's `Model` dictionary (units ms, mV, pF, nS, pA there):
//! * network: N_Exc 4000, N_Inh 1000, N_AffExc 400; Q 1 nS for every excitatory synapse
//!   (Exc→Exc, Exc→Inh, AffExc→Exc, AffExc→Inh), 4 nS for inhibitory ones; Tse = Tsi = 5 ms;
//!   Ee 0, Ei −80 mV; p 0.05 for the recurrent projections, 0.5 for the afferent ones; dt 0.1,
//!   tstop 1500 ms.
//! * RS (`Exc_*`): Gl 10 nS, Cm 200 pF, Trefrac 5 ms, El −70, Vthre −50, Vreset −70, deltaV 2,
//!   a 0, b 40 pA, tauw 500 ms.
//! * FS (`Inh_*`): as RS but deltaV 0.5, a 0, b 0, tauw 1e9 ms.
//! * spike detection (ntwk's `cells/cell_construct.py`): V > Vthre + 5 deltaV, i.e. −40 mV (RS)
//!   and −47.5 mV (FS); reset V ← Vreset, w ← w + b; V clamped for Trefrac while w evolves.
//! * initial state (`initialize_to_rest`): V = El, w = 0, no conductance.
//!
//! In PyNN's units (EIF_cond_exp_isfa_ista): cm = Cm = 0.2 nF, tau_m = Cm / Gl = 20 ms,
//! v_rest = El, v_thresh = Vthre, v_reset = Vreset, delta_T = deltaV, v_spike = Vthre + 5 deltaV,
//! tau_refrac = Trefrac, a in nS, b in nA (0.04), tau_w; weights in µS (0.001, 0.004).
//! Brian2's default synaptic delay is 0 (the spike acts from the next step); here delay = dt.
//!
//! The time-varying afferent rate is applied by running in slices (default 5 ms) and setting the
//! Poisson rate between them (`Simulation::set`: no rebuild, only the derived constant changes).
//!
//! `cargo run --release --example rs_fs -- --backend gpu --duration 1500 --out target/rs_fs`
//! Prints the population rates per 50 ms bin, writes `rates.png` and `raster.png` to `--out`,
//! and prints one JSON object last.

use anyhow::{ensure, Result};
use clap::Parser;
use spikeflow::model::EifCondExpIsfaIsta;
use spikeflow::plot::{self, Panel};
use spikeflow::prelude::*;
use spikeflow::Segment;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "ntwk's RS-FS AdEx network with a time-varying afferent drive")]
struct Args {
    /// gpu (the best wgpu adapter, lavapipe included) or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// Biological time to simulate, ms.
    #[arg(long, default_value_t = 1500.0)]
    duration: f64,
    /// Folder for the figures (created if missing).
    #[arg(long, default_value = "target/rs_fs")]
    out: PathBuf,
    /// Length of the slices between rate updates, ms.
    #[arg(long, default_value_t = 5.0)]
    slice: f64,
    /// Seed of the network, the drive and the run.
    #[arg(long, default_value_t = 3)]
    seed: u64,
}

const DT: f64 = 0.1;

/// ntwk's afferent rate (Hz) at time t (ms).
fn afferent_rate(t: f64) -> f64 {
    4.0 + 4.0 * (-(t - 1000.0).powi(2) / (2.0 * 100.0f64.powi(2))).exp()
}

/// ntwk's AdExp cell in PyNN's units (see the module docs).
fn adex(delta_v: f64, b_pa: f64, tau_w: f64) -> EifCondExpIsfaIsta {
    let (gl_ns, cm_pf, v_thre) = (10.0, 200.0, -50.0);
    EifCondExpIsfaIsta {
        cm: (cm_pf / 1000.0).into(),
        tau_m: (cm_pf / gl_ns).into(),
        tau_refrac: 5.0.into(),
        v_rest: (-70.0).into(),
        v_thresh: v_thre.into(),
        v_reset: (-70.0).into(),
        delta_t: delta_v.into(),
        v_spike: (v_thre + 5.0 * delta_v).into(),
        a: 0.0.into(),
        b: (b_pa / 1000.0).into(),
        tau_w: tau_w.into(),
        e_rev_e: 0.0.into(),
        e_rev_i: (-80.0).into(),
        tau_syn_e: 5.0.into(),
        tau_syn_i: 5.0.into(),
        i_offset: 0.0.into(),
    }
}

/// Population rate (Hz) in bins of `bin` ms over [0, t_stop): (bin centres, rates).
fn binned_rate(seg: &Segment, bin: f64, t_stop: f64) -> (Vec<f64>, Vec<f64>) {
    let nbins = (t_stop / bin).round() as usize;
    let mut counts = vec![0usize; nbins];
    for train in &seg.spiketrains {
        for &t in &train.times {
            // End-of-step stamps: a spike at exactly t_stop belongs to the last bin.
            let k = (((t - 1e-9) / bin).floor() as usize).min(nbins - 1);
            counts[k] += 1;
        }
    }
    let n = seg.spiketrains.len() as f64;
    let centres = (0..nbins).map(|k| (k as f64 + 0.5) * bin).collect();
    (centres, counts.iter().map(|&c| c as f64 / n / (bin / 1000.0)).collect())
}

fn main() -> Result<()> {
    let args = Args::parse();
    let slice_steps = (args.slice / DT).round();
    ensure!(slice_steps >= 1.0 && ((args.slice / DT) - slice_steps).abs() < 1e-6, "--slice must be a whole number of steps of {DT} ms");
    let t0 = Instant::now();
    let mut sim = Simulation::builder().dt(DT).seed(args.seed).backend(args.backend).build()?;
    let exc = sim.create(Population::new(4000, adex(2.0, 40.0, 500.0)).label("RS"))?;
    let inh = sim.create(Population::new(1000, adex(0.5, 0.0, 1e9)).label("FS"))?;
    let aff =
        sim.create(Population::new(400, SpikeSourcePoisson { rate: afferent_rate(0.0).into(), ..Default::default() }).label("AffExc"))?;
    let (q_e, q_i) = (0.001, 0.004); // µS: ntwk's Q 1 nS and 4 nS
    for post in [exc, inh] {
        sim.connect(Projection::new(exc, post, Connector::fixed_probability(0.05), StaticSynapse::new(q_e, DT)))?;
        sim.connect(
            Projection::new(inh, post, Connector::fixed_probability(0.05), StaticSynapse::new(q_i, DT)).receptor(Receptor::Inhibitory),
        )?;
        sim.connect(Projection::new(aff, post, Connector::fixed_probability(0.5), StaticSynapse::new(q_e, DT)))?;
    }
    sim.record(exc, &["spikes"])?;
    sim.record(inh, &["spikes"])?;
    sim.record(aff, &["spikes"])?;
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();

    // Run in slices, the afferent rate set to its value at each slice's midpoint.
    let slices = (args.duration / args.slice).ceil() as usize;
    let mut sim_s = 0.0;
    for k in 0..slices {
        let start = k as f64 * args.slice;
        let len = args.slice.min(args.duration - start);
        sim.set(aff, "rate", afferent_rate(start + 0.5 * len))?;
        sim_s += sim.run(len)?.sim_s;
    }

    let (rs, fs, af) = (sim.get_data(exc)?, sim.get_data(inh)?, sim.get_data(aff)?);
    let bin = 50.0;
    let (centres, rs_rate) = binned_rate(&rs, bin, args.duration);
    let (_, fs_rate) = binned_rate(&fs, bin, args.duration);
    let (_, af_rate) = binned_rate(&af, bin, args.duration);
    println!("{:>10} {:>10} {:>10} {:>12} {:>12}", "t (ms)", "RS (Hz)", "FS (Hz)", "aff (Hz)", "aff set (Hz)");
    for (k, t) in centres.iter().enumerate() {
        println!("{:>10.0} {:>10.2} {:>10.2} {:>12.2} {:>12.2}", t, rs_rate[k], fs_rate[k], af_rate[k], afferent_rate(*t));
    }

    // Figures: rates in 5 ms bins, and the raster.
    std::fs::create_dir_all(&args.out)?;
    let fine = 5.0;
    let line = |seg: &Segment| binned_rate(seg, fine, args.duration);
    let drive: (Vec<f64>, Vec<f64>) = {
        let t: Vec<f64> = (0..=(args.duration as usize)).map(|t| t as f64).collect();
        let r = t.iter().map(|&t| afferent_rate(t)).collect();
        (t, r)
    };
    let rates_png = args.out.join("rates.png");
    plot::panels(
        &rates_png,
        "RS-FS network: rates (5 ms bins)",
        1,
        &[
            Panel { title: "RS (4000 excitatory)".into(), y_label: "rate (Hz)".into(), lines: vec![line(&rs)] },
            Panel { title: "FS (1000 inhibitory)".into(), y_label: "rate (Hz)".into(), lines: vec![line(&fs)] },
            Panel { title: "afferent Poisson (400): measured and set".into(), y_label: "rate (Hz)".into(), lines: vec![line(&af), drive] },
        ],
    )?;
    let raster_png = args.out.join("raster.png");
    plot::raster(&raster_png, "RS-FS AdEx network: RS, FS and afferent spikes", &[&rs, &fs, &af], args.duration)?;
    eprintln!("wrote {} and {}", rates_png.display(), raster_png.display());

    let peak = |r: &[f64]| r.iter().copied().fold(0.0, f64::max);
    let window_mean = |r: &[f64], lo: f64, hi: f64| {
        let v: Vec<f64> = centres.iter().zip(r).filter(|(t, _)| **t > lo && **t < hi).map(|(_, x)| *x).collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let json = serde_json::json!({
        "example": "rs_fs",
        "backend": args.backend.to_string(),
        "adapter": sim.adapter_name(),
        "duration_ms": args.duration,
        "rs_rate_hz": rs.mean_rate(),
        "fs_rate_hz": fs.mean_rate(),
        "afferent_rate_hz": af.mean_rate(),
        "rs_rate_baseline_hz": window_mean(&rs_rate, 200.0, 600.0),
        "fs_rate_baseline_hz": window_mean(&fs_rate, 200.0, 600.0),
        "rs_rate_peak_hz": peak(&rs_rate),
        "fs_rate_peak_hz": peak(&fs_rate),
        "build_s": build_s,
        "sim_s": sim_s,
        "figures": [rates_png.display().to_string(), raster_png.display().to_string()],
    });
    println!("{json}");
    Ok(())
}
