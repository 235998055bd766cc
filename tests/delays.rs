//! Synaptic delays: a spike emitted at time T reaches its target exactly `delay` later.
//!
//! Convention (derived from the model, not from a run): a SpikeSourceArray spike at T is emitted
//! by the step that ends at T; its input is added to the target's synaptic current at the start
//! of the step that starts at T + delay (step a = (T + delay)/dt). The recorded sample k is the
//! state at t = k·dt before step k, and with exact integration a current switched on at t_a
//! leaves v(t_a) unchanged and moves v(t_a + dt) by P21E·w. So v follows its undisturbed
//! trajectory (bit for bit, since the arithmetic is the same) up to and including sample a, and
//! sample a + 1 differs from it by w·τs·τm/(cm(τm−τs))·(exp(−dt/τm) − exp(−dt/τs)).

mod common;
use common::*;
use spikeflow::prelude::*;

/// Index of the first sample where `trace` differs from `control`.
fn first_departure(trace: &[f32], control: &[f32]) -> Option<usize> {
    trace.iter().zip(control).position(|(a, b)| a.to_bits() != b.to_bits())
}

/// The jump of v one step after a current of `w` nA starts decaying with tau_syn (exact solution).
fn first_step_jump(w: f64, dt: f64, tau_m: f64, tau_s: f64, cm: f64) -> f64 {
    w * tau_s * tau_m / (cm * (tau_m - tau_s)) * ((-dt / tau_m).exp() - (-dt / tau_s).exp())
}

/// Steps of `t` ms at `dt`, checked to be on the grid.
fn steps(t: f64, dt: f64) -> usize {
    let s = (t / dt).round();
    assert!((t / dt - s).abs() < 1e-9, "{t} is not on the dt = {dt} grid");
    s as usize
}

fn cell() -> IfCurrExp {
    // i_offset gives a non-trivial undisturbed trajectory (v rises towards -55 mV, below threshold).
    IfCurrExp { i_offset: 0.5.into(), tau_m: 20.0.into(), tau_syn_e: 5.0.into(), cm: 1.0.into(), ..Default::default() }
}

#[test]
fn a_spike_arrives_exactly_delay_later() {
    let cases: [(f64, f64, &[f64]); 2] = [(0.1, 2.0, &[0.1, 0.5, 1.3, 7.0]), (0.25, 2.5, &[0.25, 0.5, 1.75, 7.0, 12.5])];
    let w = 1.0;
    for backend in BACKENDS {
        for (dt, t0, delays) in cases {
            let k = delays.len();
            let mut sim = sim(backend, dt, 2).build().unwrap();
            let src = sim.create(Population::new(k, SpikeSourceArray::new(vec![t0]))).unwrap();
            // Neuron k gets no input: the undisturbed trajectory.
            let dst = sim.create(Population::new(k + 1, cell())).unwrap();
            sim.connect(Projection::new(src, dst.slice(0..k), Connector::OneToOne, StaticSynapse::new(w, Param::Array(delays.to_vec()))))
                .unwrap();
            sim.record(dst, &["v", "spikes"]).unwrap();
            sim.record(src, &["spikes"]).unwrap();
            sim.run(25.0).unwrap();
            let src_data = sim.get_data(src).unwrap();
            assert!(src_data.spiketrains.iter().all(|s| s.times.len() == 1 && (s.times[0] - t0).abs() < 1e-9));
            let seg = sim.get_data(dst).unwrap();
            assert_eq!(seg.spike_count(), 0, "{backend}: the test neurons must stay sub-threshold");
            let v = seg.signal("v").unwrap();
            let control = v.trace(k).unwrap();
            for (i, &d) in delays.iter().enumerate() {
                let arrival = steps(t0 + d, dt);
                let first = first_departure(v.trace(i).unwrap(), control);
                assert_eq!(
                    first,
                    Some(arrival + 1),
                    "{backend} dt={dt}: delay {d} ms: v departs at sample {first:?}, input due at step {arrival}"
                );
                let jump = f64::from(v.trace(i).unwrap()[arrival + 1]) - f64::from(control[arrival + 1]);
                let expected = first_step_jump(w, dt, 20.0, 5.0, 1.0);
                assert!((jump - expected).abs() < 1e-4, "{backend} dt={dt}: delay {d}: first jump {jump} vs {expected}");
                assert!((v.times()[arrival] - (t0 + d)).abs() < 1e-9);
            }
        }
    }
}

#[test]
fn a_chain_of_two_delays() {
    let (dt, t0, d1, d2) = (0.1, 1.0, 1.5, 2.3);
    for backend in BACKENDS {
        let mut sim = sim(backend, dt, 3).build().unwrap();
        let src = sim.create(Population::new(1, SpikeSourceArray::new(vec![t0])).label("src")).unwrap();
        let a = sim.create(Population::new(1, IfCurrExp::default()).label("a")).unwrap();
        // b: neuron 0 receives a's spike, neuron 1 is the undisturbed control.
        let b = sim.create(Population::new(2, cell()).label("b")).unwrap();
        sim.connect(Projection::new(src, a, Connector::all_to_all(), StaticSynapse::new(100.0, d1))).unwrap();
        sim.connect(Projection::new(a, b.view([0]), Connector::all_to_all(), StaticSynapse::new(0.5, d2))).unwrap();
        sim.record(a, &["spikes", "v"]).unwrap();
        sim.record(b, &["spikes", "v"]).unwrap();
        sim.run(15.0).unwrap();

        let a_data = sim.get_data(a).unwrap();
        let a_spikes = &a_data.spiketrains[0].times;
        assert!(!a_spikes.is_empty(), "{backend}: a strong input must make neuron a spike");
        let ta = a_spikes[0];
        // Causality: a's v departs from rest at the sample after the input's arrival step, and a
        // cannot spike before that.
        let a_v = a_data.signal("v").unwrap().trace(0).unwrap().to_vec();
        let a_arrival = steps(t0 + d1, dt);
        assert!(a_v[..=a_arrival].iter().all(|&x| x == -65.0), "{backend}: a moved before its input arrived");
        assert_ne!(a_v[a_arrival + 1], -65.0);
        assert!(ta > t0 + d1 + dt / 2.0, "{backend}: a spiked at {ta}, before its input at {}", t0 + d1);
        assert!(ta < t0 + d1 + 2.0, "{backend}: a spiked late ({ta}): the weight should make it fire at once");

        let b_data = sim.get_data(b).unwrap();
        let v = b_data.signal("v").unwrap();
        let first = first_departure(v.trace(0).unwrap(), v.trace(1).unwrap());
        let arrival = steps(ta + d2, dt);
        assert_eq!(first, Some(arrival + 1), "{backend}: b departs at {first:?}, a spiked at {ta}, d2 = {d2}");
    }
}

#[test]
fn heterogeneous_random_delays_match_the_connections() {
    let (dt, t0) = (0.1, 1.0);
    for backend in BACKENDS {
        let mut sim = sim(backend, dt, 4).build().unwrap();
        let src = sim.create(Population::new(1, SpikeSourceArray::new(vec![t0]))).unwrap();
        let n = 200;
        let dst = sim.create(Population::new(n + 1, cell())).unwrap();
        let delay = RandomDistribution::uniform(0.1, 5.0);
        let proj = sim.connect(Projection::new(src, dst.slice(0..n), Connector::all_to_all(), StaticSynapse::new(0.3, delay))).unwrap();
        sim.record(dst, &["v"]).unwrap();
        sim.run(8.0).unwrap();
        let syn = sim.connections(proj).unwrap();
        assert_eq!(syn.len(), n);
        let distinct: std::collections::BTreeSet<usize> = syn.iter().map(|s| steps(s.delay, dt)).collect();
        assert!(distinct.len() > 30, "{backend}: only {} distinct delays", distinct.len());
        let seg = sim.get_data(dst).unwrap();
        let v = seg.signal("v").unwrap();
        let control = v.trace(n).unwrap();
        for s in &syn {
            let arrival = steps(t0 + s.delay, dt);
            let first = first_departure(v.trace(s.post as usize).unwrap(), control);
            assert_eq!(first, Some(arrival + 1), "{backend}: neuron {} with delay {} ms", s.post, s.delay);
        }
    }
}

#[test]
fn delays_are_the_same_on_both_back_ends() {
    // Multiple spikes through a recurrent network with random delays: identical traces.
    let run = |backend: Backend| {
        let mut sim = sim(backend, 0.1, 9).build().unwrap();
        let src = sim
            .create(Population::new(20, SpikeSourceArray::per_neuron((0..20).map(|i| vec![1.0 + 0.3 * i as f64, 9.0]).collect())))
            .unwrap();
        let pop = sim.create(Population::new(100, IfCurrExp { i_offset: 0.6.into(), ..Default::default() })).unwrap();
        let d = || Param::from(RandomDistribution::uniform(0.1, 6.0));
        sim.connect(Projection::new(src, pop, Connector::fixed_probability(0.3), StaticSynapse::new(3.0, d()))).unwrap();
        sim.connect(Projection::new(pop, pop, Connector::fixed_probability(0.1), StaticSynapse::new(1.0, d()))).unwrap();
        sim.record(pop, &["v", "spikes"]).unwrap();
        sim.run(30.0).unwrap();
        let seg = sim.get_data(pop).unwrap();
        let v = seg.signal("v").unwrap().data.clone();
        (seg.spiketrains, v)
    };
    let (cpu_s, cpu_v) = run(Backend::Cpu);
    let (gpu_s, gpu_v) = run(Backend::Gpu);
    assert!(cpu_s.iter().map(|s| s.times.len()).sum::<usize>() > 20, "too few spikes to compare");
    assert_eq!(cpu_s, gpu_s);
    assert_eq!(cpu_v, gpu_v);
}
