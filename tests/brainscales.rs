//! BrainScaleS-2 emulation (issue 6): HXNeuron ranges and errors, monotone tables, a
//! calibrated 512-neuron population measured from simulation on both back ends, seeds, strict
//! mode, and GPU/CPU agreement to the bit.

mod common;

use common::{gpu, BACKENDS};
use spikeflow::brainscales::{
    measure, CalibError, CalibHXNeuronCoba, CalibHXNeuronCuba, Chip, ChipCalibration, Session, SessionBuilder, SessionError, N_CIRCUITS,
};
use spikeflow::model::hx_neuron::HW;
use spikeflow::model::ModelError;
use spikeflow::prelude::*;
use spikeflow::{BuildError, Error, HxNeuron};

const SEED: u64 = 7;

fn session(backend: Backend, chip: Option<u64>) -> SessionBuilder {
    let b = Session::builder().backend(backend);
    let b = if backend == Backend::Gpu { b.gpu_context(gpu()) } else { b };
    match chip {
        Some(s) => b.chip(s),
        None => b,
    }
}

fn model_error(e: SessionError) -> ModelError {
    match e {
        SessionError::Sim(Error::Build(BuildError::Model { source, .. })) => source,
        other => panic!("expected a model error, got {other}"),
    }
}

#[test]
fn every_parameter_range_is_enforced_with_its_name() {
    for (spec, _) in HW {
        let mut s = Session::builder().build().unwrap();
        let mut cell: CellType = HxNeuron::default().into();
        // Set one parameter out of range through serde (the PyNN-style dictionary).
        let mut json = serde_json::to_value(&cell).unwrap();
        let bad = if spec.unit == "bool" { 2.0 } else { 1023.5 };
        json[spec.name] = serde_json::json!(bad);
        cell = serde_json::from_value(json).unwrap();
        let CellType::HxNeuron(cell) = cell else { unreachable!() };
        let err = model_error(s.create(Population::new(2, *cell)).unwrap_err());
        let msg = err.to_string();
        assert!(msg.contains(spec.name), "{msg}");
        assert!(msg.contains("0 or 1") || msg.contains("whole number in 0–"), "{msg}");
    }
    // Ranges: 1022 is allowed for CapMem, 1023 not; 63/64 for the capacitance; 255/256 for the counter.
    for (name, ok, bad) in [
        ("leak_i_bias", 1022.0, 1023.0),
        ("membrane_capacitance_capacitance", 63.0, 64.0),
        ("refractory_period_refractory_time", 255.0, 256.0),
    ] {
        let mut json = serde_json::to_value(CellType::from(HxNeuron::default())).unwrap();
        json[name] = serde_json::json!(ok);
        let cell: CellType = serde_json::from_value(json.clone()).unwrap();
        Session::builder().build().unwrap().create(Population::new(1, cell)).unwrap();
        json[name] = serde_json::json!(bad);
        let cell: CellType = serde_json::from_value(json).unwrap();
        let err = Session::builder().build().unwrap().create(Population::new(1, cell)).unwrap_err();
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn exponential_needs_the_threshold_and_a_bounded_argument() {
    let cell = HxNeuron { exponential_enable: 1.0.into(), threshold_enable: 0.0.into(), ..HxNeuron::default() };
    let err = model_error(Session::builder().build().unwrap().create(Population::new(1, cell)).unwrap_err());
    assert!(err.to_string().contains("exponential_enable") && err.to_string().contains("threshold_enable"), "{err}");
    let cell =
        HxNeuron { exponential_enable: 1.0.into(), exponential_i_bias: 0.0.into(), exponential_v_exp: 0.0.into(), ..HxNeuron::default() };
    let err = model_error(Session::builder().build().unwrap().create(Population::new(1, cell)).unwrap_err());
    assert!(err.to_string().contains("exponential_i_bias"), "{err}");
}

#[test]
fn tables_are_monotone_and_saved_calibrations_load() {
    let cal = ChipCalibration::measure(&Chip::new(SEED));
    cal.check().unwrap();
    assert_eq!(cal.neurons.len(), N_CIRCUITS);
    for n in &cal.neurons {
        for t in n.tables() {
            assert_ne!(t.direction(), 0, "{} not monotone", t.quantity);
            // Interpolation hits the grid points and inversion undoes it.
            for j in [0, t.hw.len() / 2, t.hw.len() - 1] {
                assert!((t.eval(t.hw[j]) - t.value[j]).abs() <= 1e-9 * t.value[j].abs().max(1.0));
            }
            let mid = 0.5 * (t.hw[1] + t.hw[2]);
            let x = t.invert(t.eval(mid)).unwrap();
            assert!((x - mid).abs() < 1e-6, "{}: {x} vs {mid}", t.quantity);
        }
    }
    let path = std::env::temp_dir().join("spikeflow_hx_calibration.json");
    cal.save(&path).unwrap();
    assert_eq!(ChipCalibration::load(&path).unwrap(), cal);
    // A non-monotone table is refused on load.
    let mut bad = cal.clone();
    bad.neurons[3].v_leak.value[2] = bad.neurons[3].v_leak.value[1];
    bad.save(&path).unwrap();
    let err = ChipCalibration::load(&path).unwrap_err();
    assert!(err.to_string().contains("neuron 3") && err.to_string().contains("v_leak"), "{err}");
}

#[test]
fn same_seed_same_chip_and_calibration_other_seed_differs() {
    let a = CalibHXNeuronCuba::default().calibrate(&ChipCalibration::measure(&Chip::new(SEED)), 0..N_CIRCUITS).unwrap();
    let b = CalibHXNeuronCuba::default().calibrate(&ChipCalibration::measure(&Chip::new(SEED)), 0..N_CIRCUITS).unwrap();
    let c = CalibHXNeuronCuba::default().calibrate(&ChipCalibration::measure(&Chip::new(SEED + 1)), 0..N_CIRCUITS).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.cell, c.cell);
}

#[test]
fn out_of_reach_targets_name_neuron_and_parameter() {
    let cal = ChipCalibration::measure(&Chip::new(SEED));
    let t = CalibHXNeuronCuba { v_leak: 400.0, ..Default::default() };
    match t.calibrate(&cal, 0..4).unwrap_err() {
        CalibError::OutOfReach { neuron: 0, parameter: "v_leak", .. } => {}
        other => panic!("{other}"),
    }
    let t = CalibHXNeuronCuba { tau_refrac: 0.001, ..Default::default() };
    let err = t.calibrate(&cal, 10..12).unwrap_err();
    assert!(err.to_string().contains("neuron 10") && err.to_string().contains("tau_refrac"), "{err}");
    let t = CalibHXNeuronCuba { tau_m: 1e6, ..Default::default() };
    assert!(t.calibrate(&cal, 0..1).unwrap_err().to_string().contains("tau_m"));
    // COBA reaches its reversal potentials.
    let coba = CalibHXNeuronCoba::default().calibrate(&cal, 0..N_CIRCUITS).unwrap();
    for a in &coba.achieved {
        assert!((a.e_rev[0] - 250.0).abs() < 1.0 && (a.e_rev[1] - 30.0).abs() < 1.0, "{a:?}");
    }
}

/// The acceptance test: every one of 512 calibrated neurons, measured from
/// simulation, within 2 % of tau_m, v_leak, v_thresh and tau_refrac; the uncalibrated
/// population (the ideal chip's values on every circuit) shows the mismatch; GPU = CPU.
#[test]
fn calibrated_population_hits_targets_measured_from_simulation() {
    let target = CalibHXNeuronCuba::default();
    let targets = [target.v_leak, target.tau_m, target.v_thresh, target.tau_refrac];
    let cal = ChipCalibration::measure(&Chip::new(SEED));
    let calibrated = target.calibrate(&cal, 0..N_CIRCUITS).unwrap();
    let mut uncalibrated = target.calibrate(&ChipCalibration::measure(&Chip::ideal()), 0..N_CIRCUITS).unwrap().cell;
    uncalibrated.placement.chip_seed = Some(SEED);
    let mut results = Vec::new();
    for backend in BACKENDS {
        let after = measure(&calibrated.cell, N_CIRCUITS, || session(backend, Some(SEED)), target.tau_m).unwrap();
        let worst = after.worst_relative_error(targets);
        assert!(worst.iter().all(|&w| w < 0.02), "{backend}: calibrated worst errors {worst:?}");
        let before = measure(&uncalibrated, N_CIRCUITS, || session(backend, Some(SEED)), target.tau_m).unwrap();
        let worst_before = before.worst_relative_error(targets);
        assert!(worst_before.iter().all(|&w| w > 0.04), "{backend}: uncalibrated worst errors {worst_before:?}");
        // The simulation reproduces what the tables promise.
        for (i, a) in calibrated.achieved.iter().enumerate() {
            assert!((after.tau_m[i] / a.tau_m - 1.0).abs() < 0.005, "neuron {i}: {} vs {}", after.tau_m[i], a.tau_m);
            assert!((after.v_leak[i] - a.v_leak).abs() < 0.05, "neuron {i}: {} vs {}", after.v_leak[i], a.v_leak);
        }
        results.push((after, before));
    }
    assert_eq!(results[0], results[1], "CPU and GPU measured different values");
}

fn intro(backend: Backend, chip: Option<u64>) -> (Vec<f64>, Vec<f32>, Vec<u8>) {
    let mut s = session(backend, chip).strict(true).build().unwrap();
    let neuron =
        HxNeuron { leak_v_leak: 400.0.into(), threshold_v_threshold: 400.0.into(), reset_v_reset: 300.0.into(), ..HxNeuron::default() };
    let pop = s.create(Population::new(1, neuron)).unwrap();
    s.record(pop, &["spikes", "v"]).unwrap();
    let src = s.create(Population::new(5, SpikeSourceArray::new(vec![0.01, 0.03, 0.05, 0.07, 0.09]))).unwrap();
    s.connect(Projection::new(src, pop, Connector::all_to_all(), StaticSynapse::with_weight(63.0))).unwrap();
    s.run(0.1).unwrap();
    let d = s.get_data(pop).unwrap();
    let v = d.traces.iter().find(|t| t.name == "v").unwrap();
    assert_eq!(d.spiketrains[0].times_bio.len(), d.spiketrains[0].times_hw.len());
    for (hw, bio) in d.spiketrains[0].times_hw.iter().zip(&d.spiketrains[0].times_bio) {
        assert!((hw * 1000.0 - bio).abs() < 1e-9);
    }
    assert!((s.time_hw() - 0.1).abs() < 1e-12);
    assert_eq!(v.times_hw.len(), 10_000, "0.1 ms hardware at 10 ns per sample");
    (d.spiketrains[0].times_hw.clone(), v.values.clone(), v.lsb.clone())
}

#[test]
fn intro_experiment_runs_in_hardware_time_and_backends_agree_bit_for_bit() {
    let cpu = intro(Backend::Cpu, Some(SEED));
    let gpu = intro(Backend::Gpu, Some(SEED));
    assert_eq!(cpu.0, gpu.0);
    assert_eq!(cpu.1.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), gpu.1.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    // Spikes only after inputs (first volley at 0.01 ms), v in LSB saturates within 8 bits.
    assert!(!cpu.0.is_empty() && cpu.0[0] > 0.01);
    assert_eq!(cpu.2.len(), cpu.1.len());
    // The LSB reading is the documented map of the mV trace.
    for (&mv, &lsb) in cpu.1.iter().zip(&cpu.2) {
        assert_eq!(lsb, spikeflow::brainscales::cadc::read(f64::from(mv)));
    }
}

#[test]
fn coba_adaptation_and_exponential_agree_across_backends() {
    let mut runs = Vec::new();
    for backend in BACKENDS {
        let mut s = session(backend, Some(SEED)).build().unwrap();
        let cell = HxNeuron {
            excitatory_input_enable_coba_mode: 1.0.into(),
            inhibitory_input_enable_coba_mode: Param::Array(vec![0.0, 1.0, 0.0, 1.0]),
            exponential_enable: 1.0.into(),
            exponential_v_exp: 380.0.into(),
            adaptation_enable: 1.0.into(),
            constant_current_enable: 1.0.into(),
            constant_current_i_offset: 300.0.into(),
            ..HxNeuron::default()
        };
        let pop = s.create(Population::new(4, cell)).unwrap();
        let src = s.create(Population::new(3, SpikeSourcePoisson { rate: 20_000.0.into(), ..Default::default() })).unwrap();
        s.connect(Projection::new(src, pop, Connector::all_to_all(), StaticSynapse::with_weight(40.0))).unwrap();
        s.connect(Projection::new(src, pop, Connector::all_to_all(), StaticSynapse::with_weight(20.0)).receptor(Receptor::Inhibitory))
            .unwrap();
        s.record(pop, &["spikes", "v", "adaptation", "exc_synin"]).unwrap();
        s.run(0.05).unwrap();
        let d = s.get_data(pop).unwrap();
        let spikes: usize = d.spiketrains.iter().map(|t| t.times_hw.len()).sum();
        assert!(spikes > 0, "{backend}: no spikes");
        let w = d.traces.iter().find(|t| t.name == "adaptation").unwrap();
        assert!(w.values.iter().any(|&x| x > 0.0), "adaptation never grew");
        runs.push(d.traces.iter().flat_map(|t| t.values.iter().map(|x| x.to_bits())).collect::<Vec<_>>());
    }
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn strict_mode_enforces_the_chips_limits() {
    let mut s = Session::builder().strict(true).build().unwrap();
    let a = s.create(Population::new(500, HxNeuron::default())).unwrap();
    let err = s.create(Population::new(13, HxNeuron::default())).unwrap_err();
    assert!(matches!(err, SessionError::Strict { .. }) && err.to_string().contains("512"), "{err}");
    let b = s.create(Population::new(12, HxNeuron::default())).unwrap();
    let src = s.create(Population::new(2, SpikeSourceArray::new(vec![0.01]))).unwrap();
    for w in [64.0, 2.5, -1.0] {
        let err = s.connect(Projection::new(src, a, Connector::all_to_all(), StaticSynapse::with_weight(w))).unwrap_err();
        assert!(err.to_string().contains("6-bit") && err.to_string().contains("weight"), "{err}");
    }
    s.connect(Projection::new(src, a, Connector::all_to_all(), StaticSynapse::with_weight(63.0)).receptor(Receptor::Inhibitory)).unwrap();
    // One even and one odd membrane.
    s.record(a.view(0..1), &["v"]).unwrap();
    s.record(b.view(1..2), &["v"]).unwrap(); // circuit 501: odd
    let err = s.record(a.view(2..3), &["v"]).unwrap_err();
    assert!(err.to_string().contains("even") && err.to_string().contains("odd"), "{err}");
    s.record(a, &["spikes"]).unwrap();
    // Non-HX cell types are refused in any mode.
    let err = Session::builder().build().unwrap().create(Population::new(1, IfCurrExp::default())).unwrap_err();
    assert!(err.to_string().contains("IF_curr_exp"), "{err}");
    // Without strict mode a 513th neuron reuses circuit 0.
    let mut s = Session::builder().build().unwrap();
    s.create(Population::new(513, HxNeuron::default())).unwrap();
}

#[test]
fn a_calibrated_cell_must_sit_on_its_circuits() {
    let cal = ChipCalibration::measure(&Chip::new(SEED));
    let c = CalibHXNeuronCuba::default().calibrate(&cal, 0..4).unwrap();
    let mut s = Session::builder().chip(SEED + 1).build().unwrap();
    let err = s.create(Population::new(4, c.cell.clone())).unwrap_err();
    assert!(err.to_string().contains("placement"), "{err}");
    let mut s = Session::builder().chip(SEED).build().unwrap();
    s.create(Population::new(4, c.cell)).unwrap();
}
