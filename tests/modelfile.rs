//! Model files: parsing, expressions and units, `--set`, errors with field paths, every
//! example of docs/examples and every zoo model (rates at a small scale), on both back ends.

mod common;

use common::{gpu, BACKENDS};
use spikeflow::modelfile::{self, BuildOptions, ModelFile, ModelFileError};
use spikeflow::Backend;

fn opts(backend: Backend) -> BuildOptions {
    BuildOptions { backend: Some(backend), gpu: (backend == Backend::Gpu).then(gpu), ..Default::default() }
}

const SMALL: &str = r#"
[parameters]
scale = 1.0
n = "100 * scale"

[simulation]
dt = 0.1
duration = "50 ms"
seed = 3

[[populations]]
label = "cells"
size = "n"
cell_type = "IF_curr_exp"
parameters = { tau_m = "20 ms", i_offset = "1.2 nA", v_thresh = -50.0, tau_refrac = 2.0 }

[[populations]]
label = "input"
size = 10
cell_type = "SpikeSourcePoisson"
parameters = { rate = "50 Hz" }

[[projections]]
pre = "input"
post = "cells"
connector = { type = "FixedProbability", p_connect = 0.5 }
synapse = { weight = "100 pA", delay = { distribution = "uniform", low = "0.5 ms", high = "2 ms" } }

[[recording]]
population = "cells"
variables = ["spikes", "v"]
sampling_interval = 1.0
"#;

fn err(text: &str) -> String {
    match ModelFile::from_toml_str(text, "test.toml") {
        Ok(m) => match m.build(Some(Backend::Cpu), None) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    }
}

#[test]
fn small_model_builds_and_runs_on_both_backends_alike() {
    let model = ModelFile::from_toml_str(SMALL, "small.toml").unwrap();
    assert_eq!(model.simulation().duration, 50.0);
    let mut counts = Vec::new();
    for backend in BACKENDS {
        let (mut sim, inst) = model.build_with(opts(backend)).unwrap();
        assert_eq!(inst.population("cells").unwrap().size(), 100);
        sim.run(model.simulation().duration).unwrap();
        let seg = sim.get_data(inst.population("cells").unwrap()).unwrap();
        assert!(seg.spike_count() > 100, "1.2 nA drives every cell ({} spikes)", seg.spike_count());
        assert_eq!(seg.signal("v").unwrap().times().len(), 50);
        counts.push(seg.spiketrains.iter().map(|s| s.times.clone()).collect::<Vec<_>>());
    }
    assert_eq!(counts[0], counts[1], "CPU and GPU spike times differ");
}

#[test]
fn set_changes_parameters_sizes_and_settings() {
    let mut model = ModelFile::from_toml_str(SMALL, "small.toml").unwrap();
    model.set("scale=0.5").unwrap();
    model.set("simulation.duration=20").unwrap();
    model.set("cells.i_offset=0.0").unwrap();
    model.set("input->cells.weight=0.0").unwrap();
    model.set("input->cells.p_connect=0.1").unwrap();
    assert_eq!(model.simulation().duration, 20.0);
    let (mut sim, inst) = model.build(Some(Backend::Cpu), None).unwrap();
    let cells = inst.population("cells").unwrap();
    assert_eq!(cells.size(), 50);
    sim.run(20.0).unwrap();
    assert_eq!(sim.get_data(cells).unwrap().spike_count(), 0, "no current and no weight: silent");
    assert_eq!(model.assignments().len(), 5);
    let e = model.set("scael=0.1").unwrap_err().to_string();
    assert!(e.contains("no parameter 'scael'") && e.contains("scale"), "{e}");
    let e = model.set("cells.tau_mm=3").unwrap_err().to_string();
    assert!(e.contains("populations[0].parameters.tau_mm") && e.contains("did you mean tau_m?"), "{e}");
    let e = model.set("nobody.x=3").unwrap_err().to_string();
    assert!(e.contains("no population or projection is labelled 'nobody'"), "{e}");
    // A failed set changes nothing.
    assert_eq!(model.assignments().len(), 5);
}

#[test]
fn errors_name_the_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "cell_type = \"IF_curr_exp\"",
            "cell_type = \"IF_cur_exp\"",
            "populations[0].cell_type: unknown cell type 'IF_cur_exp' (did you mean IF_curr_exp?)",
        ),
        ("p_connect = 0.5", "p_connect = 1.5", "projections[0].connector.p_connect: must be in [0, 1]"),
        ("p_connect = 0.5", "p_connct = 0.5", "projections[0].connector"),
        (
            "tau_m = \"20 ms\"",
            "tau_m = \"20 nS\"",
            "populations[0].parameters.tau_m: the unit 'nS' does not fit: this field is a time in ms",
        ),
        ("tau_m = \"20 ms\"", "tau_m = -20.0", "populations[0].parameters.tau_m: must be > 0"),
        ("pre = \"input\"", "pre = \"inptu\"", "projections[0].pre: no population is labelled 'inptu' (did you mean input?)"),
        ("sampling_interval = 1.0", "sampling_interval = 1.0\nneurons = 3", "recording[0].neurons: unknown field `neurons`"),
        (
            "variables = [\"spikes\", \"v\"]",
            "variables = [\"spikes\", \"vv\"]",
            "recording[0].variables[1]: population 'cells' cannot record 'vv' (did you mean v?)",
        ),
        ("size = \"n\"", "size = \"n * 1.5 + 0.5\"", "populations[0].size: must be a whole number"),
        ("size = \"n\"", "size = \"m\"", "populations[0].size: unknown name 'm'"),
        (
            "weight = \"100 pA\"",
            "weight = \"-100 pA\"",
            "projections[0].synapse.weight: excitatory weights onto current-based IF_curr_exp must be ≥ 0",
        ),
        ("duration = \"50 ms\"", "duration = \"50 mV\"", "simulation.duration: the unit 'mV' does not fit"),
        ("seed = 3", "seed = 3\nbackend = \"tpu\"", "simulation.backend: unknown backend 'tpu'"),
        ("dt = 0.1", "dt = 0.1\nstep = 2", "simulation.step: unknown field `step`"),
        ("label = \"input\"", "label = \"cells\"", "populations[1].label: 'cells' is used twice"),
        ("delay = { distribution = \"uniform\"", "delay = { distribution = \"unifrom\"", "projections[0].synapse.delay"),
    ];
    for (from, to, want) in cases {
        assert!(SMALL.contains(from), "{from}");
        let got = err(&SMALL.replacen(from, to, 1));
        assert!(got.contains(want), "{to}\n got: {got}\nwant: {want}");
    }
    let e = ModelFile::from_toml_str("[simulation\n", "bad.toml").unwrap_err();
    assert!(matches!(e, ModelFileError::Syntax { .. }), "{e}");
    let e = modelfile::load("zoo:nope").unwrap_err().to_string();
    assert!(e.contains("unknown zoo model 'nope'") && e.contains("coba"), "{e}");
    let e = modelfile::load("/nonexistent/model.toml").unwrap_err().to_string();
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn json_is_accepted_with_the_same_layout() {
    let value: toml::Value = toml::from_str(SMALL).unwrap();
    let json = serde_json::to_string(&value).unwrap();
    let model = ModelFile::from_json_str(&json, "small.json").unwrap();
    let (_, inst) = model.build(Some(Backend::Cpu), None).unwrap();
    assert_eq!(inst.populations.len(), 2);
    let e = ModelFile::from_json_str(&json.replace("\"p_connect\"", "\"p\""), "small.json").unwrap_err().to_string();
    assert!(e.contains("projections[0].connector"), "{e}");
}
