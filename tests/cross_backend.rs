//! GPU and CPU back ends give identical spike trains (and identical final state, bit for bit)
//! for a 10,000-neuron random network with heterogeneous delays, random parameters, Poisson
//! and noisy-current input, over 1000 steps; the same seed reproduces a run exactly and another
//! seed changes it.

mod common;
use common::*;
use spikeflow::prelude::*;

struct Outcome {
    spikes: Vec<Vec<Vec<f64>>>,
    v: Vec<Vec<f32>>,
    synapses: usize,
}

fn run(backend: Backend, seed: u64) -> Outcome {
    let mut sim = sim(backend, 0.1, seed).build().expect("sim");
    let exc_cell = IfCurrExp {
        tau_m: RandomDistribution::normal_clipped(20.0, 2.0, 5.0, 40.0).into(),
        v_thresh: RandomDistribution::uniform(-52.0, -48.0).into(),
        tau_refrac: 2.0.into(),
        i_offset: 0.2.into(),
        ..Default::default()
    };
    let inh_cell =
        IfCondExp { tau_m: 10.0.into(), tau_refrac: 1.0.into(), v_rest: (-60.0).into(), v_reset: (-65.0).into(), ..Default::default() };
    let exc = sim.create(Population::new(8000, exc_cell).label("exc").initial("v", RandomDistribution::uniform(-65.0, -50.0))).unwrap();
    let inh = sim.create(Population::new(2000, inh_cell).label("inh").initial("v", RandomDistribution::uniform(-65.0, -50.0))).unwrap();
    let noise = sim.create(Population::new(500, SpikeSourcePoisson { rate: 20.0.into(), ..Default::default() }).label("noise")).unwrap();
    let delay = || Param::from(RandomDistribution::uniform(0.1, 4.0));
    let conn = Connector::fixed_probability(0.01).allow_self_connections(false);
    sim.connect(Projection::new(exc, exc, conn.clone(), StaticSynapse::new(RandomDistribution::uniform(0.0, 0.3), delay()))).unwrap();
    sim.connect(Projection::new(exc, inh, conn.clone(), StaticSynapse::new(RandomDistribution::uniform(0.0, 0.004), delay()))).unwrap();
    sim.connect(
        Projection::new(inh, exc, conn.clone(), StaticSynapse::new(RandomDistribution::uniform(-1.0, 0.0), delay()))
            .receptor(Receptor::Inhibitory),
    )
    .unwrap();
    sim.connect(Projection::new(inh, inh, conn, StaticSynapse::new(0.01, 0.5)).receptor(Receptor::Inhibitory)).unwrap();
    sim.connect(Projection::new(noise, exc, Connector::fixed_number_pre(20), StaticSynapse::new(0.5, delay()))).unwrap();
    sim.inject(CurrentSource::noisy(0.0, 0.2, 10.0, 80.0, Some(1.0)), inh.slice(0..1000)).unwrap();
    for p in [exc, inh, noise] {
        sim.record(p, &["spikes"]).unwrap();
    }
    sim.record(exc.slice(0..50), &["v"]).unwrap();
    sim.run(60.0).unwrap();
    sim.run(40.0).unwrap(); // continuing a run must equal one long run
    let spikes = [exc, inh, noise].iter().map(|&p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times).collect()).collect();
    let v = vec![sim.get_state(exc, "v").unwrap(), sim.get_state(inh, "v").unwrap()];
    let (_, synapses) = sim.size().unwrap();
    Outcome { spikes, v, synapses }
}

fn total(o: &Outcome) -> usize {
    o.spikes.iter().flatten().map(Vec::len).sum()
}

#[test]
fn gpu_and_cpu_give_identical_spikes_and_state() {
    let cpu = run(Backend::Cpu, 11);
    let gpu = run(Backend::Gpu, 11);
    assert!(cpu.synapses > 900_000, "network too small: {} synapses", cpu.synapses);
    let n = total(&cpu);
    assert!(n > 5_000, "too little activity to compare: {n} spikes");
    for (p, (a, b)) in cpu.spikes.iter().zip(&gpu.spikes).enumerate() {
        for (i, (sa, sb)) in a.iter().zip(b).enumerate() {
            assert_eq!(sa, sb, "population {p} neuron {i}: CPU and GPU spike trains differ");
        }
    }
    for (a, b) in cpu.v.iter().zip(&gpu.v) {
        let (ab, bb): (Vec<u32>, Vec<u32>) = (a.iter().map(|x| x.to_bits()).collect(), b.iter().map(|x| x.to_bits()).collect());
        assert_eq!(ab, bb, "final membrane potentials differ in their bits");
    }
}

#[test]
fn same_seed_same_run_other_seed_other_run() {
    for backend in BACKENDS {
        let a = run(backend, 5);
        let b = run(backend, 5);
        let c = run(backend, 6);
        assert_eq!(a.spikes, b.spikes, "{backend}: same seed, different spikes");
        assert_eq!(a.v, b.v, "{backend}: same seed, different state");
        assert_ne!(a.spikes, c.spikes, "{backend}: another seed gave the same spikes");
    }
}
