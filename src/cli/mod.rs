//! The `spikeflow` command line: arguments, the commands, and how failures map to exit codes.

mod progress;

use clap::{Args, Parser, Subcommand, ValueEnum};
use progress::{Progress, Spinner};
use spikeflow::engine::GpuContext;
use spikeflow::modelfile::{self, BuildOptions, ModelFile, ModelFileError};
use spikeflow::output::{self, ResultFile, ResultWriter, RunMetadata};
use spikeflow::stats::{population_stats, PopulationStats};
use spikeflow::{plot, Backend, CsrAssembly, Error, Simulation};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Why a command failed: bad input (exit code 2) or a failure while running (exit code 1).
pub enum Failure {
    /// The model, an option or a parameter is wrong.
    BadInput(String),
    /// Something failed while running (device, numerics, files).
    Runtime(String),
}

impl From<ModelFileError> for Failure {
    fn from(e: ModelFileError) -> Self {
        if e.is_input_error() {
            Failure::BadInput(e.to_string())
        } else {
            Failure::Runtime(e.to_string())
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { .. } | Error::Build(_) | Error::Weight(_) => Failure::BadInput(e.to_string()),
            _ => Failure::Runtime(e.to_string()),
        }
    }
}

impl From<output::OutputError> for Failure {
    fn from(e: output::OutputError) -> Self {
        Failure::Runtime(e.to_string())
    }
}

fn runtime(e: impl std::fmt::Display) -> Failure {
    Failure::Runtime(e.to_string())
}

/// spikeflow: spiking neural networks on any GPU (and the CPU), from PyNN-style model files.
#[derive(Parser)]
#[command(
    name = "spikeflow",
    version,
    about,
    long_about = None,
    after_help = "Without a command: `spikeflow run zoo:coba` (the demonstration; results under out/).\n\
                  Exit codes: 0 ok, 2 bad input, 1 failure while running."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a model file (path) or a zoo model (zoo:NAME); writes results under --out.
    Run(RunArgs),
    /// List the built-in models.
    Zoo,
    /// The adapters wgpu finds and their limits.
    Info,
    /// Per-population statistics of a result file.
    Stats {
        /// An HDF5 result file written by `spikeflow run`.
        result: PathBuf,
    },
    /// Figures of a result file: raster with population rates, membrane traces, rate histogram.
    Plot {
        /// An HDF5 result file written by `spikeflow run`.
        result: PathBuf,
        /// Image format.
        #[arg(long, value_enum, default_value_t = Format::Png)]
        format: Format,
        /// Folder for the figures (default: the result file's folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run variants of a model: `--set name=v1,v2,...` (several --set give their product) and
    /// print a table of per-population rates.
    Scan(ScanArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Png,
    Svg,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// Options shared by `run` and `scan`.
#[derive(Args, Clone)]
struct Common {
    /// A model file (.toml or .json) or zoo:NAME.
    model: String,
    /// Biological time to simulate, ms (default: the model's).
    #[arg(long)]
    duration: Option<f64>,
    /// Seed (default: the model's).
    #[arg(long)]
    seed: Option<u64>,
    /// Back end: gpu or cpu (default: the model's, else the GPU when a hardware adapter exists,
    /// else the CPU).
    #[arg(long)]
    backend: Option<Backend>,
    /// Where the static synapses are assembled: auto (the `construct` kernel on a GPU, the
    /// host otherwise), host, or kernel.
    #[arg(long, default_value = "auto")]
    csr_assembly: CsrAssembly,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    common: Common,
    /// Folder for the results.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    /// Change a value of the model: pop.param=value, name=value (a model parameter such as
    /// scale), simulation.dt=value. Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    sets: Vec<String>,
    /// Do not draw the raster.
    #[arg(long)]
    no_plot: bool,
    /// Image format of the raster.
    #[arg(long, value_enum, default_value_t = Format::Png)]
    format: Format,
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    common: Common,
    /// NAME=V1,V2,... : the values to scan (repeatable: the variants are the product).
    #[arg(long = "set", value_name = "NAME=V1,V2,...", required = true)]
    sets: Vec<String>,
}

/// Run the command line.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        None => {
            // The demonstration job of the README's first command.
            let common = Common { model: "zoo:coba".into(), duration: None, seed: None, backend: None, csr_assembly: CsrAssembly::Auto };
            run(RunArgs { common, out: PathBuf::from("out"), sets: Vec::new(), no_plot: false, format: Format::Png })
        }
        Some(Command::Run(args)) => run(args),
        Some(Command::Zoo) => {
            println!("Built-in models (spikeflow run zoo:NAME):");
            for (name, line) in modelfile::zoo::list() {
                println!("  {name:<18} {line}");
            }
            Ok(())
        }
        Some(Command::Info) => info(),
        Some(Command::Stats { result }) => {
            let file = ResultFile::open(&result)?;
            print!("{}", output::stats_table(&file));
            Ok(())
        }
        Some(Command::Plot { result, format, out }) => {
            let file = ResultFile::open(&result)?;
            let dir = out.unwrap_or_else(|| result.parent().map(Path::to_path_buf).unwrap_or_default());
            std::fs::create_dir_all(&dir).map_err(runtime)?;
            let stem = result.file_stem().map_or("result".into(), |s| s.to_string_lossy().into_owned());
            let ext = format.ext();
            let raster = dir.join(format!("{stem}_raster.{ext}"));
            plot::raster_file(&file, &raster).map_err(runtime)?;
            println!("raster:          {}", raster.display());
            if file.populations.iter().any(|p| !p.signals.is_empty()) {
                let traces = dir.join(format!("{stem}_traces.{ext}"));
                plot::traces_file(&file, &traces).map_err(runtime)?;
                println!("traces:          {}", traces.display());
            }
            let rates = dir.join(format!("{stem}_rates.{ext}"));
            plot::rate_histogram_file(&file, &rates).map_err(runtime)?;
            println!("rate histogram:  {}", rates.display());
            Ok(())
        }
        Some(Command::Scan(args)) => scan(args),
    }
}

fn info() -> Result<(), Failure> {
    let adapters = GpuContext::list_adapters();
    if adapters.is_empty() {
        println!("No adapter found: spikeflow runs on the CPU back end (--backend cpu).");
        println!("On Debian, Mesa's software Vulkan driver gives one: apt-get install mesa-vulkan-drivers");
    }
    for (info, limits) in adapters {
        println!("{} ({:?}, {:?}, driver {} {})", info.name, info.backend, info.device_type, info.driver, info.driver_info);
        println!("  max storage buffer binding: {} MiB", limits.max_storage_buffer_binding_size / (1 << 20));
        println!("  max buffer size:            {} MiB", limits.max_buffer_size / (1 << 20));
        println!("  storage buffers per stage:  {}", limits.max_storage_buffers_per_shader_stage);
        println!("  workgroups per dimension:   {}", limits.max_compute_workgroups_per_dimension);
    }
    Ok(())
}

/// The model with `sets` and the duration applied.
fn prepare(common: &Common, sets: &[String]) -> Result<ModelFile, Failure> {
    let mut model = modelfile::load(&common.model)?;
    for s in sets {
        model.set(s)?;
    }
    if let Some(d) = common.duration {
        model.set(&format!("simulation.duration={d}"))?;
    }
    Ok(model)
}

/// The back end (and its device): asked for, else the model's, else the GPU when any adapter
/// exists, else the CPU (said so).
fn choose_backend(common: &Common, model: &ModelFile) -> Result<(Backend, Option<GpuContext>), Failure> {
    let asked = common.backend.or(model.simulation().backend);
    match asked {
        Some(Backend::Cpu) => Ok((Backend::Cpu, None)),
        Some(Backend::Gpu) => Ok((Backend::Gpu, Some(GpuContext::new().map_err(runtime)?))),
        None => match GpuContext::new() {
            // A software rasterizer (lavapipe) runs the kernels ~20–30× slower than the CPU
            // back end's vectorised mirrors: take the faster one by default.
            Ok(ctx) if ctx.info.device_type == wgpu::DeviceType::Cpu => {
                println!(
                    "the only adapter, {}, is a software rasterizer: running on the CPU back end, which is faster here \
                     (--backend gpu runs the WGSL kernels on it)",
                    ctx.adapter_name()
                );
                Ok((Backend::Cpu, None))
            }
            Ok(ctx) => Ok((Backend::Gpu, Some(ctx))),
            Err(e) => {
                println!("{e}\nrunning on the CPU back end instead.");
                Ok((Backend::Cpu, None))
            }
        },
    }
}

/// Create the simulation of `model` on the chosen back end.
fn build(model: &ModelFile, common: &Common, chosen: &(Backend, Option<GpuContext>)) -> Result<(Simulation, modelfile::Instance), Failure> {
    let options = BuildOptions {
        backend: Some(chosen.0),
        seed: common.seed,
        gpu: chosen.1.clone(),
        progress: false,
        csr_assembly: Some(common.csr_assembly),
    };
    Ok(model.build_with(options)?)
}

/// Advance `sim` by `duration` ms in slices, calling `after` after each (results written as
/// the run goes), with a progress display.
fn run_in_slices(sim: &mut Simulation, duration: f64, mut after: impl FnMut(&Simulation) -> Result<(), Failure>) -> Result<f64, Failure> {
    let dt = sim.dt();
    let steps = (duration / dt).round() as u64;
    // Slices of at most 1 s biological and at least 1/50 of the run, in whole steps.
    let slice_steps = ((steps / 50).max(1)).max((100.0 / dt).round() as u64).min((1000.0 / dt).round() as u64).max(1);
    let mut progress = Progress::new(steps, dt);
    let t0 = Instant::now();
    let mut done = 0u64;
    while done < steps {
        let n = slice_steps.min(steps - done);
        sim.run(n as f64 * dt)?;
        done += n;
        after(sim)?;
        progress.update(done);
    }
    progress.finish();
    Ok(t0.elapsed().as_secs_f64())
}

/// A file name for the results of model `name` (`zoo:coba` → `coba`, `dir/net.toml` → `net`).
fn file_stem(name: &str) -> String {
    let name = name.strip_prefix("zoo:").unwrap_or(name);
    let name = Path::new(name).file_stem().map_or(name.to_string(), |s| s.to_string_lossy().into_owned());
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    if s.is_empty() {
        "model".into()
    } else {
        s
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let t_start = Instant::now();
    let model = prepare(&args.common, &args.sets)?;
    let chosen = choose_backend(&args.common, &model)?;
    let (mut sim, instance) = build(&model, &args.common, &chosen)?;
    let spinner = Spinner::new("building the network");
    let built = sim.build_now();
    spinner.finish();
    built?;
    let build_s = t_start.elapsed().as_secs_f64();
    let (neurons, synapses) = sim.size()?;
    let duration = model.simulation().duration;
    println!("spikeflow {} — {} on {}", env!("CARGO_PKG_VERSION"), model.name(), sim.adapter_name());
    let by_kernel = if sim.network().is_some_and(|n| n.kernel_assembled) { " (CSR by the construct kernel)" } else { "" };
    println!("  {neurons} neurons, {synapses} synapses, dt {} ms, seed {}; built in {build_s:.2} s{by_kernel}", sim.dt(), sim.seed());

    std::fs::create_dir_all(&args.out).map_err(|e| Failure::Runtime(format!("cannot create {}: {e}", args.out.display())))?;
    let stem = file_stem(model.name());
    let path = args.out.join(format!("{stem}.h5"));
    let meta = RunMetadata {
        model_name: model.name().to_string(),
        model_text: model.text().to_string(),
        seed: sim.seed(),
        backend: sim.backend().to_string(),
        adapter: sim.adapter_name(),
        dt_ms: sim.dt(),
        duration_ms: duration,
    };
    let pops: Vec<_> = instance.recorded.iter().map(|(_, id, _)| *id).collect();
    let mut writer = ResultWriter::create(&path, &meta, &sim, &pops)?;
    let sim_s = run_in_slices(&mut sim, duration, |sim| writer.append(sim).map_err(Failure::from))?;
    println!("  simulated {duration} ms in {sim_s:.2} s (real-time factor {:.3})", sim_s / (duration / 1000.0));

    let mut stats = Vec::new();
    for (label, id, variables) in &instance.recorded {
        if !variables.iter().any(|v| v == "spikes") {
            continue;
        }
        let seg = sim.get_data(*id)?;
        let (neurons, times): (Vec<u32>, Vec<f64>) =
            seg.spiketrains.iter().enumerate().flat_map(|(i, s)| s.times.iter().map(move |&t| (i as u32, t))).unzip();
        let s = population_stats(seg.spiketrains.len(), &neurons, &times, 0.0, duration).map_err(runtime)?;
        stats.push((label.clone(), s));
    }
    print_stats(&stats);
    writer.write_stats(&stats)?;
    writer.finish()?;
    println!("results: {}", path.display());
    if !args.no_plot {
        let file = ResultFile::open(&path)?;
        let raster = args.out.join(format!("{stem}_raster.{}", args.format.ext()));
        plot::raster_file(&file, &raster).map_err(runtime)?;
        println!("raster:  {}", raster.display());
    }
    Ok(())
}

fn print_stats(stats: &[(String, PopulationStats)]) {
    let opt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.2}"));
    println!(
        "  {:<16} {:>8} {:>10} {:>7} {:>7} {:>8} {:>10}",
        "population", "neurons", "rate (Hz)", "CV ISI", "Fano", "active", "peak (Hz)"
    );
    for (label, s) in stats {
        println!(
            "  {:<16} {:>8} {:>10.2} {:>7} {:>7} {:>7.0}% {:>10}",
            label,
            s.n_neurons,
            s.mean_rate_hz,
            opt(s.cv_isi),
            opt(s.fano_factor),
            100.0 * s.fraction_active,
            opt(s.rate_peak_hz)
        );
    }
}

fn scan(args: ScanArgs) -> Result<(), Failure> {
    // Each --set NAME=V1,V2 is one axis; the variants are their product.
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    for s in &args.sets {
        let (name, values) = s.split_once('=').ok_or_else(|| Failure::BadInput(format!("--set {s}: expected NAME=V1,V2,...")))?;
        let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            return Err(Failure::BadInput(format!("--set {s}: no values")));
        }
        axes.push((name.trim().to_string(), values));
    }
    let mut variants: Vec<Vec<String>> = vec![Vec::new()];
    for (name, values) in &axes {
        variants = variants.iter().flat_map(|v| values.iter().map(move |x| [v.clone(), vec![format!("{name}={x}")]].concat())).collect();
    }
    // Check every variant before running any.
    let models: Vec<ModelFile> = variants.iter().map(|sets| prepare(&args.common, sets)).collect::<Result<_, _>>()?;
    let chosen = choose_backend(&args.common, &models[0])?;
    let mut header_done = false;
    for (sets, model) in variants.iter().zip(&models) {
        let (mut sim, instance) = build(model, &args.common, &chosen)?;
        let duration = model.simulation().duration;
        let t0 = Instant::now();
        sim.run(duration)?;
        let wall = t0.elapsed().as_secs_f64();
        if !header_done {
            print!("{:<28}", "variant");
            for (label, _, _) in &instance.recorded {
                print!(" {label:>12}");
            }
            println!(" {:>9}", "wall (s)");
            header_done = true;
        }
        print!("{:<28}", sets.join(" "));
        for (_, id, _) in &instance.recorded {
            print!(" {:>12.2}", sim.get_data(*id)?.mean_rate());
        }
        println!(" {wall:>9.2}");
    }
    println!("(mean rates in Hz over {} ms)", models[0].simulation().duration);
    Ok(())
}
