//! The `spikeflow` program end to end: `run` writes a result file that reads back with the
//! populations and spikes of the model (on both back ends, which agree), `stats` and `plot`
//! read it, `scan` prints one row per variant, `zoo` lists the zoo, and bad input exits with
//! code 2 and one message naming the field.

use spikeflow::output::ResultFile;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn spikeflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spikeflow")).args(args).env("XDG_RUNTIME_DIR", std::env::temp_dir()).output().expect("runs")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spikeflow-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn run_tutorial(backend: &str) -> ResultFile {
    let dir = out_dir(backend);
    // The tutorial's 0.1 nA lifts v by 1 mV only; its later step, 1 nA, makes the cells fire.
    let args = ["run", "zoo:pynn_tutorial", "--set", "i_offset=1.0", "--backend", backend, "--seed", "3", "--out", dir.to_str().unwrap()];
    let o = spikeflow(&args);
    assert!(o.status.success(), "{}", text(&o));
    let s = text(&o);
    assert!(s.contains("results: ") && s.contains("raster: "), "{s}");
    let path = dir.join("pynn_tutorial.h5");
    assert!(dir.join("pynn_tutorial_raster.png").metadata().unwrap().len() > 10_000);
    let file = ResultFile::open(&path).unwrap();
    assert_eq!(file.meta.seed, 3);
    assert_eq!(file.meta.backend, backend);
    assert!(file.meta.model_text.contains("[[populations]]"), "the model text is kept");

    // stats and plot read the file.
    let o = spikeflow(&["stats", path.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    for p in &file.populations {
        assert!(text(&o).contains(&p.label), "{}", text(&o));
    }
    let o = spikeflow(&["plot", path.to_str().unwrap(), "--format", "svg"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(std::fs::read_to_string(dir.join("pynn_tutorial_raster.svg")).unwrap().contains("<circle"));
    let _ = std::fs::remove_dir_all(&dir);
    file
}

#[test]
fn run_writes_results_that_read_back_the_same_on_both_back_ends() {
    let cpu = run_tutorial("cpu");
    let gpu = run_tutorial("gpu");
    assert!(!cpu.populations.is_empty());
    let spikes: usize = cpu.populations.iter().map(|p| p.spike_times_ms.len()).sum();
    assert!(spikes > 0, "the tutorial's network spikes");
    for (c, g) in cpu.populations.iter().zip(&gpu.populations) {
        assert_eq!(c.label, g.label);
        assert_eq!(c.spike_neurons, g.spike_neurons, "{}", c.label);
        assert_eq!(c.spike_times_ms, g.spike_times_ms, "{}", c.label);
        for (a, b) in c.signals.iter().zip(&g.signals) {
            assert_eq!(a.data, b.data, "{}.{}", c.label, a.variable);
        }
    }
}

#[test]
fn bad_input_exits_with_code_2_and_names_the_field() {
    let cases: [(&[&str], &str); 6] = [
        (&["run", "zoo:no_such_model"], "unknown zoo model"),
        (&["run", "zoo:coba", "--csr-assembly", "somewhere"], "somewhere"),
        (&["run", "zoo:coba", "--set", "exc.tau_m=-3", "--duration", "10", "--backend", "cpu"], "tau_m"),
        (&["run", "zoo:coba", "--set", "nobody.tau_m=3", "--backend", "cpu"], "nobody"),
        (&["run", "/no/such/file.toml"], "/no/such/file.toml"),
        (&["run", "zoo:coba", "--duration", "banana"], "banana"),
    ];
    for (args, needle) in cases {
        let o = spikeflow(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("panicked") && !text(&o).contains("RUST_BACKTRACE"), "{}", text(&o));
    }
}

#[test]
fn csr_assembly_on_the_command_line_gives_the_same_results() {
    // The striatum model (FixedNumberPre and FixedProbability) with its CSR assembled by the
    // construct kernel and by the host, on the GPU back end: the same spikes.
    let files: Vec<ResultFile> = ["kernel", "host"]
        .iter()
        .map(|how| {
            let dir = out_dir(&format!("assembly_{how}"));
            let args = [
                "run",
                "zoo:striatum",
                "--duration",
                "200",
                "--backend",
                "gpu",
                "--csr-assembly",
                how,
                "--no-plot",
                "--out",
                dir.to_str().unwrap(),
            ];
            let o = spikeflow(&args);
            assert!(o.status.success(), "{how}: {}", text(&o));
            assert_eq!(text(&o).contains("CSR by the construct kernel"), *how == "kernel", "{how}: {}", text(&o));
            let file = ResultFile::open(&dir.join("striatum.h5")).unwrap();
            let _ = std::fs::remove_dir_all(&dir);
            file
        })
        .collect();
    let spikes: usize = files[0].populations.iter().map(|p| p.spike_times_ms.len()).sum();
    assert!(spikes > 100, "{spikes} spikes");
    for (k, h) in files[0].populations.iter().zip(&files[1].populations) {
        assert_eq!(k.spike_neurons, h.spike_neurons, "{}", k.label);
        assert_eq!(k.spike_times_ms, h.spike_times_ms, "{}", k.label);
    }
}

#[test]
fn scan_prints_one_row_per_variant_and_zoo_lists_every_model() {
    let o = spikeflow(&["scan", "zoo:pynn_tutorial", "--set", "simulation.dt=0.1,0.05", "--backend", "cpu"]);
    assert!(o.status.success(), "{}", text(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("simulation.dt=0.1") && s.contains("simulation.dt=0.05"), "{s}");

    let o = spikeflow(&["zoo"]);
    assert!(o.status.success());
    for (name, _) in spikeflow::modelfile::zoo::list() {
        assert!(String::from_utf8_lossy(&o.stdout).contains(name), "{name}");
    }
    assert!(Path::new(env!("CARGO_BIN_EXE_spikeflow")).exists());
}
