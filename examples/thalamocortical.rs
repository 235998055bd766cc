//! pyN's re-entrant thalamocortical circuit (the README's "Connecting Populations" example,
//! ../shared/seeds): a thalamus of 100 tonic-spiking and a cortex of 50 phasic-bursting
//! Izhikevich cells (MODELS.md rows A and D, with their v0 of −70 and −64 mV and u0 = b·v0),
//! connected both ways, with pyN's two stimulus dictionaries injected into the thalamus; 600 ms.
//!
//! What pyN's example does, and what this one does with it:
//! * pyN starts the cortex at v0 = −70 mV with u0 = b·v0 = −17.5: with that u the phasic-bursting
//!   cell has no resting state, so every cortical cell bursts at the start whatever its input.
//!   The default here is MODELS.md's v0 = −64 mV (u0 = −16, just inside the resting regime), so
//!   cortical activity comes from the thalamus; `--cortex-v0=-70` gives pyN's start.
//! * `brain.connect(pre, post, synapses="sparse-random")`: each pair connected with probability
//!   0.1, no self-connections — `FixedProbabilityConnector(0.1)` here.
//! * Delays: 2.25 ± 0.25 ms both ways (the specification), drawn normal and clipped at
//!   dt. pyN's own example uses `delay=0.25, std=0.05` ms thalamus → cortex and 2.25 ± 0.25 ms
//!   back ("corticothalamic loop longer than thalamocortical"): `--tc-delay 0.25` gives that.
//! * Weights: pyN draws U(0, 1), but its STDP (on by default, `stdp=True`) clips every weight to
//!   w_max = 0.1 at the first step, so 90 % of them are 0.1. A pyN spike then drives the target
//!   with the current w · t · exp(−t/5 ms) (pA, over its 30 ms window), whose charge is
//!   w · 25 ms; on the implicit 1 pF membrane that is a 2.5 mV rise of v for w = 0.1. The
//!   Izhikevich cell here has NEST's delta synapses, so the weight is that jump: 2.5 mV
//!   (`--weight`). Plasticity itself is not modelled.
//! * Stimuli (pyN's `I_ext={'thalamus': stim}`, in the paper's current units): 20 into neuron 0
//!   from 10 to 200 ms and 30 into neurons 0–2 from 50 to 300 ms, i.e. 0.020 and 0.030 nA.
//! * pyN integrates with forward Euler at dt = 0.25 ms; here RK4 at dt = 0.1 ms.
//!
//! `cargo run --release --example thalamocortical -- [--backend gpu|cpu] [--seed N]
//!  [--raster FILE] [--traces FILE] [--weight MV] [--tc-delay MS]`
//!
//! Prints per-population spike counts and rates, and one JSON line last.

use anyhow::{Context, Result};
use clap::Parser;
use spikeflow::model::Izhikevich;
use spikeflow::plot::{panels, raster, Panel};
use spikeflow::prelude::*;
use spikeflow::Segment;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "pyN's re-entrant thalamocortical loop of Izhikevich cells")]
struct Args {
    /// gpu (the best wgpu adapter, lavapipe included) or cpu.
    #[arg(long, default_value = "gpu")]
    backend: Backend,
    /// Seed of the connectivity and delays.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Raster figure (.png or .svg).
    #[arg(long, default_value = "thalamocortical_raster.png")]
    raster: PathBuf,
    /// Membrane-potential figure (.png or .svg).
    #[arg(long, default_value = "thalamocortical_traces.png")]
    traces: PathBuf,
    /// Synaptic weight: the jump of v per spike, mV (pyN's effective 0.1 × 25 ms).
    #[arg(long, default_value_t = 2.5)]
    weight: f64,
    /// Mean thalamocortical delay, ms (2.25 ± 0.25; pyN's example: 0.25, which uses ± 0.05).
    #[arg(long, default_value_t = 2.25)]
    tc_delay: f64,
    /// Initial v of the cortex, mV.
    #[arg(long, default_value_t = -64.0, allow_hyphen_values = true)]
    cortex_v0: f64,
    /// Biological time, ms.
    #[arg(long, default_value_t = 600.0)]
    duration: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let t0 = Instant::now();
    let dt = 0.1;
    let mut sim = Simulation::builder().dt(dt).seed(args.seed).backend(args.backend).build()?;
    // MODELS.md row A (tonic spiking) and row D (phasic bursting), pyN's v0 = −70, u0 = b·v0.
    let thalamus = sim.create(Population::new(100, Izhikevich::pyn(0.02, 0.2, -65.0, 6.0, -70.0, None)).label("thalamus"))?;
    let cortex = sim.create(Population::new(50, Izhikevich::pyn(0.02, 0.25, -55.0, 0.05, args.cortex_v0, None)).label("cortex"))?;
    let sparse = || Connector::fixed_probability(0.1).allow_self_connections(false);
    let tc_sd = if (args.tc_delay - 0.25).abs() < 1e-12 { 0.05 } else { 0.25 };
    let tc = StaticSynapse::new(args.weight, RandomDistribution::normal_clipped(args.tc_delay, tc_sd, dt, f64::INFINITY));
    let ct = StaticSynapse::new(args.weight, RandomDistribution::normal_clipped(2.25, 0.25, dt, f64::INFINITY));
    sim.connect(Projection::new(thalamus, cortex, sparse(), tc).label("thalamus->cortex"))?;
    sim.connect(Projection::new(cortex, thalamus, sparse(), ct).label("cortex->thalamus"))?;
    // pyN's stimulus dictionaries, paper units / 1000 → nA.
    sim.stimulate(
        thalamus,
        &[
            Stimulus { start: 10.0, stop: 200.0, amplitude: 0.020, neurons: vec![0] },
            Stimulus { start: 50.0, stop: 300.0, amplitude: 0.030, neurons: (0..3).collect() },
        ],
    )?;
    sim.record(thalamus, &["spikes"])?;
    sim.record(cortex, &["spikes"])?;
    sim.record(thalamus, &["v"])?;
    sim.record(cortex, &["v"])?;
    sim.build_now()?;
    let build_s = t0.elapsed().as_secs_f64();
    let report = sim.run(args.duration)?;
    let (neurons, synapses) = sim.size()?;
    let th = sim.get_data(thalamus)?;
    let cx = sim.get_data(cortex)?;

    raster(&args.raster, "pyN's thalamocortical loop (Izhikevich, RK4, dt = 0.1 ms)", &[&th, &cx], args.duration)
        .with_context(|| format!("writing {}", args.raster.display()))?;
    // Thalamus: the two stimulated neurons 0 and 1 and the most active unstimulated one (driven
    // by the cortex only); cortex: its three most active neurons. Left column thalamus, right cortex.
    let by_activity = |seg: &Segment, from: usize| {
        let mut order: Vec<usize> = (from..seg.spiketrains.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(seg.spiketrains[i].times.len()));
        order
    };
    let shown_thalamus = [0, 1, by_activity(&th, 3)[0]];
    let shown_cortex = by_activity(&cx, 0);
    let mut figure = Vec::new();
    for row in 0..3 {
        for (seg, i) in [(&th, shown_thalamus[row]), (&cx, shown_cortex[row])] {
            let v = seg.signal("v").context("v was recorded")?;
            let trace = v.trace(i).context("recorded neuron")?;
            figure.push(Panel {
                title: format!("{} neuron {i} ({} spikes)", seg.population, seg.spiketrains[i].times.len()),
                y_label: "v (mV)".into(),
                lines: vec![(v.times(), trace.iter().map(|&x| f64::from(x)).collect())],
            });
        }
    }
    panels(&args.traces, "pyN's thalamocortical loop: membrane potentials", 2, &figure)
        .with_context(|| format!("writing {}", args.traces.display()))?;

    let active = |seg: &Segment| seg.spiketrains.iter().filter(|s| !s.times.is_empty()).count();
    let last = |seg: &Segment| seg.spiketrains.iter().filter_map(|s| s.times.last().copied()).fold(0.0, f64::max);
    for seg in [&th, &cx] {
        println!(
            "{:9} {:5} spikes, {:3} of {:3} neurons fired, mean rate {:6.2} Hz, last spike at {:.1} ms",
            seg.population,
            seg.spike_count(),
            active(seg),
            seg.spiketrains.len(),
            seg.mean_rate(),
            last(seg)
        );
    }
    let json = serde_json::json!({
        "backend": args.backend.to_string(),
        "adapter": sim.adapter_name(),
        "seed": args.seed,
        "neurons": neurons,
        "synapses": synapses,
        "duration_ms": args.duration,
        "weight_mV": args.weight,
        "cortex_v0_mV": args.cortex_v0,
        "thalamocortical_delay_ms": args.tc_delay,
        "thalamus_spikes": th.spike_count(),
        "cortex_spikes": cx.spike_count(),
        "thalamus_active": active(&th),
        "cortex_active": active(&cx),
        "thalamus_rate_hz": th.mean_rate(),
        "cortex_rate_hz": cx.mean_rate(),
        "last_spike_ms": last(&th).max(last(&cx)),
        "raster": args.raster.display().to_string(),
        "traces": args.traces.display().to_string(),
        "build_s": build_s,
        "sim_s": report.sim_s,
        "wall_s": t0.elapsed().as_secs_f64(),
    });
    println!("{json}");
    Ok(())
}
