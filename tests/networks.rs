//! The reference networks of issue 7 (`spikeflow::networks`): structure as published, and the
//! same spikes and state, bit for bit, on both back ends (these runs exercise the CPU engine's
//! vectorized paths: Izhikevich's published numerics, batched noise, uniform-parameter LIF).

mod common;
use common::*;
use spikeflow::networks::{
    coba_fixed_indegree, coba_indegree, izhikevich2003, izhikevich2003_scaled, pd14, pd14_synapse_count, Pd14Input, PD14_SIZES,
};
use spikeflow::prelude::*;

fn bits(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

struct IzhRun {
    spikes: Vec<Vec<f64>>,
    v: Vec<f32>,
    u: Vec<f32>,
    synapses: usize,
}

fn izh_run(backend: Backend) -> IzhRun {
    let mut sim = sim(backend, 1.0, 3).build().unwrap();
    let net = izhikevich2003(&mut sim).unwrap();
    sim.record(net.cells, &["spikes"]).unwrap();
    sim.run(300.0).unwrap();
    let spikes = sim.get_data(net.cells).unwrap().spiketrains.into_iter().map(|s| s.times).collect();
    let (v, u) = (sim.get_state(net.cells, "v").unwrap(), sim.get_state(net.cells, "u").unwrap());
    IzhRun { spikes, v, u, synapses: sim.size().unwrap().1 }
}

#[test]
fn izhikevich2003_is_all_to_all_active_and_identical_on_both_back_ends() {
    let cpu = izh_run(Backend::Cpu);
    let gpu = izh_run(Backend::Gpu);
    assert_eq!(cpu.synapses, 1_000_000);
    let n: usize = cpu.spikes.iter().map(Vec::len).sum();
    // 1000 cells × 0.3 s: the paper's network fires at a few to ~20 Hz.
    let rate = n as f64 / 1000.0 / 0.3;
    assert!((2.0..40.0).contains(&rate), "mean rate {rate} Hz");
    for (i, (a, b)) in cpu.spikes.iter().zip(&gpu.spikes).enumerate() {
        assert_eq!(a, b, "neuron {i}: CPU and GPU spike trains differ");
    }
    assert_eq!(bits(&cpu.v), bits(&gpu.v), "final v differs in its bits");
    assert_eq!(bits(&cpu.u), bits(&gpu.u), "final u differs in its bits");
}

#[test]
fn izhikevich2003_parameters_follow_the_paper() {
    let mut sim = Simulation::builder().dt(1.0).seed(9).backend(Backend::Cpu).build().unwrap();
    let net = izhikevich2003(&mut sim).unwrap();
    sim.build_now().unwrap();
    let c = sim.get(net.cells, "c").unwrap();
    let d = sim.get(net.cells, "d").unwrap();
    let a = sim.get(net.cells, "a").unwrap();
    for i in 0..800 {
        // c = −65 + 15 r², d = 8 − 6 r² with the same r: (c + 65)/15 = (8 − d)/6.
        assert!((-65.0..=-50.0).contains(&c[i]) && (2.0..=8.0).contains(&d[i]), "exc {i}: c {} d {}", c[i], d[i]);
        assert!(((c[i] + 65.0) / 15.0 - (8.0 - d[i]) / 6.0).abs() < 1e-9, "exc {i}: c and d from different r");
        assert_eq!(a[i], 0.02);
    }
    for i in 800..1000 {
        assert!((0.02..=0.1).contains(&a[i]) && c[i] == -65.0 && d[i] == 2.0, "inh {i}");
    }
}

/// Spike times per population and neuron, final v bits per population, synapse count.
type Pd14Outcome = (Vec<Vec<Vec<f64>>>, Vec<Vec<u32>>, usize);

fn pd14_run(backend: Backend, scale: f64, input: Pd14Input, ms: f64) -> Pd14Outcome {
    let mut sim = sim(backend, 0.1, 4).build().unwrap();
    let net = pd14(&mut sim, scale, input).unwrap();
    for &p in &net.pops {
        sim.record(p, &["spikes"]).unwrap();
    }
    sim.run(ms).unwrap();
    let spikes = net.pops.iter().map(|&p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times).collect()).collect();
    let v = net.pops.iter().map(|&p| bits(&sim.get_state(p, "v").unwrap())).collect();
    (spikes, v, sim.size().unwrap().1)
}

#[test]
fn pd14_structure_follows_table_5() {
    let scale = 0.01;
    let mut sim = Simulation::builder().dt(0.1).seed(2).backend(Backend::Cpu).build().unwrap();
    let net = pd14(&mut sim, scale, Pd14Input::Poisson).unwrap();
    let sizes: Vec<usize> = net.pops.iter().map(|p| p.size()).collect();
    let expected: Vec<usize> = PD14_SIZES.iter().map(|&n| (n as f64 * scale).round() as usize).collect();
    assert_eq!(sizes, expected);
    let (neurons, synapses) = sim.size().unwrap();
    // The background is one PoissonInput per population: no extra cells or synapses.
    assert_eq!(neurons, expected.iter().sum::<usize>());
    assert_eq!(sim.network().unwrap().poisson.len(), 8);
    let total: usize = (0..8).flat_map(|t| (0..8).map(move |s| pd14_synapse_count(t, s, scale))).sum();
    assert_eq!(synapses, total);
    // Scaling keeps in-degrees: ~3e8 synapses at full scale (MODELS.md), so ~3e6 here.
    assert!((2.5e6..3.5e6).contains(&(synapses as f64)), "{synapses} synapses");
    // The published in-degree of L4e from L4i: K/N_post with C = 0.135.
    let k = pd14_synapse_count(2, 3, 1.0) as f64 / PD14_SIZES[2] as f64;
    assert!((700.0..900.0).contains(&k), "L4i → L4e in-degree {k}");
}

#[test]
fn pd14_runs_identically_on_both_back_ends() {
    for input in [Pd14Input::Poisson, Pd14Input::Dc] {
        let (cs, cv, n_syn) = pd14_run(Backend::Cpu, 0.005, input, 60.0);
        let (gs, gv, _) = pd14_run(Backend::Gpu, 0.005, input, 60.0);
        assert!(n_syn > 1_000_000);
        let n: usize = cs.iter().flatten().map(Vec::len).sum();
        assert!(n > 20, "{input:?}: too little activity to compare ({n} spikes)");
        assert_eq!(cs, gs, "{input:?}: spike trains differ");
        assert_eq!(cv, gv, "{input:?}: final v differs");
    }
}

#[test]
fn network_builders_refuse_bad_sizes() {
    let mut sim = Simulation::builder().backend(Backend::Cpu).build().unwrap();
    for scale in [0.0, -1.0, 1.5, f64::NAN] {
        let e = pd14(&mut sim, scale, Pd14Input::Dc).unwrap_err().to_string();
        assert!(e.contains("pd14.scale") && e.contains("(0, 1]"), "{e}");
    }
    for scale in [0.0, 0.001, f64::INFINITY, 1000.0] {
        let e = izhikevich2003_scaled(&mut sim, scale).unwrap_err().to_string();
        assert!(e.contains("izhikevich2003.scale"), "{e}");
    }
    let e = coba_fixed_indegree(&mut sim, 1000).unwrap_err().to_string();
    assert!(e.contains("coba_indegree.n") && e.contains("4000"), "{e}");
    for k in [0.5, 5000.0, f64::NAN] {
        let e = coba_indegree(&mut sim, 4000, k).unwrap_err().to_string();
        assert!(e.contains("coba_indegree.k") && e.contains("[1, n = 4000]"), "{e}");
    }
}

#[test]
fn coba_scaling_keeps_the_in_degree() {
    for backend in BACKENDS {
        for n in [4000, 8000] {
            let mut sim = sim(backend, 0.1, 1).build().unwrap();
            let net = coba_fixed_indegree(&mut sim, n).unwrap();
            sim.record(net.exc, &["spikes"]).unwrap();
            sim.run(20.0).unwrap();
            let (_, synapses) = sim.size().unwrap();
            let per_cell = synapses as f64 / n as f64;
            // 80 recurrent inputs per cell (± a few %) plus 0.2 kick synapses.
            assert!((77.0..84.0).contains(&per_cell), "{backend} N {n}: {per_cell} synapses per cell");
        }
    }
}

/// `coba_indegree(n, k)`: k inputs per cell with weights × 80/k; k = 80 is
/// `coba_fixed_indegree` to the bit.
#[test]
fn coba_indegree_scales_weights_with_the_in_degree() {
    for backend in BACKENDS {
        let mut a = sim(backend, 0.1, 3).build().unwrap();
        let na = coba_indegree(&mut a, 4000, 80.0).unwrap();
        let mut b = sim(backend, 0.1, 3).build().unwrap();
        let nb = coba_fixed_indegree(&mut b, 4000).unwrap();
        for (pa, pb) in na.recurrent.iter().zip(&nb.recurrent) {
            assert_eq!(a.connections(*pa).unwrap(), b.connections(*pb).unwrap(), "{backend}: k = 80 differs from coba_fixed_indegree");
        }
        let mut c = sim(backend, 0.1, 3).build().unwrap();
        let nc = coba_indegree(&mut c, 4000, 400.0).unwrap();
        for (proj, w) in nc.recurrent.iter().zip([0.004, 0.004, 0.051, 0.051]) {
            let syn = c.connections(*proj).unwrap();
            let n_post = if proj == &nc.recurrent[0] || proj == &nc.recurrent[2] { 3200.0 } else { 800.0 };
            let n_pre = if proj.index() < nc.recurrent[2].index() { 3200.0 } else { 800.0 };
            // p = 400/4000 = 0.1 of the pre cells (no self-connections onto the same population).
            let per_cell = syn.len() as f64 / n_post;
            assert!((per_cell / (0.1 * n_pre) - 1.0).abs() < 0.03, "{backend}: {per_cell} inputs per cell from {n_pre} cells");
            for s in &syn {
                assert!((s.weight - w * 0.2).abs() <= 1e-6 * w, "{backend}: weight {} instead of {}", s.weight, w * 0.2);
            }
        }
    }
}

/// The CPU engine draws noise and Poisson spikes 8 neurons at a time where it can; views that
/// do not start on a multiple of 8, neurons with two sources, per-neuron Poisson windows and a
/// ragged tail must still give the GPU's bits.
fn batched_draws_run(backend: Backend) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<u32>) {
    let mut sim = sim(backend, 0.1, 21).build().unwrap();
    let cells = sim.create(Population::new(45, IfCurrExp { i_offset: 0.3.into(), ..Default::default() }).label("cells")).unwrap();
    sim.inject(CurrentSource::noisy(0.2, 1.5, 0.0, f64::INFINITY, None), cells.slice(3..29)).unwrap();
    sim.inject(CurrentSource::noisy(-0.1, 0.8, 5.0, 40.0, Some(0.5)), cells.slice(20..45)).unwrap();
    let starts: Vec<f64> = (0..37).map(|i| f64::from(i % 5) * 7.0).collect();
    let src = sim
        .create(
            Population::new(37, SpikeSourcePoisson { rate: 300.0.into(), start: Param::from(starts), duration: 20.0.into() }).label("src"),
        )
        .unwrap();
    sim.connect(Projection::new(src, cells, Connector::fixed_probability(0.3), StaticSynapse::new(0.5, 0.2))).unwrap();
    sim.record(cells, &["spikes"]).unwrap();
    sim.record(src, &["spikes"]).unwrap();
    sim.run(60.0).unwrap();
    let trains = |p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times).collect::<Vec<_>>();
    let (a, b) = (trains(cells), trains(src));
    (a, b, bits(&sim.get_state(cells, "v").unwrap()))
}

#[test]
fn batched_noise_and_poisson_draws_match_the_gpu() {
    let cpu = batched_draws_run(Backend::Cpu);
    let gpu = batched_draws_run(Backend::Gpu);
    let n_src: usize = cpu.1.iter().map(Vec::len).sum();
    let n_cells: usize = cpu.0.iter().map(Vec::len).sum();
    assert!(n_src > 50 && n_cells > 20, "too little activity: {n_src} source spikes, {n_cells} cell spikes");
    // Sources fire only inside their windows [start, start + 20) ms.
    for (i, t) in cpu.1.iter().enumerate() {
        let start = f64::from(i as u32 % 5) * 7.0;
        assert!(t.iter().all(|&x| x > start && x <= start + 20.0 + 1e-9), "source {i} fired outside its window: {t:?}");
    }
    assert_eq!(cpu, gpu, "CPU and GPU differ");
}

/// `Simulation::build_phases`: where the build's time went, reported after the build (and in
/// the bench binaries' JSON); the phases add up to the build's own time.
#[test]
fn build_phases_add_up_to_the_build_time() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 1).build().unwrap();
        coba_fixed_indegree(&mut sim, 4000).unwrap();
        assert!(sim.build_phases().is_none(), "{backend}: phases before the build");
        let total = sim.build_now().unwrap();
        let p = sim.build_phases().expect("phases after the build");
        for (name, x) in [("draw_s", p.draw_s), ("assemble_s", p.assemble_s), ("backend_s", p.backend_s)] {
            assert!(x.is_finite() && x >= 0.0, "{backend}: {name} = {x}");
        }
        let sum = p.draw_s + p.assemble_s + p.backend_s;
        assert!((sum - total).abs() <= 1e-6 * total.max(1.0), "{backend}: phases sum to {sum} s, the build took {total} s");
        assert!(p.draw_s > 0.0, "{backend}: drawing 320,000 synapses takes some time");
    }
}
