//! CSR assembly by the `construct` kernel (issue 7, item 3): a network whose projections the
//! kernel draws has its static CSR written on the device (or by the kernel's mirror
//! on the CPU back end) — the same synapses, in the same slots, as host assembly:
//! * connections (pre, post, weight, delay), stored weights and spikes are identical for
//!   kernel and host assembly on both back ends;
//! * the per-synapse lists are decoded from the CSR only when asked for;
//! * a synapse that breaks a rule still gets the host's error naming it; networks that do not
//!   qualify are assembled on the host;
//! * synapses split across several storage buffers are written into the right ones.

mod common;
use common::*;
use spikeflow::prelude::*;
use spikeflow::{BuildError, Error, ProjectionId};

/// Every kernel-assembled connector, drawn weights and delays of several distributions, a
/// view, self-connections excluded, a Poisson input. Returns the projections and the
/// recorded population.
fn network(sim: &mut Simulation) -> (Vec<ProjectionId>, PopulationId) {
    let exc = sim.create(Population::new(400, IfCondExp { i_offset: 0.2.into(), ..Default::default() }).label("exc")).unwrap();
    let inh = sim.create(Population::new(100, IfCondExp::default()).label("inh")).unwrap();
    let ext = sim.create(Population::new(60, SpikeSourcePoisson { rate: 30.0.into(), ..Default::default() })).unwrap();
    let clipped = |mu, sigma, low| Param::Random(RandomDistribution::normal_clipped(mu, sigma, low, f64::INFINITY));
    let p = vec![
        sim.connect(
            Projection::new(
                exc,
                exc,
                Connector::fixed_probability(0.1).allow_self_connections(false),
                StaticSynapse::new(clipped(0.004, 0.002, 0.0), clipped(1.5, 0.75, 0.1)),
            )
            .label("ee"),
        )
        .unwrap(),
        sim.connect(
            Projection::new(
                exc,
                inh,
                Connector::fixed_total_number(3000),
                StaticSynapse::new(Param::Random(RandomDistribution::uniform(0.002, 0.006)), 0.8),
            )
            .label("ei"),
        )
        .unwrap(),
        sim.connect(
            Projection::new(
                inh,
                exc,
                Connector::fixed_number_post(30).with_replacement(true),
                StaticSynapse::new(0.02, Param::Random(RandomDistribution::uniform(0.5, 2.5))),
            )
            .receptor(Receptor::Inhibitory)
            .label("ie"),
        )
        .unwrap(),
        sim.connect(
            Projection::new(
                inh.slice(20..80),
                inh,
                Connector::fixed_total_number(500).allow_self_connections(false),
                StaticSynapse::new(0.01, 0.3),
            )
            .receptor(Receptor::Inhibitory)
            .label("ii"),
        )
        .unwrap(),
        sim.connect(Projection::new(ext, exc, Connector::fixed_probability(0.5), StaticSynapse::new(0.003, 0.1)).label("input")).unwrap(),
        // FixedNumberPre: ~80 synapses per row from many targets, sorted into the host's order.
        sim.connect(
            Projection::new(
                inh,
                exc,
                Connector::fixed_number_pre(20),
                StaticSynapse::new(
                    Param::Random(RandomDistribution::uniform(0.01, 0.03)),
                    Param::Random(RandomDistribution::uniform(0.5, 2.0)),
                ),
            )
            .receptor(Receptor::Inhibitory)
            .label("ie_pre"),
        )
        .unwrap(),
        sim.connect(
            Projection::new(
                exc,
                exc,
                Connector::fixed_number_pre(5).with_replacement(true).allow_self_connections(false),
                StaticSynapse::new(0.002, 1.0),
            )
            .label("ee_pre"),
        )
        .unwrap(),
        // FixedNumberPost without replacement (a hash set per thread).
        sim.connect(
            Projection::new(
                exc.slice(100..300),
                exc,
                Connector::fixed_number_post(12).allow_self_connections(false),
                StaticSynapse::new(0.001, 0.4),
            )
            .label("ee_post"),
        )
        .unwrap(),
    ];
    sim.add_poisson_input(PoissonInput::new(800.0, 0.002), inh).unwrap();
    sim.record(exc, &["spikes"]).unwrap();
    (p, exc)
}

/// Connections of every projection (bits of weight and delay) and the spikes after 100 ms.
type Outcome = (Vec<Vec<(u32, u32, u64, u64)>>, Vec<Vec<f64>>);

fn run(mut sim: Simulation, expect_kernel: bool) -> Outcome {
    let (projections, exc) = network(&mut sim);
    sim.build_now().unwrap();
    let net = sim.network().unwrap();
    assert_eq!(net.lists_pending(), expect_kernel, "kernel assembly leaves the lists to decode");
    assert!(net.n_static_synapses() > 30_000, "{} synapses", net.n_static_synapses());
    sim.run(100.0).unwrap();
    let conns = projections
        .iter()
        .map(|&p| sim.connections(p).unwrap().iter().map(|s| (s.pre, s.post, s.weight.to_bits(), s.delay.to_bits())).collect())
        .collect();
    let spikes = sim.get_data(exc).unwrap().spiketrains.iter().map(|t| t.times.clone()).collect();
    (conns, spikes)
}

#[test]
fn kernel_and_host_assembly_give_the_same_network_on_both_back_ends() {
    let host_cpu = run(sim(Backend::Cpu, 0.1, 7).build().unwrap(), false);
    let kernel_cpu = run(sim(Backend::Cpu, 0.1, 7).csr_assembly(CsrAssembly::Kernel).build().unwrap(), true);
    let kernel_gpu = run(sim(Backend::Gpu, 0.1, 7).csr_assembly(CsrAssembly::Kernel).build().unwrap(), true);
    let host_gpu = run(sim(Backend::Gpu, 0.1, 7).csr_assembly(CsrAssembly::Host).build().unwrap(), false);
    // Auto: the kernel on a GPU, the host on a CPU adapter (llvmpipe in CI).
    let on_gpu = gpu().info.device_type != wgpu::DeviceType::Cpu;
    let auto_gpu = run(sim(Backend::Gpu, 0.1, 7).build().unwrap(), on_gpu);
    let synapses: usize = host_cpu.0.iter().map(Vec::len).sum();
    let spikes: usize = host_cpu.1.iter().map(Vec::len).sum();
    assert!(synapses > 30_000 && spikes > 100, "{synapses} synapses, {spikes} spikes");
    for (name, other) in [("kernel, CPU", &kernel_cpu), ("kernel, GPU", &kernel_gpu), ("host, GPU", &host_gpu), ("auto, GPU", &auto_gpu)] {
        for (k, (a, b)) in host_cpu.0.iter().zip(&other.0).enumerate() {
            assert_eq!(a, b, "{name}: connections of projection {k} differ from host assembly on the CPU");
        }
        assert_eq!(host_cpu.1, other.1, "{name}: spikes differ");
    }
    // Delays drawn from a distribution use the threshold table: many distinct steps.
    let delays: std::collections::BTreeSet<u64> = host_cpu.0[0].iter().map(|c| c.3).collect();
    assert!(delays.len() > 20, "{} distinct delays", delays.len());
}

#[test]
fn weights_set_between_runs_reach_kernel_assembled_synapses() {
    for backend in BACKENDS {
        let mut s = sim(backend, 0.1, 3).csr_assembly(CsrAssembly::Kernel).build().unwrap();
        let (p, _) = network(&mut s);
        s.run(10.0).unwrap();
        let n = s.connections(p[1]).unwrap().len();
        let new: Vec<f64> = (0..n).map(|k| 0.001 * (k % 7) as f64).collect();
        s.set_weights(p[1], new.clone()).unwrap();
        let back: Vec<f64> = s.connections(p[1]).unwrap().iter().map(|c| c.weight).collect();
        for (a, b) in new.iter().zip(&back) {
            assert!((a - b).abs() < 1e-9, "{backend:?}: set {a}, read back {b}");
        }
        s.run(10.0).unwrap();
    }
}

#[test]
fn broken_rules_are_reported_as_host_assembly_reports_them() {
    // (tests/errors.rs checks host assembly's messages.)
    for assembly in [CsrAssembly::Kernel] {
        for backend in BACKENDS {
            // Normal weights onto a conductance-based cell: some are negative.
            let mut s = sim(backend, 0.1, 1).csr_assembly(assembly).build().unwrap();
            let a = s.create(Population::new(100, IfCondExp::default())).unwrap();
            let w = Param::Random(RandomDistribution::normal(0.01, 0.01));
            s.connect(Projection::new(a, a, Connector::fixed_probability(0.2), StaticSynapse::new(w, 1.0)).label("bad")).unwrap();
            let e = s.run(1.0).unwrap_err();
            let msg = e.to_string();
            assert!(matches!(e, Error::Build(BuildError::Invalid { .. })), "{e:?}");
            assert!(msg.contains("projection 'bad'.weight") && msg.contains("synapse"), "{assembly:?} {backend:?}: {msg}");
            // Delays below dt.
            let mut s = sim(backend, 0.1, 1).csr_assembly(assembly).build().unwrap();
            let a = s.create(Population::new(100, IfCondExp::default())).unwrap();
            let d = Param::Random(RandomDistribution::uniform(0.01, 1.0));
            s.connect(Projection::new(a, a, Connector::fixed_total_number(500), StaticSynapse::new(0.01, d)).label("short")).unwrap();
            let msg = s.run(1.0).unwrap_err().to_string();
            assert!(msg.contains("projection 'short'.delay") && msg.contains("≥ dt"), "{assembly:?} {backend:?}: {msg}");
        }
    }
}

#[test]
fn networks_the_kernel_cannot_assemble_are_assembled_on_the_host() {
    for backend in BACKENDS {
        let mut s = sim(backend, 0.1, 1).csr_assembly(CsrAssembly::Kernel).build().unwrap();
        let a = s.create(Population::new(50, IfCurrExp::default())).unwrap();
        s.connect(Projection::new(a, a, Connector::fixed_probability(0.1), StaticSynapse::new(0.1, 1.0))).unwrap();
        let all = s.connect(Projection::new(a, a, Connector::all_to_all(), StaticSynapse::new(0.01, 1.0))).unwrap();
        s.build_now().unwrap();
        assert!(!s.network().unwrap().lists_pending(), "{backend:?}: all-to-all is host-assembled");
        assert_eq!(s.connections(all).unwrap().len(), 2500);
    }
}

#[test]
fn synapses_split_across_buffers_are_written_into_the_right_ones() {
    // ~47,000 synapses × 8 bytes = 380 KB: two buffers of at most 256 KiB.
    let small = gpu_with_binding_limit(1 << 18);
    let kernel = run(
        Simulation::builder().dt(0.1).seed(7).backend(Backend::Gpu).gpu_context(small).csr_assembly(CsrAssembly::Kernel).build().unwrap(),
        true,
    );
    let host = run(sim(Backend::Cpu, 0.1, 7).build().unwrap(), false);
    let synapses: usize = host.0.iter().map(Vec::len).sum();
    assert!(synapses * 8 > 1 << 18, "{synapses} synapses fit one buffer");
    assert_eq!(kernel, host);
}
