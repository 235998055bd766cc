//! HDF5 results, on both back ends:
//! * a network recorded over several `run` slices, appended after each, reads back with
//!   `ResultFile::open` exactly equal to `get_data` (spikes, traces, metadata), and the two
//!   back ends write the same data;
//! * a run interrupted after 2 of 4 slices keeps the data of those 2 slices, both when the
//!   writer is dropped without `finish` and in a copy of the file taken while the writer was
//!   still open (the state a killed process leaves);
//! * the files open in h5py (when `python3 -c 'import h5py'` works: a script reads every
//!   dataset and attribute and its numbers are compared with ours) and in h5dump (when it is
//!   installed). Where neither tool exists the in-crate reader checks above are the checks;
//! * bad calls give typed errors.

mod common;
use common::*;
use spikeflow::output::{OutputError, ResultFile, ResultWriter, RunMetadata};
use spikeflow::prelude::*;
use spikeflow::Segment;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikeflow-output-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const MODEL_TEXT: &str = "# test model\n[simulation]\ndt = 0.1\n\n[populations.exc]\ncell_type = \"IF_cond_exp\"\nsize = 80\n";

/// Poisson drive into excitatory and inhibitory IF_cond_exp cells. `exc` records spikes of
/// all and v, gsyn_exc of 5 neurons every 0.5 ms; `inh` records the spikes of 10 of its
/// neurons; the Poisson source records nothing.
fn network(sim: &mut Simulation) -> Vec<PopulationId> {
    let cell = IfCondExp { tau_refrac: 2.0.into(), i_offset: 0.2.into(), ..Default::default() };
    let exc = sim.create(Population::new(80, cell.clone()).initial("v", RandomDistribution::uniform(-65.0, -52.0)).label("exc")).unwrap();
    let inh = sim.create(Population::new(20, cell).label("inh")).unwrap();
    let noise = sim.create(Population::new(50, SpikeSourcePoisson { rate: 60.0.into(), ..Default::default() }).label("noise")).unwrap();
    for post in [exc, inh] {
        sim.connect(Projection::new(noise, post, Connector::fixed_probability(0.2), StaticSynapse::new(0.02, 1.0))).unwrap();
    }
    sim.connect(Projection::new(exc, inh, Connector::fixed_probability(0.1), StaticSynapse::new(0.01, 1.5))).unwrap();
    sim.connect(Projection::new(inh, exc, Connector::fixed_probability(0.2), StaticSynapse::new(0.02, 1.0)).receptor(Receptor::Inhibitory))
        .unwrap();
    sim.record(exc, &["spikes"]).unwrap();
    sim.record_sampled(exc.slice(0..5), &["v", "gsyn_exc"], Some(0.5)).unwrap();
    sim.record(inh.slice(5..15), &["spikes"]).unwrap();
    vec![exc, inh, noise]
}

fn meta(sim: &Simulation, duration: f64) -> RunMetadata {
    RunMetadata {
        model_name: "output-test".into(),
        model_text: MODEL_TEXT.into(),
        seed: sim.seed(),
        backend: sim.backend().to_string(),
        adapter: sim.adapter_name(),
        dt_ms: sim.dt(),
        duration_ms: duration,
    }
}

/// The file's contents equal what the simulation holds now.
fn check_equal(file: &ResultFile, sim: &Simulation, pops: &[PopulationId], what: &str) {
    assert!(
        (file.recorded_until_ms - sim.time()).abs() < 1e-9,
        "{what}: recorded until {} ms, sim at {}",
        file.recorded_until_ms,
        sim.time()
    );
    assert_eq!(file.populations.len(), pops.len(), "{what}");
    for (&pop, p) in pops.iter().zip(&file.populations) {
        assert_eq!(p.label, sim.label(pop).unwrap(), "{what}");
        assert_eq!(p.size, pop.size(), "{what}");
        assert_eq!(p.cell_type, if p.label == "noise" { "SpikeSourcePoisson" } else { "IF_cond_exp" }, "{what}");
        let seg = p.segment(file.recorded_until_ms);
        match sim.get_data(pop) {
            Ok(expected) => assert_eq!(seg, expected, "{what}: population {} differs from get_data", p.label),
            Err(_) => {
                assert_eq!(p.label, "noise", "{what}");
                assert_eq!(
                    seg,
                    Segment { population: "noise".into(), t_start: 0.0, t_stop: sim.time(), spiketrains: vec![], analogsignals: vec![] }
                );
            }
        }
        // Spikes are stored ordered by time, then neuron.
        let pairs: Vec<(f64, u32)> = p.spike_times_ms.iter().copied().zip(p.spike_neurons.iter().copied()).collect();
        assert!(pairs.windows(2).all(|w| w[0].0 < w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)), "{what}: spikes not ordered");
    }
    assert_eq!(file.populations[0].first_index, 0);
    assert_eq!(file.populations[1].first_index, 80);
    assert_eq!(file.populations[2].first_index, 100);
}

#[test]
fn sliced_run_reads_back_equal_to_get_data_on_both_backends() {
    let mut files = Vec::new();
    for backend in BACKENDS {
        let path = tmp(&format!("sliced-{backend}.h5"));
        let mut sim = sim(backend, 0.1, 5).build().unwrap();
        let pops = network(&mut sim);
        let mut w = ResultWriter::create(&path, &meta(&sim, 200.0), &sim, &pops).unwrap();
        for _ in 0..4 {
            sim.run(50.0).unwrap();
            w.append(&sim).unwrap();
        }
        let file = ResultFile::open(&path).unwrap();
        let stats = file.stats().unwrap();
        w.write_stats(&stats).unwrap();
        w.finish().unwrap();
        let file = ResultFile::open(&path).unwrap();
        check_equal(&file, &sim, &pops, &format!("{backend}"));
        assert_eq!(file.meta, meta(&sim, 200.0), "{backend}");
        assert_eq!(file.spikeflow_version, env!("CARGO_PKG_VERSION"));
        assert!(file.created.len() == 20 && file.created.ends_with('Z'), "{}", file.created);
        let exc = file.population("exc").unwrap();
        assert!(exc.spike_times_ms.len() > 200, "{backend}: too little activity ({} spikes)", exc.spike_times_ms.len());
        assert_eq!(exc.spikes_recorded, (0..80).collect::<Vec<u32>>());
        assert_eq!(file.population("inh").unwrap().spikes_recorded, (5..15).collect::<Vec<u32>>());
        let v = exc.signals.iter().find(|s| s.variable == "v").unwrap();
        assert_eq!((v.n_samples(), v.neurons.len(), v.unit.as_str(), v.sampling_interval_ms), (400, 5, "mV", 0.5));
        assert_eq!(stats.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["exc", "inh"]);
        let table = spikeflow::output::stats_table(&file);
        assert!(table.contains("noise") && table.contains("spikes not recorded"), "{table}");
        assert!(table.lines().any(|l| l.starts_with("exc") && l.contains(&format!("{}", stats[0].1.n_spikes))), "{table}");
        check_tools(&path, None, &file, &stats);
        // The figures of a real run's file (their content is checked in plot.rs's tests).
        for (name, draw) in [
            ("raster", spikeflow::plot::raster_file as fn(&ResultFile, &Path) -> Result<(), spikeflow::plot::PlotError>),
            ("traces", spikeflow::plot::traces_file),
            ("rates", spikeflow::plot::rate_histogram_file),
        ] {
            let fig = tmp(&format!("{name}-{backend}.png"));
            draw(&file, &fig).unwrap();
            assert!(std::fs::metadata(&fig).unwrap().len() > 5000, "{name} figure too small");
        }
        files.push(file);
    }
    // Both back ends produce the same file contents (apart from the back end's name).
    let (cpu, gpu) = (&files[0], &files[1]);
    assert_eq!(cpu.populations, gpu.populations, "CPU and GPU results differ");
}

#[test]
fn interrupted_run_keeps_the_slices_written() {
    for backend in BACKENDS {
        let dropped = tmp(&format!("dropped-{backend}.h5"));
        let killed = tmp(&format!("killed-{backend}.h5"));
        let mut sim = sim(backend, 0.1, 9).build().unwrap();
        let pops = network(&mut sim);
        let mut w = ResultWriter::create(&dropped, &meta(&sim, 200.0), &sim, &pops).unwrap();
        for _ in 0..2 {
            sim.run(50.0).unwrap();
            w.append(&sim).unwrap();
        }
        // A copy of the file now is what a process killed at this point leaves behind.
        std::fs::copy(&dropped, &killed).unwrap();
        let mut at_two = common::sim(backend, 0.1, 9).build().unwrap();
        let pops_two = network(&mut at_two);
        at_two.run(100.0).unwrap();
        // The third slice runs but the run stops before its append; the writer is dropped.
        sim.run(50.0).unwrap();
        drop(w);
        for path in [&dropped, &killed] {
            let file = ResultFile::open(path).unwrap_or_else(|e| panic!("{backend} {}: {e}", path.display()));
            check_equal(&file, &at_two, &pops_two, &format!("{backend} {}", path.display()));
            assert!(file.population("exc").unwrap().spike_times_ms.len() > 50, "{backend}: too few spikes");
        }
        let file = ResultFile::open(&killed).unwrap();
        check_tools(&dropped, None, &file, &[]);
        check_tools(&killed, Some(()), &file, &[]);
    }
}

fn has_h5py() -> bool {
    Command::new("python3").args(["-c", "import h5py"]).status().is_ok_and(|s| s.success())
}

fn has_h5dump() -> bool {
    Command::new("h5dump").arg("--version").output().is_ok_and(|o| o.status.success())
}

const H5PY_SCRIPT: &str = r#"
import json, sys, math
import h5py
path, swmr = sys.argv[1], sys.argv[2] == "1"
out = {}
with h5py.File(path, "r", swmr=swmr) as f:
    out["attrs"] = {k: (v if isinstance(v, str) else float(v)) for k, v in f.attrs.items() if k != "spikeflow_layout"}
    out["until"] = float(f["recorded_until_ms"][0])
    pops = {}
    for label, g in f["populations"].items():
        p = {"size": int(g.attrs["size"]), "cell_type": g.attrs["cell_type"], "first_index": int(g.attrs["first_index"])}
        n, t = g["spikes/neuron"][:], g["spikes/time_ms"][:]
        p["n_spikes"] = int(n.shape[0]); p["neuron_sum"] = int(n.astype("u8").sum()); p["time_sum"] = float(t.astype("f8").sum())
        p["recorded"] = [int(i) for i in g["spikes/recorded_neurons"][:]]
        sig = {}
        for var, s in g["signals"].items():
            d = s["data"]
            sig[var] = {"shape": list(d.shape), "sum": float(d[:].astype("f8").sum()), "unit": d.attrs["unit"],
                        "interval": float(d.attrs["sampling_interval_ms"]), "neurons": [int(i) for i in s["neurons"][:]]}
        p["signals"] = sig
        pops[label] = p
    out["pops"] = pops
    out["stats"] = {label: {k: (None if math.isnan(float(v)) else float(v)) for k, v in g.attrs.items()} for label, g in f["stats"].items()}
print(json.dumps(out))
"#;

/// Reads the file with h5py and h5dump (where installed) and compares with `file`.
/// `killed`: the file was never closed (h5py needs `swmr=True`, h5dump a cleared copy).
fn check_tools(path: &Path, killed: Option<()>, file: &ResultFile, stats: &[(String, spikeflow::stats::PopulationStats)]) {
    let mut checked = 0;
    if has_h5py() {
        // One script file per call: tests run in parallel threads of this process.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let script = tmp(&format!("read-{}.py", CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        std::fs::write(&script, H5PY_SCRIPT).unwrap();
        let out = Command::new("python3").arg(&script).arg(path).arg(if killed.is_some() { "1" } else { "0" }).output().unwrap();
        assert!(out.status.success(), "h5py failed on {}: {}", path.display(), String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["attrs"]["model_text"], MODEL_TEXT);
        assert_eq!(v["attrs"]["model_name"], file.meta.model_name.as_str());
        assert_eq!(v["attrs"]["backend"], file.meta.backend.as_str());
        assert_eq!(v["attrs"]["seed"].as_f64().unwrap(), file.meta.seed as f64);
        assert_eq!(v["attrs"]["dt_ms"].as_f64().unwrap(), file.meta.dt_ms);
        assert_eq!(v["attrs"]["spikeflow_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(v["until"].as_f64().unwrap(), file.recorded_until_ms);
        for p in &file.populations {
            let q = &v["pops"][&p.label];
            assert_eq!(q["size"].as_u64().unwrap() as usize, p.size);
            assert_eq!(q["cell_type"], p.cell_type.as_str());
            assert_eq!(q["first_index"].as_u64().unwrap() as usize, p.first_index);
            assert_eq!(q["n_spikes"].as_u64().unwrap() as usize, p.spike_neurons.len(), "{}", p.label);
            assert_eq!(q["neuron_sum"].as_u64().unwrap(), p.spike_neurons.iter().map(|&n| u64::from(n)).sum::<u64>());
            let tsum: f64 = p.spike_times_ms.iter().sum();
            assert!((q["time_sum"].as_f64().unwrap() - tsum).abs() <= 1e-9 * tsum.abs().max(1.0));
            let rec: Vec<u32> = serde_json::from_value(q["recorded"].clone()).unwrap();
            assert_eq!(rec, p.spikes_recorded);
            assert_eq!(q["signals"].as_object().unwrap().len(), p.signals.len());
            for s in &p.signals {
                let qs = &q["signals"][&s.variable];
                assert_eq!(qs["shape"], serde_json::json!([s.n_samples(), s.neurons.len()]));
                let sum: f64 = s.data.iter().map(|&x| f64::from(x)).sum();
                assert!((qs["sum"].as_f64().unwrap() - sum).abs() <= 1e-9 * sum.abs().max(1.0));
                assert_eq!(qs["unit"], s.unit.as_str());
                assert_eq!(qs["interval"].as_f64().unwrap(), s.sampling_interval_ms);
            }
        }
        for (label, s) in stats {
            let q = &v["stats"][label];
            // (JSON text round trips may move the last bit.)
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
            assert!(close(q["mean_rate_hz"].as_f64().unwrap(), s.mean_rate_hz), "{label}");
            assert_eq!(q["n_spikes"].as_f64().unwrap() as usize, s.n_spikes, "{label}");
            assert_eq!(q["cv_isi"].is_null(), s.cv_isi.is_none(), "{label}");
            assert!(s.cv_isi.is_none_or(|cv| close(q["cv_isi"].as_f64().unwrap(), cv)), "{label}");
        }
        checked += 1;
    }
    if has_h5dump() {
        let target = if killed.is_some() {
            // The HDF5 tools refuse a file still marked open for writing until h5clear -s.
            let copy = path.with_extension("cleared.h5");
            std::fs::copy(path, &copy).unwrap();
            let st = Command::new("h5clear").arg("-s").arg(&copy).status().expect("h5clear (installed with h5dump)");
            assert!(st.success(), "h5clear -s failed");
            copy
        } else {
            path.to_path_buf()
        };
        let exc = file.population("exc").unwrap();
        let out = Command::new("h5dump").args(["-d", "/populations/exc/spikes/neuron"]).arg(&target).output().unwrap();
        assert!(out.status.success(), "h5dump failed on {}: {}", target.display(), String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let dims = format!("SIMPLE {{ ( {} ) / ( H5S_UNLIMITED ) }}", exc.spike_neurons.len());
        assert!(text.contains(&dims), "h5dump shows no {dims}:\n{text}");
        checked += 1;
    }
    if checked == 0 {
        eprintln!("neither h5py nor h5dump is installed: {} checked with the in-crate reader only", path.display());
    }
}

#[test]
fn bad_calls_are_typed_errors() {
    let backend = Backend::Cpu;
    let mut sim = sim(backend, 0.1, 1).build().unwrap();
    let pops = network(&mut sim);
    // Creating in a missing directory names the file.
    let missing = tmp("no/such/dir/x.h5");
    let e = ResultWriter::create(&missing, &meta(&sim, 10.0), &sim, &pops).unwrap_err();
    assert!(matches!(e, OutputError::Hdf5 { .. }) && e.to_string().contains("x.h5"), "{e}");
    // A population listed twice.
    let e = ResultWriter::create(&tmp("dup.h5"), &meta(&sim, 10.0), &sim, &[pops[0], pops[0]]).unwrap_err();
    assert!(e.to_string().contains("listed twice"), "{e}");
    // Stats before anything was written, then for an unknown population.
    let path = tmp("errors.h5");
    let mut w = ResultWriter::create(&path, &meta(&sim, 10.0), &sim, &pops).unwrap();
    let st = spikeflow::stats::population_stats(1, &[], &[], 0.0, 1.0).unwrap();
    let e = w.write_stats(&[("exc".into(), st.clone())]).unwrap_err();
    assert!(e.to_string().contains("call append() at least once"), "{e}");
    sim.run(10.0).unwrap();
    w.append(&sim).unwrap();
    let e = w.write_stats(&[("nope".into(), st)]).unwrap_err();
    assert!(e.to_string().contains("write_stats 'nope': no such population"), "{e}");
    w.finish().unwrap();
    // A file that is not HDF5, and an HDF5 file without spikeflow's layout.
    let junk = tmp("junk.h5");
    std::fs::write(&junk, b"not an hdf5 file").unwrap();
    let e = ResultFile::open(&junk).unwrap_err();
    assert!(matches!(e, OutputError::Hdf5 { .. }) && e.to_string().contains("junk.h5"), "{e}");
    let other = tmp("other.h5");
    file_without_layout(&other);
    let e = ResultFile::open(&other).unwrap_err();
    assert!(matches!(e, OutputError::Format { .. }) && e.to_string().contains("spikeflow_layout"), "{e}");
}

/// A valid HDF5 file without spikeflow's layout: a writer closed before the simulation was
/// built writes nothing but the file.
fn file_without_layout(path: &Path) {
    let mut sim = sim(Backend::Cpu, 0.1, 1).build().unwrap();
    let pops = network(&mut sim);
    let w = ResultWriter::create(path, &meta(&sim, 10.0), &sim, &pops).unwrap();
    w.finish().unwrap();
}
