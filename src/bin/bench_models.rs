//! Benchmark: cost of one step per neuron for each cell type, in a network of N neurons of that
//! type (default 1e5) with sparse random recurrent excitation (`--synapses` per neuron, default
//! 100), so spike propagation is included. Every population is built from its `CellType`
//! default (PyNN's parameters) with an `i_offset` that makes it fire: the current I that drives
//! one neuron to 20 Hz (found by bisection with one-neuron CPU runs), spread uniformly over
//! [I, 1.2 I] across the population so the neurons do not fire in lockstep. Weights are small
//! (0.2 nS for conductance synapses, 0.002 in the weight unit of the others: nA, or mV for
//! Izhikevich's jumps) so the dynamics stay those of the driven cells. Models come from `spikeflow::model::registry()` at run time: a model added
//! later is measured without changing this file.
//!
//! `cargo run --release --bin bench_models -- [--neurons 100000] [--steps 1000] [--backends cpu,gpu]
//! [--models IF_curr_exp,IF_cond_exp,EIF_cond_exp_isfa_ista,HH_cond_exp,Izhikevich | all]`
//! Prints a table and, last, one JSON object. Record results in BENCHMARKS.md with the device
//! name and date (a figure from llvmpipe is not a GPU speed).

use anyhow::{bail, Context, Result};
use clap::Parser;
use spikeflow::engine::GpuContext;
use spikeflow::model::{registry, CellType, ModelSpec};
use spikeflow::prelude::*;

#[derive(Parser)]
#[command(about = "Per-model cost per neuron-step, with recurrent propagation")]
struct Args {
    /// Neurons per network.
    #[arg(long, default_value_t = 100_000)]
    neurons: usize,
    /// Timed steps per measurement (after `--warmup` untimed ones).
    #[arg(long, default_value_t = 1000)]
    steps: u32,
    /// Untimed steps before the measurement (the network settles, the pipelines warm up).
    #[arg(long, default_value_t = 50)]
    warmup: u32,
    /// Recurrent synapses per neuron (FixedNumberPre).
    #[arg(long, default_value_t = 100)]
    synapses: usize,
    /// Back ends to measure.
    #[arg(long, value_delimiter = ',', default_value = "cpu,gpu")]
    backends: Vec<Backend>,
    /// PyNN cell type names, or `all` for every registered neuron model. Names of the default
    /// list that are not registered are skipped with a note.
    #[arg(long, value_delimiter = ',', default_value = "IF_curr_exp,IF_cond_exp,EIF_cond_exp_isfa_ista,HH_cond_exp,Izhikevich")]
    models: Vec<String>,
    /// Repeats per measurement (the fastest is reported).
    #[arg(long, default_value_t = 1)]
    repeats: usize,
    /// Time step, ms.
    #[arg(long, default_value_t = 0.1)]
    dt: f64,
}

const DEFAULT_MODELS: &str = "IF_curr_exp,IF_cond_exp,EIF_cond_exp_isfa_ista,HH_cond_exp,Izhikevich";

/// The model's default cell (PyNN's defaults), built from its name through serde: every
/// registered parameter struct deserialises from `{"cell_type": name}` with its defaults.
fn default_cell(spec: &ModelSpec) -> Result<CellType> {
    serde_json::from_value(serde_json::json!({ "cell_type": spec.cell_type }))
        .with_context(|| format!("{} has no default CellType", spec.cell_type))
}

/// State variables sampled to start the network on the neurons' limit cycle (conductances are
/// zero in the single-neuron runs; at most 4, the recording limit per population).
fn cycle_vars(spec: &ModelSpec) -> Vec<&'static str> {
    spec.state.iter().map(|s| s.name).filter(|n| !n.starts_with("gsyn") && !n.starts_with("dgsyn")).take(4).collect()
}

/// One default neuron under `i_offset` nA for 500 ms (CPU): its rate (Hz) and the traces of
/// `vars`.
fn single_run(spec: &ModelSpec, i_offset: f64, dt: f64, vars: &[&str]) -> Result<(f64, Vec<Vec<f32>>)> {
    let mut sim = Simulation::builder().dt(dt).seed(1).backend(Backend::Cpu).build()?;
    let pop = sim.create(Population::new(1, default_cell(spec)?))?;
    sim.set(pop, "i_offset", i_offset)?;
    let mut rec = vec!["spikes"];
    rec.extend_from_slice(vars);
    sim.record(pop, &rec)?;
    sim.run(500.0)?;
    let seg = sim.get_data(pop)?;
    let traces = vars.iter().map(|v| seg.signal(v).map(|s| s.data[0].clone()).unwrap_or_default()).collect();
    Ok((seg.mean_rate(), traces))
}

fn single_rate(spec: &ModelSpec, i_offset: f64, dt: f64) -> Result<f64> {
    Ok(single_run(spec, i_offset, dt, &[])?.0)
}

/// The i_offset (nA) that makes one default neuron fire at about [`TARGET_HZ`]: bracketed by
/// doubling from 1 nA, then bisected on a log scale (single-neuron CPU runs of 500 ms).
fn firing_current(spec: &ModelSpec, dt: f64) -> Result<f64> {
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    if single_rate(spec, hi, dt)? >= TARGET_HZ {
        while single_rate(spec, lo, dt)? >= TARGET_HZ {
            lo /= 2.0;
            if lo < 1e-6 {
                bail!("{}: fires at {TARGET_HZ} Hz even with i_offset ~ 0", spec.cell_type);
            }
        }
        hi = 2.0 * lo;
    } else {
        while single_rate(spec, hi, dt)? < TARGET_HZ {
            hi *= 2.0;
            if hi > 1e4 {
                bail!("{}: no i_offset up to 10 µA makes it fire at {TARGET_HZ} Hz", spec.cell_type);
            }
        }
        lo = hi / 2.0;
    }
    for _ in 0..10 {
        let mid = (lo * hi).sqrt();
        if single_rate(spec, mid, dt)? >= TARGET_HZ {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// Single-neuron rate the calibrated i_offset aims at, Hz.
const TARGET_HZ: f64 = 20.0;

struct Measurement {
    build_s: f64,
    sim_s: f64,
    synapses: usize,
    rate_hz: f64,
}

fn measure(args: &Args, spec: &ModelSpec, backend: Backend, i_offset: f64, gpu: Option<&GpuContext>) -> Result<Measurement> {
    let mut b = Simulation::builder().dt(args.dt).seed(7).backend(backend);
    if let Some(ctx) = gpu {
        b = b.gpu_context(ctx.clone());
    }
    let mut sim = b.build()?;
    let pop = sim.create(Population::new(args.neurons, default_cell(spec)?).label(spec.cell_type))?;
    sim.set(pop, "i_offset", RandomDistribution::uniform(i_offset, 1.2 * i_offset))?;
    // Start each neuron at a random point of the single neuron's cycle (second half of its run),
    // so the timed steps see steady firing rather than the onset transient.
    let vars = cycle_vars(spec);
    let (_, traces) = single_run(spec, i_offset, args.dt, &vars)?;
    let len = traces.first().map_or(0, Vec::len);
    if len > 1 {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let picks: Vec<usize> = (0..args.neurons)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                len / 2 + (state % (len / 2) as u64) as usize
            })
            .collect();
        for (name, trace) in vars.iter().zip(&traces) {
            sim.initialize(pop, name, picks.iter().map(|&k| f64::from(trace[k])).collect::<Vec<f64>>())?;
        }
    }
    let w = if spec.conductance_based { 0.0002 } else { 0.002 };
    sim.connect(Projection::new(pop, pop, Connector::fixed_number_pre(args.synapses), StaticSynapse::new(w, 1.0)))?;
    sim.record(pop, &["spikes"])?;
    let build_s = sim.build_now()?;
    sim.run(f64::from(args.warmup) * args.dt)?;
    let before = sim.get_data(pop)?.spike_count();
    let report = sim.run(f64::from(args.steps) * args.dt)?;
    let spikes = sim.get_data(pop)?.spike_count() - before;
    let (_, synapses) = sim.size()?;
    let rate_hz = spikes as f64 / args.neurons as f64 / (f64::from(args.steps) * args.dt / 1000.0);
    Ok(Measurement { build_s, sim_s: report.sim_s, synapses, rate_hz })
}

fn main() -> Result<()> {
    let args = Args::parse();
    let neuron_models: Vec<&'static ModelSpec> = registry().into_iter().filter(|s| s.receives_input).collect();
    let requested: Vec<String> = if args.models.iter().any(|m| m == "all") {
        neuron_models.iter().map(|s| s.cell_type.to_string()).collect()
    } else {
        args.models.clone()
    };
    let explicit = args.models.join(",") != DEFAULT_MODELS;
    let mut specs = Vec::new();
    for name in &requested {
        match neuron_models.iter().find(|s| s.cell_type == name) {
            Some(s) => specs.push(*s),
            None if explicit => {
                let known: Vec<_> = neuron_models.iter().map(|s| s.cell_type).collect();
                bail!("no registered neuron model '{name}' (registered: {})", known.join(", "))
            }
            None => eprintln!("note: {name} is not registered; skipped"),
        }
    }
    let gpu = if args.backends.contains(&Backend::Gpu) { Some(GpuContext::new()?) } else { None };
    let adapter = gpu.as_ref().map(GpuContext::adapter_name);

    println!(
        "{:<26} {:>4} {:>9} {:>10} {:>8} {:>8} {:>9} {:>9} {:>12}",
        "model", "be", "neurons", "synapses", "I (nA)", "rate Hz", "build s", "sim s", "ns/neur-step"
    );
    let mut rows = Vec::new();
    for spec in specs {
        let i_offset = firing_current(spec, args.dt)?;
        for &backend in &args.backends {
            let mut best: Option<Measurement> = None;
            for _ in 0..args.repeats.max(1) {
                let m = measure(&args, spec, backend, i_offset, gpu.as_ref())?;
                if best.as_ref().is_none_or(|b| m.sim_s < b.sim_s) {
                    best = Some(m);
                }
            }
            let m = best.expect("repeats ≥ 1");
            let ns = m.sim_s * 1e9 / (args.neurons as f64 * f64::from(args.steps));
            println!(
                "{:<26} {:>4} {:>9} {:>10} {:>8.4} {:>8.1} {:>9.2} {:>9.3} {:>12.2}",
                spec.cell_type,
                backend.to_string(),
                args.neurons,
                m.synapses,
                i_offset,
                m.rate_hz,
                m.build_s,
                m.sim_s,
                ns
            );
            rows.push(serde_json::json!({
                "model": spec.cell_type,
                "integrator": spec.integrator,
                "backend": backend.to_string(),
                "i_offset_na": i_offset,
                "synapses": m.synapses,
                "rate_hz": m.rate_hz,
                "build_s": m.build_s,
                "sim_s": m.sim_s,
                "ns_per_neuron_step": ns,
                "us_per_step": m.sim_s * 1e6 / f64::from(args.steps),
            }));
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "benchmark": "models",
            "neurons": args.neurons,
            "synapses_per_neuron": args.synapses,
            "steps": args.steps,
            "warmup": args.warmup,
            "dt_ms": args.dt,
            "gpu_adapter": adapter,
            "cpu_threads": 1,
            "results": rows,
        })
    );
    Ok(())
}
