//! Kernel groups: consecutive populations of one model share one dispatch on the GPU (their
//! parameters, state and counters laid out `[row][n]` over the group's span of global indices),
//! while the CPU runs them one by one. Both must give the same spikes, recorded traces and final state to the bit, including
//! recording of a middle member, current sources on a later member, parameters set between
//! runs on one member, and spike sources (whose tables keep them a group each).

mod common;
use common::*;
use spikeflow::backend::{kernel_groups, step_schedule, Stage};
use spikeflow::prelude::*;

struct Outcome {
    groups: Vec<Vec<usize>>,
    integrate_stages: usize,
    spikes: Vec<Vec<Vec<f64>>>,
    v_trace: Vec<Vec<u32>>,
    state: Vec<Vec<u32>>,
}

fn run(backend: Backend) -> Outcome {
    let mut sim = sim(backend, 0.1, 21).build().expect("sim");
    let lif = |tau_m: f64, i_offset: f64| IfCurrExp { tau_m: tau_m.into(), i_offset: i_offset.into(), ..Default::default() };
    let init = RandomDistribution::uniform(-65.0, -52.0);
    // Groups are runs of consecutive populations of one kernel: [a, d, f], [b, g], then the
    // spike sources one each ([c], [e]: they read tables), and h, a LIF population again but
    // not next to a, d, f, a group of its own.
    let a = sim.create(Population::new(37, lif(20.0, 1.0)).label("a").initial("v", init.clone())).unwrap();
    let d = sim.create(Population::new(64, lif(10.0, 0.0)).label("d").initial("v", init.clone())).unwrap();
    let f = sim.create(Population::new(5, lif(15.0, 0.1)).label("f").initial("v", init.clone())).unwrap();
    let b = sim.create(Population::new(20, Izhikevich { i_offset: 0.01.into(), ..Default::default() }).label("b")).unwrap();
    let g = sim.create(Population::new(11, Izhikevich::default()).label("g")).unwrap();
    let c = sim.create(Population::new(3, SpikeSourceArray::new(vec![2.0, 5.0, 9.0, 14.0])).label("c")).unwrap();
    let e = sim.create(Population::new(2, SpikeSourceArray::new(vec![3.0, 7.5])).label("e")).unwrap();
    let h = sim.create(Population::new(7, lif(20.0, 0.9)).label("h").initial("v", init)).unwrap();
    let pops = [a, d, f, b, g, c, e, h];

    let conn = Connector::fixed_probability(0.3);
    sim.connect(Projection::new(c, d, Connector::all_to_all(), StaticSynapse::new(1.5, 1.0))).unwrap();
    sim.connect(Projection::new(e, f, Connector::all_to_all(), StaticSynapse::new(2.0, 0.5))).unwrap();
    sim.connect(Projection::new(a, d, conn.clone(), StaticSynapse::new(0.3, RandomDistribution::uniform(0.1, 3.0)))).unwrap();
    sim.connect(Projection::new(d, f, conn.clone(), StaticSynapse::new(0.4, 1.2))).unwrap();
    sim.connect(Projection::new(f, a, conn.clone(), StaticSynapse::new(-0.5, 0.7)).receptor(Receptor::Inhibitory)).unwrap();
    sim.connect(Projection::new(a, b, conn.clone(), StaticSynapse::new(2.0, 1.0))).unwrap();
    sim.connect(Projection::new(b, g, conn.clone(), StaticSynapse::new(3.0, 0.3))).unwrap();
    sim.connect(Projection::new(h, d, conn, StaticSynapse::new(0.5, 0.4))).unwrap();
    // Sources on later members: their stimulus tables are indexed by the member's own neurons.
    sim.inject(CurrentSource::dc_between(0.8, 5.0, 25.0), d.slice(10..40)).unwrap();
    sim.inject(CurrentSource::noisy(0.2, 0.5, 0.0, 40.0, Some(1.0)), f).unwrap();
    for p in pops {
        sim.record(p, &["spikes"]).unwrap();
    }
    sim.record(d.slice(5..45), &["v"]).unwrap();

    sim.run(20.0).unwrap();
    // Parameters of a middle member set between runs (its rows of the group's buffers).
    sim.set(d.slice(0..32), "tau_m", 25.0).unwrap();
    sim.set(f, "i_offset", 0.9).unwrap();
    sim.set(g, "i_offset", 0.02).unwrap();
    sim.run(30.0).unwrap();

    let net = sim.network().expect("built");
    let groups = kernel_groups(net).into_iter().map(|g| g.pops).collect();
    let integrate_stages = step_schedule(net).iter().filter(|s| matches!(s, Stage::Integrate { .. })).count();
    let spikes = pops.iter().map(|&p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times).collect()).collect();
    let seg = sim.get_data(d).unwrap();
    let v = seg.analogsignals.iter().find(|s| s.name == "v").expect("v recorded");
    let v_trace = v.data.iter().map(|ch| ch.iter().map(|x| x.to_bits()).collect()).collect();
    let mut state = Vec::new();
    for (p, var) in [(a, "v"), (d, "v"), (d, "isyn_exc"), (f, "v"), (b, "u"), (g, "v"), (h, "v")] {
        state.push(sim.get_state(p, var).unwrap().iter().map(|x| x.to_bits()).collect());
    }
    assert_eq!(sim.get(d, "tau_m").unwrap()[..32], vec![25.0; 32][..], "set parameters read back");
    Outcome { groups, integrate_stages, spikes, v_trace, state }
}

#[test]
fn populations_of_one_model_share_a_dispatch_and_match_the_cpu_bit_for_bit() {
    let cpu = run(Backend::Cpu);
    let gpu = run(Backend::Gpu);
    assert_eq!(cpu.groups, vec![vec![0, 1, 2], vec![3, 4], vec![5], vec![6], vec![7]], "kernel groups");
    assert_eq!(cpu.integrate_stages, 5, "one Integrate stage per kernel group");
    let total: usize = cpu.spikes.iter().flatten().map(Vec::len).sum();
    for (p, trains) in cpu.spikes.iter().enumerate() {
        let n: usize = trains.iter().map(Vec::len).sum();
        eprintln!("population {p}: {n} spikes");
        assert!(n > 0, "population {p} never spiked: the comparison would not see it");
    }
    assert!(total > 300, "too little activity: {total} spikes");
    assert_eq!(cpu.spikes, gpu.spikes, "spike trains differ between back ends");
    assert_eq!(cpu.v_trace.len(), 40, "recorded neurons of d");
    assert_eq!(cpu.v_trace, gpu.v_trace, "recorded membrane potentials of the middle member differ");
    assert_eq!(cpu.state, gpu.state, "final state differs in its bits");
}
