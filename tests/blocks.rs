//! Blocks of several steps per dispatch: when the shortest delay is d steps, each integrate
//! dispatch advances its neurons d + 1 steps and one propagate delivers the block's spikes.
//! The result must be the step-by-step one to the bit, on both back ends: spikes, sampled
//! traces (with a sampling interval that does not divide the block), final state — across
//! chunk boundaries and run lengths that cut blocks short, with Poisson inputs, spike sources
//! and current sources.

mod common;
use common::*;
use spikeflow::prelude::*;

struct Outcome {
    per_dispatch: u32,
    spikes: Vec<Vec<Vec<f64>>>,
    traces: Vec<Vec<u32>>,
    state: Vec<Vec<u32>>,
}

/// A recurrent network whose shortest delay is `min_delay_ms`, run 7.3 + 12.9 ms (73 + 129
/// steps) with 17 steps per submission.
fn run(backend: Backend, max_per_dispatch: u32, min_delay_ms: f64) -> Outcome {
    let mut sim = sim(backend, 0.1, 3).steps_per_submission(17).max_steps_per_dispatch(max_per_dispatch).build().unwrap();
    let exc_cell = IfCondExp { tau_refrac: 0.0.into(), i_offset: 0.3.into(), ..Default::default() };
    let exc = sim.create(Population::new(300, exc_cell).label("exc").initial("v", RandomDistribution::uniform(-65.0, -50.0))).unwrap();
    let inh = sim.create(Population::new(80, IfCurrAlpha { i_offset: 0.5.into(), ..Default::default() }).label("inh")).unwrap();
    let poisson = sim.create(Population::new(40, SpikeSourcePoisson { rate: 200.0.into(), ..Default::default() })).unwrap();
    let array = sim.create(Population::new(2, SpikeSourceArray::new(vec![0.1, 0.2, 0.3, 3.0, 3.1, 9.9, 15.55]))).unwrap();
    let delay = RandomDistribution::uniform(min_delay_ms, 3.0);
    let conn = Connector::fixed_probability(0.1);
    sim.connect(Projection::new(exc, exc, conn.clone(), StaticSynapse::new(0.004, delay.clone()))).unwrap();
    sim.connect(Projection::new(exc, inh, conn.clone(), StaticSynapse::new(0.3, delay.clone()))).unwrap();
    sim.connect(Projection::new(inh, exc, conn.clone(), StaticSynapse::new(0.02, min_delay_ms)).receptor(Receptor::Inhibitory)).unwrap();
    sim.connect(Projection::new(poisson, exc, conn, StaticSynapse::new(0.01, delay))).unwrap();
    sim.connect(Projection::new(array, inh, Connector::all_to_all(), StaticSynapse::new(2.0, min_delay_ms))).unwrap();
    sim.add_poisson_input(PoissonInput::new(3000.0, 0.002).between(2.0, 18.0), exc.slice(0..150)).unwrap();
    sim.inject(CurrentSource::noisy(0.1, 0.3, 1.0, 20.0, Some(0.3)), inh.slice(10..50)).unwrap();
    for p in [exc, inh, poisson, array] {
        sim.record(p, &["spikes"]).unwrap();
    }
    sim.record_sampled(exc.slice(0..20), &["v", "gsyn_exc"], Some(0.3)).unwrap();
    sim.run(7.3).unwrap();
    sim.run(12.9).unwrap();
    let per_dispatch = sim.steps_per_dispatch().unwrap();
    let spikes =
        [exc, inh, poisson, array].iter().map(|&p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times).collect()).collect();
    let seg = sim.get_data(exc.slice(0..20)).unwrap();
    let traces = seg.analogsignals.iter().flat_map(|a| a.data.iter().map(|ch| ch.iter().map(|x| x.to_bits()).collect())).collect();
    let mut state = Vec::new();
    for (p, var) in [(exc, "v"), (exc, "gsyn_exc"), (exc, "gsyn_inh"), (inh, "v"), (inh, "isyn_exc")] {
        state.push(sim.get_state(p, var).unwrap().iter().map(|x| x.to_bits()).collect());
    }
    Outcome { per_dispatch, spikes, traces, state }
}

fn assert_same(a: &Outcome, b: &Outcome, what: &str) {
    assert_eq!(a.spikes, b.spikes, "{what}: spike trains differ");
    assert_eq!(a.traces, b.traces, "{what}: sampled traces differ");
    assert_eq!(a.state, b.state, "{what}: final state differs");
}

#[test]
fn blocks_give_the_step_by_step_result_on_both_back_ends() {
    // Shortest delay 0.3 ms = 3 steps: blocks of 4 steps.
    let reference = run(Backend::Cpu, 1, 0.3);
    assert_eq!(reference.per_dispatch, 1);
    let spikes: Vec<usize> = reference.spikes.iter().map(|p| p.iter().map(Vec::len).sum()).collect();
    assert!(spikes.iter().all(|&n| n > 10), "every population must spike for the comparison to mean anything: {spikes:?}");
    assert!(reference.traces.len() == 40 && reference.traces[0].len() == 68, "20 neurons × 2 variables, 68 samples");
    for backend in BACKENDS {
        let blocks = run(backend, 16, 0.3);
        assert_eq!(blocks.per_dispatch, 4, "{backend}: shortest delay 3 steps allows blocks of 4");
        assert_same(&reference, &blocks, &format!("{backend}, blocks of 4"));
        let three = run(backend, 3, 0.3);
        assert_eq!(three.per_dispatch, 3);
        assert_same(&reference, &three, &format!("{backend}, blocks of 3"));
    }
    let gpu_steps = run(Backend::Gpu, 1, 0.3);
    assert_same(&reference, &gpu_steps, "GPU step by step");
}

#[test]
fn the_shortest_delay_of_one_step_still_gives_blocks_of_two() {
    // A spike of step s arrives at step s + 1 + d ≥ s + 2: two steps never see each other's spikes.
    let reference = run(Backend::Cpu, 1, 0.1);
    for backend in BACKENDS {
        let blocks = run(backend, 16, 0.1);
        assert_eq!(blocks.per_dispatch, 2);
        assert_same(&reference, &blocks, &format!("{backend}, blocks of 2"));
    }
}

#[test]
fn plastic_networks_and_bad_settings() {
    let mut sim = sim(Backend::Cpu, 0.1, 1).build().unwrap();
    let a = sim.create(Population::new(10, SpikeSourcePoisson { rate: 50.0.into(), ..Default::default() })).unwrap();
    let b = sim.create(Population::new(10, IfCondExp::default())).unwrap();
    let stdp = StdpMechanism::new(SpikePairRule::new(20.0, 20.0, 0.01, 0.012), WeightDependence::additive(0.0, 0.01), 0.005, 2.0);
    sim.connect(Projection::new(a, b, Connector::all_to_all(), stdp)).unwrap();
    sim.run(1.0).unwrap();
    assert_eq!(sim.steps_per_dispatch(), Some(1), "plastic synapses run step by step");

    for bad in [0, 17] {
        let err = Simulation::builder().backend(Backend::Cpu).max_steps_per_dispatch(bad).build().err().expect("refused");
        let text = err.to_string();
        assert!(text.contains("max_steps_per_dispatch") && text.contains("1..=16"), "{text}");
    }
}
