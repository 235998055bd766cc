//! PoissonInput (NEST's poisson_generator one-to-one, Brian2's PoissonInput), on both back ends:
//! * the mean synaptic conductance it produces is rate · weight · tau_syn (shot noise),
//!   for excitatory and inhibitory receptors, and nothing arrives outside [start, stop);
//! * the CPU and GPU back ends give the same traces bit for bit — also where the GPU draws the
//!   events inside kernel groups of several populations and models, for inputs on parts of
//!   populations, with recurrent synapses adding to the same inputs, in blocks of several steps;
//! * the count per step has the Poisson mean and variance;
//! * bad rates, weights and times are refused with the field named;
//! * weights set between runs leave room in the fixed-point input for the Poisson events.

mod common;
use common::*;
use spikeflow::abi::PoissonInputEntry;
use spikeflow::cpu::poisson_input::poisson_count;
use spikeflow::prelude::*;

/// 200 IF_cond_exp cells that never fire, Poisson input on both channels; the recorded
/// gsyn_exc and gsyn_inh (µS).
fn traces(backend: Backend) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
    let mut sim = sim(backend, 0.1, 5).build().unwrap();
    let cells = sim.create(Population::new(200, IfCondExp { v_thresh: 1000.0.into(), ..Default::default() })).unwrap();
    sim.add_poisson_input(PoissonInput::new(4000.0, 0.002).between(20.0, 400.0), cells).unwrap();
    sim.add_poisson_input(PoissonInput::new(1000.0, 0.01).receptor(Receptor::Inhibitory), cells.slice(50..150)).unwrap();
    sim.record(cells, &["gsyn_exc", "gsyn_inh"]).unwrap();
    sim.run(400.0).unwrap();
    let seg = sim.get_data(cells).unwrap();
    let get = |name: &str| seg.analogsignals.iter().find(|a| a.name == name).unwrap().data.clone();
    (get("gsyn_exc"), get("gsyn_inh"))
}

#[test]
fn mean_conductance_is_rate_times_weight_times_tau_and_back_ends_agree() {
    let (cpu_e, cpu_i) = traces(Backend::Cpu);
    let (gpu_e, gpu_i) = traces(Backend::Gpu);
    let bits = |t: &Vec<Vec<f32>>| t.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&cpu_e), bits(&gpu_e), "gsyn_exc differs between back ends");
    assert_eq!(bits(&cpu_i), bits(&gpu_i), "gsyn_inh differs between back ends");
    // Samples every 0.1 ms: before 20 ms nothing; from 100 ms on (after the 5 ms rise) the mean
    // is 4000 Hz · 0.002 µS · 5 ms = 0.04 µS.
    let mean = |t: &Vec<Vec<f32>>, neurons: std::ops::Range<usize>, from: usize, to: usize| {
        let v: Vec<f64> = neurons.flat_map(|n| t[n][from..to].iter().map(|&x| f64::from(x)).collect::<Vec<_>>()).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    assert!(cpu_e.iter().all(|row| row[..200].iter().all(|&g| g == 0.0)), "excitatory input before its start");
    let ge = mean(&cpu_e, 0..200, 1000, 4000);
    assert!((ge - 0.04).abs() < 0.04 * 0.02, "mean gsyn_exc {ge} µS, expected 0.04");
    // Inhibitory onto neurons 50..150 only: 1000 Hz · 0.01 µS · 5 ms = 0.05 µS.
    let gi = mean(&cpu_i, 50..150, 1000, 4000);
    assert!((gi - 0.05).abs() < 0.05 * 0.03, "mean gsyn_inh {gi} µS, expected 0.05");
    assert_eq!(mean(&cpu_i, 0..50, 0, 4000), 0.0, "inhibitory input outside its view");
}

/// Three kernel groups (two IF_curr_exp populations, an Izhikevich one, an IF_cond_exp one),
/// Poisson inputs on a slice of one population, across a whole one, on both channels, and a
/// recurrent projection (shortest delay 0.3 ms: blocks of 4 steps); every cell's v and spikes.
fn grouped_run(backend: Backend) -> (Vec<Vec<u32>>, Vec<Vec<f64>>) {
    let mut sim = sim(backend, 0.1, 9).build().unwrap();
    let a = sim.create(Population::new(40, IfCurrExp::default()).label("a")).unwrap();
    let b = sim.create(Population::new(33, IfCurrExp { tau_m: 15.0.into(), ..Default::default() }).label("b")).unwrap();
    let c = sim.create(Population::new(20, Izhikevich::default()).label("c")).unwrap();
    let d = sim.create(Population::new(25, IfCondExp::default()).label("d")).unwrap();
    sim.add_poisson_input(PoissonInput::new(8000.0, 0.09), a.slice(5..37)).unwrap();
    sim.add_poisson_input(PoissonInput::new(6000.0, 0.1).between(10.0, 150.0), b).unwrap();
    sim.add_poisson_input(PoissonInput::new(3000.0, -0.05).receptor(Receptor::Inhibitory), b.slice(0..20)).unwrap();
    sim.add_poisson_input(PoissonInput::new(2000.0, 0.004), c).unwrap();
    sim.add_poisson_input(PoissonInput::new(5000.0, 0.003), d).unwrap();
    sim.add_poisson_input(PoissonInput::new(1000.0, 0.002).receptor(Receptor::Inhibitory), d.slice(10..25)).unwrap();
    sim.connect(Projection::new(a, d, Connector::fixed_probability(0.3), StaticSynapse::new(0.002, 0.3))).unwrap();
    sim.connect(Projection::new(b, a, Connector::fixed_probability(0.2), StaticSynapse::new(0.2, 0.5))).unwrap();
    let mut spikes = Vec::new();
    let mut v = Vec::new();
    for p in [a, b, c, d] {
        sim.record(p, &["spikes", "v"]).unwrap();
    }
    sim.run(200.0).unwrap();
    for p in [a, b, c, d] {
        let seg = sim.get_data(p).unwrap();
        spikes.extend(seg.spiketrains.iter().map(|t| t.times.iter().map(|x| (x * 10.0).round() as u32).collect::<Vec<_>>()));
        v.extend(
            seg.analogsignals
                .iter()
                .find(|s| s.name == "v")
                .unwrap()
                .data
                .iter()
                .map(|row| row.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()),
        );
    }
    (spikes, v)
}

#[test]
fn inputs_drawn_inside_kernel_groups_match_the_cpu_bit_for_bit() {
    let (cpu_s, cpu_v) = grouped_run(Backend::Cpu);
    let (gpu_s, gpu_v) = grouped_run(Backend::Gpu);
    let total: usize = cpu_s.iter().map(Vec::len).sum();
    assert!(total > 200, "the inputs should drive the cells to fire ({total} spikes)");
    assert_eq!(cpu_s, gpu_s, "spikes differ between back ends");
    let bits = |t: &Vec<Vec<f64>>| t.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&cpu_v), bits(&gpu_v), "v differs between back ends");
    // Cells of `a` outside the input's slice (0..5, 37..40) receive only recurrent input from b.
    let mean = |cells: &[usize]| cells.iter().map(|&i| cpu_s[i].len()).sum::<usize>() as f64 / cells.len() as f64;
    let (inside, outside) = (mean(&(5..37).collect::<Vec<_>>()), mean(&[0, 1, 2, 3, 4, 37, 38, 39]));
    assert!(inside > 2.0 * outside + 1.0, "cells of a with Poisson input fire {inside} spikes, without {outside}");
}

#[test]
fn counts_have_the_poisson_mean_and_variance() {
    for lambda in [0.05f64, 1.6, 12.0] {
        let e = PoissonInputEntry {
            lambda: lambda as f32,
            p0: (-lambda).exp() as f32,
            k_max: spikeflow::network::poisson_input::k_max(lambda),
            ..Default::default()
        };
        let n = 200_000;
        let ks: Vec<f64> = (0..n)
            .map(|i| f64::from(poisson_count(spikeflow::random::u01_f32(spikeflow::random::philox4x32([i, 0, 0, 0], [3, 4])[0]), &e)))
            .collect();
        let m = ks.iter().sum::<f64>() / f64::from(n);
        let v = ks.iter().map(|k| (k - m).powi(2)).sum::<f64>() / f64::from(n);
        assert!((m - lambda).abs() < 5.0 * (lambda / f64::from(n)).sqrt(), "lambda {lambda}: mean {m}");
        assert!((v - lambda).abs() / lambda < 0.03, "lambda {lambda}: variance {v}");
    }
}

#[test]
fn bad_poisson_inputs_are_refused_with_the_field_named() {
    let mut sim = sim(Backend::Cpu, 0.1, 1).build().unwrap();
    let cells = sim.create(Population::new(10, IfCurrExp::default()).label("cells")).unwrap();
    let err = |r: Result<(), spikeflow::Error>| r.unwrap_err().to_string();
    let e = err(sim.add_poisson_input(PoissonInput::new(-1.0, 0.1), cells));
    assert!(e.contains("poisson input into 'cells'.rate") && e.contains("≥ 0"), "{e}");
    let e = err(sim.add_poisson_input(PoissonInput::new(400_000.0, 0.1), cells));
    assert!(e.contains(".rate") && e.contains("30 events per step"), "{e}");
    let e = err(sim.add_poisson_input(PoissonInput::new(100.0, 0.1).receptor(Receptor::Inhibitory), cells));
    assert!(e.contains(".weight") && e.contains("≤ 0"), "{e}");
    let e = err(sim.add_poisson_input(PoissonInput::new(100.0, 0.1).between(50.0, 10.0), cells));
    assert!(e.contains(".start") && e.contains("< stop"), "{e}");
    let src = sim.create(Population::new(5, SpikeSourcePoisson::default()).label("src")).unwrap();
    let e = err(sim.add_poisson_input(PoissonInput::new(100.0, 0.1), src));
    assert!(e.contains("no synapses"), "{e}");
}

#[test]
fn weights_set_later_leave_room_for_the_poisson_input() {
    // One cell: a PoissonInput of 1 nA events (at most k_max = 16 per step at 0.1 per step) and
    // one synapse of 0.001 nA. The fixed-point scale is 2^25, the Poisson input's reach 2^29:
    // a synaptic weight of 50 nA fits i32 alone (50·2^25 < 2^31) but not with the Poisson
    // input, so setting it must be refused.
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 1).build().unwrap();
        let src = sim.create(Population::new(1, SpikeSourceArray::new(vec![1.0]))).unwrap();
        let cell = sim.create(Population::new(1, IfCurrExp::default()).label("cell")).unwrap();
        sim.add_poisson_input(PoissonInput::new(1000.0, 1.0), cell).unwrap();
        let p = sim.connect(Projection::new(src, cell, Connector::all_to_all(), StaticSynapse::new(0.001, 1.0))).unwrap();
        sim.run(1.0).unwrap();
        sim.set_weights(p, 40.0).unwrap();
        let e = sim.set_weights(p, 50.0).unwrap_err().to_string();
        assert!(e.contains("cell") && e.contains("neuron 0"), "{backend}: {e}");
    }
}
