//! Recording and the run cycle, on both back ends:
//! * run(50) + run(50) equals run(100) (spikes and traces, bit for bit), also with chunk
//!   boundaries at odd places;
//! * recording a view records only its neurons;
//! * record_sampled: samples every interval with the right times and the every-step values;
//! * spike times are multiples of dt, stamped at the end of the step in which v crossed;
//! * `set` between runs (whole population and views), `set_spike_times` between runs;
//! * `reset()` reproduces the first run; initial values from a RandomDistribution.

mod common;
use common::*;
use spikeflow::prelude::*;
use spikeflow::Segment;

/// Poisson input into a recurrent excitatory/inhibitory network.
fn network(sim: &mut Simulation) -> (PopulationId, PopulationId) {
    let cell = IfCurrExp { tau_refrac: 2.0.into(), i_offset: 0.3.into(), ..Default::default() };
    let pop = sim.create(Population::new(300, cell).initial("v", RandomDistribution::uniform(-65.0, -52.0)).label("cells")).unwrap();
    let noise = sim.create(Population::new(100, SpikeSourcePoisson { rate: 40.0.into(), ..Default::default() }).label("noise")).unwrap();
    let d = || Param::from(RandomDistribution::uniform(0.1, 3.0));
    sim.connect(Projection::new(noise, pop, Connector::fixed_probability(0.1), StaticSynapse::new(1.5, d()))).unwrap();
    sim.connect(Projection::new(pop.slice(0..240), pop, Connector::fixed_probability(0.05), StaticSynapse::new(0.4, d()))).unwrap();
    sim.connect(
        Projection::new(pop.slice(240..300), pop, Connector::fixed_probability(0.1), StaticSynapse::new(-1.0, d()))
            .receptor(Receptor::Inhibitory),
    )
    .unwrap();
    sim.record(pop, &["spikes", "v", "isyn_inh"]).unwrap();
    sim.record(noise, &["spikes"]).unwrap();
    (pop, noise)
}

fn outcome(sim: &Simulation, pop: PopulationId, noise: PopulationId) -> (Segment, Segment) {
    (sim.get_data(pop).unwrap(), sim.get_data(noise).unwrap())
}

#[test]
fn split_runs_equal_one_run() {
    for backend in BACKENDS {
        let whole = {
            let mut sim = sim(backend, 0.1, 17).build().unwrap();
            let (p, n) = network(&mut sim);
            sim.run(100.0).unwrap();
            outcome(&sim, p, n)
        };
        assert!(whole.0.spike_count() > 100, "{backend}: too little activity ({})", whole.0.spike_count());
        assert_eq!(whole.0.signal("v").unwrap().data[0].len(), 1000);
        for (runs, per_submission) in [(vec![50.0, 50.0], 1000), (vec![33.3, 0.0, 66.7], 1000), (vec![50.0, 50.0], 137)] {
            let mut sim = sim(backend, 0.1, 17).steps_per_submission(per_submission).build().unwrap();
            let (p, n) = network(&mut sim);
            for r in &runs {
                sim.run(*r).unwrap();
            }
            assert!((sim.time() - 100.0).abs() < 1e-9);
            let split = outcome(&sim, p, n);
            assert_eq!(split.0.spiketrains, whole.0.spiketrains, "{backend} {runs:?}/{per_submission}: spikes differ");
            assert_eq!(split.1.spiketrains, whole.1.spiketrains, "{backend} {runs:?}/{per_submission}: Poisson spikes differ");
            assert_eq!(split.0.analogsignals, whole.0.analogsignals, "{backend} {runs:?}/{per_submission}: traces differ");
        }
    }
}

#[test]
fn recording_a_view_records_only_its_neurons() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 2).build().unwrap();
        let pop = sim.create(Population::new(40, IfCurrExp { i_offset: 2.0.into(), ..Default::default() })).unwrap();
        sim.record(pop.view([17, 3, 5]), &["spikes", "v"]).unwrap();
        sim.record(pop.slice(30..32), &["spikes"]).unwrap();
        sim.run(30.0).unwrap();
        let seg = sim.get_data(pop).unwrap();
        let spiking: Vec<usize> = seg.spiketrains.iter().map(|s| s.source_index).collect();
        assert_eq!(spiking, vec![3, 5, 17, 30, 31], "{backend}");
        assert!(seg.spiketrains.iter().all(|s| !s.times.is_empty()), "{backend}: every neuron is driven to spike");
        let v = seg.signal("v").unwrap();
        assert_eq!(v.channel_index, vec![3, 5, 17], "{backend}: v recorded of other neurons");
        assert_eq!(v.data.len(), 3);
        // get_data on a view returns the view's part only.
        let part = sim.get_data(pop.view([17, 31, 0])).unwrap();
        let idx: Vec<usize> = part.spiketrains.iter().map(|s| s.source_index).collect();
        assert_eq!(idx, vec![17, 31], "{backend}");
        assert_eq!(part.signal("v").unwrap().channel_index, vec![17]);
        assert_eq!(part.signal("v").unwrap().trace(17), v.trace(17));
    }
}

#[test]
fn sampled_recording_takes_every_interval_th_sample() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 3).steps_per_submission(64).build().unwrap();
        // Two identical populations, one recorded every step, the other every 1 ms.
        let cell = IfCurrExp { i_offset: 1.0.into(), tau_refrac: 2.0.into(), ..Default::default() };
        let init: Vec<f64> = (0..8).map(|i| -65.0 + 1.5 * i as f64).collect();
        let every = sim.create(Population::new(8, cell.clone()).initial("v", init.clone()).label("every")).unwrap();
        let sampled = sim.create(Population::new(8, cell).initial("v", init).label("sampled")).unwrap();
        sim.record(every, &["v", "isyn_exc", "spikes"]).unwrap();
        sim.record_sampled(sampled, &["v", "isyn_exc"], Some(1.0)).unwrap();
        // Runs that end between samples and chunks of 64 steps.
        sim.run(25.3).unwrap();
        sim.run(74.7).unwrap();
        let (a, b) = (sim.get_data(every).unwrap(), sim.get_data(sampled).unwrap());
        let (va, vb) = (a.signal("v").unwrap(), b.signal("v").unwrap());
        assert_eq!(va.data[0].len(), 1000, "{backend}");
        assert_eq!(vb.data[0].len(), 100, "{backend}: samples at 0, 1, ..., 99 ms");
        assert!((vb.sampling_period - 1.0).abs() < 1e-12);
        for (k, t) in vb.times().iter().enumerate() {
            assert!((t - k as f64).abs() < 1e-9, "{backend}: sample {k} at {t} ms");
        }
        for ch in 0..8 {
            let (full, sub) = (va.trace(ch).unwrap(), vb.trace(ch).unwrap());
            for (k, &x) in sub.iter().enumerate() {
                assert_eq!(x.to_bits(), full[10 * k].to_bits(), "{backend}: neuron {ch}, sample {k}");
            }
        }
        // The neurons spiked (so the traces are not trivially constant).
        assert!(a.spike_count() > 0 && va.data[0].iter().any(|&x| x != va.data[0][0]));
    }
}

#[test]
fn spike_times_are_stamped_at_the_end_of_the_crossing_step() {
    // v(t) = v_rest + R I (1 - exp(-t/tau_m)) crosses v_thresh at t* = -tau_m ln(1 - (θ - v_rest)/(R I)).
    let (tau_m, r_i, theta) = (20.0f64, 20.0f64, 15.0f64);
    let t_star = -tau_m * (1.0 - theta / r_i).ln(); // 27.7259 ms
    for (backend, dt) in BACKENDS.iter().flat_map(|&b| [(b, 0.1), (b, 0.25)]) {
        let mut sim = sim(backend, dt, 1).build().unwrap();
        let pop = sim.create(Population::new(1, IfCurrExp { i_offset: 1.0.into(), tau_refrac: 2.0.into(), ..Default::default() })).unwrap();
        sim.record(pop, &["spikes", "v"]).unwrap();
        sim.run(100.0).unwrap();
        let seg = sim.get_data(pop).unwrap();
        let times = &seg.spiketrains[0].times;
        assert!(times.len() >= 3, "{backend}: {times:?}");
        for t in times {
            assert!(((t / dt) - (t / dt).round()).abs() < 1e-9, "{backend}: spike time {t} not a multiple of dt = {dt}");
        }
        let expected = (t_star / dt).ceil() * dt;
        assert!((times[0] - expected).abs() < 1e-9, "{backend} dt={dt}: first spike {} vs end of the crossing step {expected}", times[0]);
        // The sample at the spike time shows the reset; the one before it is below threshold.
        let v = seg.signal("v").unwrap().trace(0).unwrap();
        for &t in times {
            let k = (t / dt).round() as usize;
            assert_eq!(v[k], -65.0, "{backend}: v at the spike time {t} is not v_reset");
            assert!(v[k - 1] < -50.0, "{backend}: v before the spike at {t} already above threshold");
        }
    }
}

#[test]
fn set_between_runs_changes_the_dynamics_without_rebuilding() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 5).build().unwrap();
        let pop = sim.create(Population::new(10, IfCurrExp::default()).label("cells")).unwrap();
        sim.record(pop, &["spikes", "v"]).unwrap();
        sim.run(50.0).unwrap();
        assert_eq!(sim.get_data(pop).unwrap().spike_count(), 0, "{backend}: silent without input");
        // Drive only neurons 0..5 (a view), then all of neurons 0..5 spike and 5..10 stay silent.
        sim.set(pop.slice(0..5), "i_offset", 1.0).unwrap();
        assert_eq!(sim.get(pop, "i_offset").unwrap(), [vec![1.0; 5], vec![0.0; 5]].concat(), "{backend}");
        assert_eq!(sim.get(pop.view([7, 2]), "i_offset").unwrap(), vec![0.0, 1.0]);
        sim.run(50.0).unwrap();
        let seg = sim.get_data(pop).unwrap();
        // Data of the first run is kept: no rebuild.
        assert_eq!(seg.signal("v").unwrap().data[0].len(), 1000, "{backend}");
        for st in &seg.spiketrains {
            if st.source_index < 5 {
                assert!(!st.times.is_empty(), "{backend}: neuron {} not driven", st.source_index);
                // First spike at the end of the step in which v crosses, counted from t = 50 ms.
                let t_star = 50.0 - 20.0 * (1.0f64 - 15.0 / 20.0).ln();
                assert!((st.times[0] - (t_star / 0.1).ceil() * 0.1).abs() < 1e-9, "{backend}: first spike at {}", st.times[0]);
            } else {
                assert!(st.times.is_empty(), "{backend}: neuron {} changed by a set on another view", st.source_index);
            }
        }
        // Other parameters are untouched, and a per-neuron array works on a view too.
        assert_eq!(sim.get(pop, "tau_m").unwrap(), vec![20.0; 10]);
        sim.set(pop.view([9, 8]), "v_thresh", vec![-40.0, -45.0]).unwrap();
        let th = sim.get(pop, "v_thresh").unwrap();
        assert_eq!((th[8], th[9], th[0]), (-45.0, -40.0, -50.0));
        sim.run(10.0).unwrap();
    }
}

#[test]
fn reset_reproduces_the_first_run() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 23).build().unwrap();
        let (p, n) = network(&mut sim);
        sim.run(60.0).unwrap();
        let first = outcome(&sim, p, n);
        assert!(first.0.spike_count() > 50);
        sim.reset();
        assert_eq!(sim.time(), 0.0);
        sim.run(60.0).unwrap();
        let second = outcome(&sim, p, n);
        assert_eq!(first, second, "{backend}: reset() then run() differs from the first run");
        // After reset, recorded data starts over (it is not appended).
        assert_eq!(second.0.signal("v").unwrap().data[0].len(), 600);
    }
}

#[test]
fn parameters_set_before_reset_stay_set() {
    // PyNN semantics: reset() restores the initial state, not the parameters.
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 5).build().unwrap();
        let pop = sim.create(Population::new(4, IfCurrExp::default())).unwrap();
        sim.record(pop, &["spikes"]).unwrap();
        sim.run(40.0).unwrap();
        sim.set(pop.view([1]), "i_offset", 1.0).unwrap();
        sim.reset();
        sim.run(40.0).unwrap();
        let seg = sim.get_data(pop).unwrap();
        let counts: Vec<usize> = seg.spiketrains.iter().map(|s| s.times.len()).collect();
        assert!(counts[1] > 0 && counts[0] == 0 && counts[2] == 0 && counts[3] == 0, "{backend}: {counts:?}");
        assert!((seg.spiketrains[1].times[0] - 27.8).abs() < 1e-9, "{backend}: the set value acts from t = 0");
    }
}

#[test]
fn set_spike_times_between_runs() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 1).build().unwrap();
        let src = sim.create(Population::new(3, SpikeSourceArray::new(vec![5.0, 10.0]))).unwrap();
        let dst = sim.create(Population::new(1, IfCurrExp::default())).unwrap();
        sim.connect(Projection::new(src.view([0]), dst, Connector::all_to_all(), StaticSynapse::new(1.0, 1.0))).unwrap();
        sim.record(src, &["spikes"]).unwrap();
        sim.record(dst, &["isyn_exc"]).unwrap();
        sim.run(20.0).unwrap();
        // New times: those already past (12) are never emitted, later ones are.
        sim.set_spike_times(src, SpikeTimes::PerNeuron(vec![vec![12.0, 25.0, 30.0], vec![], vec![20.1, 39.9]])).unwrap();
        sim.run(20.0).unwrap();
        let seg = sim.get_data(src).unwrap();
        let times: Vec<Vec<f64>> = seg.spiketrains.iter().map(|s| s.times.clone()).collect();
        let close = |a: &[f64], b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-9);
        assert!(close(&times[0], &[5.0, 10.0, 25.0, 30.0]), "{backend}: {:?}", times[0]);
        assert!(close(&times[1], &[5.0, 10.0]), "{backend}: {:?}", times[1]);
        assert!(close(&times[2], &[5.0, 10.0, 20.1, 39.9]), "{backend}: {:?}", times[2]);
        // The new spikes are delivered: isyn jumps after 25 + 1 ms and 30 + 1 ms (sample a + 1).
        let isyn = sim.get_data(dst).unwrap().signal("isyn_exc").unwrap().data[0].clone();
        for t in [5.0, 10.0, 25.0, 30.0] {
            let a = ((t + 1.0) / 0.1f64).round() as usize;
            assert!(isyn[a + 1] > isyn[a] + 0.5, "{backend}: no input after the spike at {t} ms");
        }
        assert!(isyn[..=60].iter().all(|&x| x == 0.0));
    }
}

#[test]
fn initial_values_from_a_distribution_are_the_first_sample() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 13).build().unwrap();
        let a = sim.create(Population::new(200, IfCurrExp::default()).initial("v", RandomDistribution::uniform(-70.0, -55.0))).unwrap();
        let b = sim.create(Population::new(100, IfCondExp::default())).unwrap();
        sim.initialize(b, "v", RandomDistribution::normal_clipped(-60.0, 3.0, -66.0, -54.0)).unwrap();
        sim.initialize(b, "gsyn_exc", 0.01).unwrap();
        sim.record(a, &["v"]).unwrap();
        sim.record(b, &["v", "gsyn_exc"]).unwrap();
        let before_a = sim.get_state(a, "v").unwrap();
        let before_b = sim.get_state(b, "v").unwrap();
        sim.run(5.0).unwrap();
        let seg = sim.get_data(a).unwrap();
        let first: Vec<f32> = seg.signal("v").unwrap().data.iter().map(|d| d[0]).collect();
        assert_eq!(first, before_a, "{backend}: the first sample is not the initial state");
        assert!(first.iter().all(|&v| (-70.0..-55.0).contains(&v)), "{backend}: initial v out of range");
        let mean = first.iter().map(|&x| f64::from(x)).sum::<f64>() / 200.0;
        assert!((mean + 62.5).abs() < 5.0 * 15.0 / 12f64.sqrt() / 200f64.sqrt(), "{backend}: mean initial v {mean}");
        let distinct: std::collections::BTreeSet<u32> = first.iter().map(|x| x.to_bits()).collect();
        assert!(distinct.len() > 190, "{backend}: initial values not random");

        let seg = sim.get_data(b).unwrap();
        let first: Vec<f32> = seg.signal("v").unwrap().data.iter().map(|d| d[0]).collect();
        assert_eq!(first, before_b);
        assert!(first.iter().all(|&v| (-66.0..=-54.0).contains(&v)));
        assert!(seg.signal("gsyn_exc").unwrap().data.iter().all(|d| d[0] == 0.01));
    }
}
