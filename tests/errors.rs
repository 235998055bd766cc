//! Bad input gives a typed error whose message names the field and the rule — never a panic.
//! Each case matches the `spikeflow::Error` variant (and the nested `BuildError` / `ModelError`
//! / `ConnectorError` / `EngineError`) and checks that `Display` names the field and the rule.
//! Errors of the description are checked on both back ends (they must not depend on it); the
//! device-limit errors need the GPU; the non-finite state report runs on both.

mod common;
use common::*;
use spikeflow::engine::{GpuContext, SynSplit};
use spikeflow::model::ModelError;
use spikeflow::network::ConnectorError;
use spikeflow::prelude::*;
use spikeflow::{BuildError, EngineError, Error};

fn new_sim(backend: Backend) -> Simulation {
    sim(backend, 0.1, 1).build().expect("sim")
}

/// `err`'s message contains every one of `parts`.
fn assert_mentions(err: &Error, parts: &[&str]) {
    let msg = err.to_string();
    for p in parts {
        assert!(msg.contains(p), "error message {msg:?} does not mention {p:?}");
    }
}

/// The error is a `ModelError::Invalid` of `field` in population `pop`.
fn assert_model_invalid(err: &Error, pop: &str, field: &str) {
    match err {
        Error::Build(BuildError::Model { population, source: ModelError::Invalid { field: f, .. } }) => {
            assert_eq!(population, pop, "{err}");
            assert_eq!(f, field, "{err}");
        }
        other => panic!("expected a model error on {pop}.{field}, got {other:?}"),
    }
    assert_mentions(err, &[pop, field]);
}

fn invalid_what(err: &Error) -> &str {
    match err {
        Error::Invalid { what, .. } => what,
        other => panic!("expected Error::Invalid, got {other:?}"),
    }
}

#[test]
fn bad_cell_parameters_are_named() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let e = sim.create(Population::new(3, IfCurrExp { tau_m: f64::NAN.into(), ..Default::default() }).label("nan")).unwrap_err();
        assert_model_invalid(&e, "nan", "tau_m");
        assert_mentions(&e, &["IF_curr_exp", "finite"]);

        let e = sim.create(Population::new(3, IfCurrExp { tau_m: (-5.0).into(), ..Default::default() }).label("neg")).unwrap_err();
        assert_model_invalid(&e, "neg", "tau_m");
        assert_mentions(&e, &["must be > 0", "-5"]);

        // Only neuron 2 is bad: the message names it.
        let e = sim.create(Population::new(3, IfCondExp { cm: vec![1.0, 0.5, 0.0].into(), ..Default::default() }).label("cm")).unwrap_err();
        assert_model_invalid(&e, "cm", "cm");
        assert_mentions(&e, &["IF_cond_exp", "neuron 2"]);

        for (reset, thresh) in [(-50.0, -50.0), (-40.0, -50.0)] {
            let cell = IfCurrExp { v_reset: reset.into(), v_thresh: thresh.into(), ..Default::default() };
            let e = sim.create(Population::new(2, cell).label("reset")).unwrap_err();
            assert_model_invalid(&e, "reset", "v_reset");
            assert_mentions(&e, &["below v_thresh"]);
        }

        // A parameter that passes creation but is made invalid by `set`.
        let ok = sim.create(Population::new(4, IfCurrExp::default()).label("ok")).unwrap();
        let e = sim.set(ok.view([1]), "tau_syn_E", -1.0).unwrap_err();
        assert_model_invalid(&e, "ok", "tau_syn_E");
        let e = sim.set(ok, "no_such_param", 1.0).unwrap_err();
        assert_mentions(&e, &["no_such_param", "IF_curr_exp"]);
        let e = sim.set(ok, "i_offset", vec![1.0, 2.0]).unwrap_err();
        assert_mentions(&e, &["i_offset", "2 values", "4 neurons"]);
        // Nothing of the failed calls was kept: the network builds and runs.
        sim.run(1.0).unwrap();
    }
}

#[test]
fn bad_random_distributions_are_named() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let cell = IfCurrExp { tau_m: RandomDistribution::uniform(20.0, 10.0).into(), ..Default::default() };
        let e = sim.create(Population::new(5, cell).label("pop")).unwrap_err();
        match &e {
            Error::Build(BuildError::Invalid { what, rule }) => {
                assert!(what.contains("tau_m"), "{e}");
                assert!(rule.contains("uniform") && rule.contains("high") && rule.contains("> low"), "{e}");
            }
            other => panic!("expected BuildError::Invalid, got {other:?}"),
        }
        let e = sim.create(Population::new(5, IfCurrExp::default()).label("init").initial("v", RandomDistribution::normal(-65.0, -1.0)));
        // The distribution is checked when the network is built (or now): either way an error naming it.
        let e = match e {
            Err(e) => e,
            Ok(_) => sim.run(1.0).unwrap_err(),
        };
        assert_mentions(&e, &["initial_values.v", "sigma"]);
    }
}

#[test]
fn bad_setup_and_run_arguments() {
    for dt in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let e = Simulation::builder().dt(dt).backend(Backend::Cpu).build().err().expect("bad dt accepted");
        assert_eq!(invalid_what(&e), "setup.dt");
        assert_mentions(&e, &["setup.dt", "> 0"]);
    }
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let pop = sim.create(Population::new(2, IfCurrExp::default())).unwrap();
        sim.record(pop, &["v"]).unwrap();
        for d in [-1.0, f64::NAN, f64::INFINITY] {
            let e = sim.run(d).unwrap_err();
            assert_eq!(invalid_what(&e), "run.duration", "{e}");
            assert_mentions(&e, &["≥ 0"]);
        }
        let e = sim.run(0.05).unwrap_err();
        assert_mentions(&e, &["run.duration", "whole number of steps"]);
        // Rejected runs did not advance time.
        assert_eq!(sim.time(), 0.0);
        sim.run(1.0).unwrap();
        assert!((sim.time() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn bad_populations_and_views() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let e = sim.create(Population::new(0, IfCurrExp::default()).label("empty")).unwrap_err();
        assert_eq!(invalid_what(&e), "population 'empty'.size");
        assert_mentions(&e, &["≥ 1"]);

        let pop = sim.create(Population::new(10, IfCurrExp::default()).label("cells")).unwrap();
        let e = sim.create(Population::new(3, IfCondExp::default()).label("cells")).unwrap_err();
        assert_eq!(invalid_what(&e), "population 'cells'.label");
        assert_mentions(&e, &["unique"]);

        // Out-of-range views: recording, injecting, connecting, setting.
        let e = sim.record(pop.view([3, 12]), &["v"]).unwrap_err();
        assert_mentions(&e, &["record 'cells'", "neuron index 12", "population of 10"]);
        let e = sim.inject(CurrentSource::dc(0.1), pop.slice(5..11)).unwrap_err();
        assert_mentions(&e, &["cells", "11", "population of 10"]);
        let src = sim.create(Population::new(4, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
        let e = sim.connect(Projection::new(src.view([4]), pop, Connector::all_to_all(), StaticSynapse::new(0.1, 1.0))).unwrap_err();
        assert_mentions(&e, &["pre", "neuron index 4", "population of 4"]);
        let e = sim.set(pop.view([10]), "i_offset", 0.1).unwrap_err();
        assert_mentions(&e, &["neuron index 10"]);

        // A population id of another simulation.
        let mut other = new_sim(backend);
        let _ = other.create(Population::new(1, IfCurrExp::default())).unwrap();
        let foreign = other.create(Population::new(7, IfCurrExp::default())).unwrap();
        let e = sim.record(foreign, &["v"]).unwrap_err();
        assert_mentions(&e, &["does not belong"]);
        sim.run(1.0).unwrap();
    }
}

#[test]
fn bad_recording_requests() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let pop = sim.create(Population::new(4, IfCurrExp::default()).label("cells")).unwrap();
        let e = sim.record(pop, &["spikes", "w"]).unwrap_err();
        assert_eq!(invalid_what(&e), "record 'cells'");
        assert_mentions(&e, &["'w'", "IF_curr_exp", "recordable", "isyn_exc"]);
        // gsyn_exc is IF_cond_exp's, not IF_curr_exp's.
        assert!(sim.record(pop, &["gsyn_exc"]).is_err());
        for iv in [0.15, 0.05, 0.0, -1.0, f64::NAN] {
            let e = sim.record_sampled(pop, &["v"], Some(iv)).unwrap_err();
            assert_eq!(invalid_what(&e), "record 'cells'.sampling_interval", "{iv}: {e}");
            assert_mentions(&e, &["multiple of dt"]);
        }
        // Two different intervals for one population.
        sim.record_sampled(pop.view([0]), &["v"], Some(1.0)).unwrap();
        let e = sim.record_sampled(pop.view([1]), &["v"], Some(0.5)).unwrap_err();
        assert_mentions(&e, &["sampling_interval", "one sampling interval per population"]);
        // get_data of an unrecorded population.
        let other = sim.create(Population::new(2, IfCurrExp::default()).label("other")).unwrap();
        sim.run(2.0).unwrap();
        let e = sim.get_data(other).unwrap_err();
        assert_mentions(&e, &["get_data", "nothing was recorded", "other"]);
        // The structure is frozen after a run.
        let e = sim.record(other, &["v"]).unwrap_err();
        assert_mentions(&e, &["record", "reset()"]);
    }
}

#[test]
fn bad_delays_and_weights() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let src = sim.create(Population::new(3, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
        let curr = sim.create(Population::new(3, IfCurrExp::default()).label("curr")).unwrap();
        let cond = sim.create(Population::new(3, IfCondExp::default()).label("cond")).unwrap();
        let a2a = Connector::all_to_all;

        // Delay below dt (constant: at connect).
        let e = sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(0.1, 0.05)).label("p")).unwrap_err();
        assert_eq!(invalid_what(&e), "projection 'p'.delay");
        assert_mentions(&e, &["≥ dt", "0.05"]);
        let e = sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(0.1, f64::NAN)).label("p")).unwrap_err();
        assert_eq!(invalid_what(&e), "projection 'p'.delay");

        // Weight signs against the receptor.
        let e = sim
            .connect(Projection::new(src, curr, a2a(), StaticSynapse::new(0.5, 1.0)).receptor(Receptor::Inhibitory).label("inh"))
            .unwrap_err();
        assert_eq!(invalid_what(&e), "projection 'inh'.weight");
        assert_mentions(&e, &["inhibitory", "≤ 0", "IF_curr_exp", "0.5"]);
        let e = sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(-0.5, 1.0)).label("exc")).unwrap_err();
        assert_eq!(invalid_what(&e), "projection 'exc'.weight");
        assert_mentions(&e, &["excitatory", "≥ 0", "-0.5"]);
        for receptor in [Receptor::Excitatory, Receptor::Inhibitory] {
            let e =
                sim.connect(Projection::new(src, cond, a2a(), StaticSynapse::new(-0.01, 1.0)).receptor(receptor).label("g")).unwrap_err();
            assert_eq!(invalid_what(&e), "projection 'g'.weight");
            assert_mentions(&e, &["conductance", "≥ 0", "IF_cond_exp"]);
        }
        let e = sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(f64::INFINITY, 1.0)).label("inf")).unwrap_err();
        assert_mentions(&e, &["projection 'inf'.weight", "finite"]);

        // Projection onto a spike source.
        let e = sim.connect(Projection::new(curr, src, a2a(), StaticSynapse::new(0.1, 1.0)).label("bad")).unwrap_err();
        assert_eq!(invalid_what(&e), "projection 'bad'.post");
        assert_mentions(&e, &["SpikeSourceArray", "no synapses"]);
        // Current into a spike source.
        let e = sim.inject(CurrentSource::dc(1.0), src).unwrap_err();
        assert_mentions(&e, &["src", "no membrane"]);

        // Random delays and weights are checked when the network is built.
        sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(0.1, RandomDistribution::uniform(0.01, 0.3))).label("rd"))
            .unwrap();
        let e = sim.run(1.0).unwrap_err();
        match &e {
            Error::Build(BuildError::Invalid { what, rule }) => {
                assert_eq!(what, "projection 'rd'.delay");
                assert!(rule.contains("≥ dt") && rule.contains("synapse"), "{e}");
            }
            other => panic!("expected BuildError::Invalid, got {other:?}"),
        }
        let mut sim = new_sim(backend);
        let src = sim.create(Population::new(3, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
        let curr = sim.create(Population::new(3, IfCurrExp::default()).label("curr")).unwrap();
        sim.connect(
            Projection::new(src, curr, a2a(), StaticSynapse::new(RandomDistribution::uniform(-1.0, 1.0), 1.0))
                .receptor(Receptor::Inhibitory)
                .label("rw"),
        )
        .unwrap();
        let e = sim.build_now().unwrap_err();
        match &e {
            Error::Build(BuildError::Invalid { what, rule }) => {
                assert_eq!(what, "projection 'rw'.weight");
                assert!(rule.contains("≤ 0"), "{e}");
            }
            other => panic!("expected BuildError::Invalid, got {other:?}"),
        }
    }
}

#[test]
fn bad_connectors() {
    for backend in BACKENDS {
        // FromList indices out of range.
        for (pre, post, field, limit) in [(5usize, 0usize, "conn_list[1].pre", "< 5"), (0, 3, "conn_list[1].post", "< 3")] {
            let mut sim = new_sim(backend);
            let src = sim.create(Population::new(5, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
            let dst = sim.create(Population::new(3, IfCurrExp::default()).label("dst")).unwrap();
            let list = Connector::from_list([(0, 0), (pre, post)]);
            sim.connect(Projection::new(src, dst, list, StaticSynapse::new(0.1, 1.0)).label("fl")).unwrap();
            let e = sim.run(1.0).unwrap_err();
            match &e {
                Error::Build(BuildError::Connector { projection, source: ConnectorError::Invalid { connector, field: f, .. } }) => {
                    assert_eq!(projection, "fl");
                    assert_eq!(*connector, "FromListConnector");
                    assert_eq!(f, field);
                }
                other => panic!("expected a connector error, got {other:?}"),
            }
            assert_mentions(&e, &["fl", field, limit]);
        }
        // Bad connector parameters.
        let cases: Vec<(Connector, &str)> = vec![
            (Connector::fixed_probability(1.5), "p_connect"),
            (Connector::fixed_probability(-0.1), "p_connect"),
            (Connector::fixed_number_pre(6), "n"),  // 6 > 5 pre without replacement
            (Connector::fixed_number_post(4), "n"), // 4 > 3 post without replacement
            (Connector::fixed_total_number(16).with_replacement(false), "n"), // 16 > 15 pairs
            (Connector::OneToOne, "post"),          // 5 vs 3
        ];
        for (conn, field) in cases {
            let name = conn.name();
            let mut sim = new_sim(backend);
            let src = sim.create(Population::new(5, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
            let dst = sim.create(Population::new(3, IfCurrExp::default()).label("dst")).unwrap();
            sim.connect(Projection::new(src, dst, conn, StaticSynapse::new(0.1, 1.0)).label("c")).unwrap();
            let e = sim.build_now().unwrap_err();
            match &e {
                Error::Build(BuildError::Connector { source: ConnectorError::Invalid { connector, field: f, .. }, .. }) => {
                    assert_eq!(*connector, name);
                    assert_eq!(f, field, "{e}");
                }
                other => panic!("{name}: expected a connector error, got {other:?}"),
            }
            assert_mentions(&e, &[name, &format!(".{field}:")]);
        }
    }
}

#[test]
fn bad_spike_sources() {
    for backend in BACKENDS {
        // SpikeSourceArray: a time before the end of the first step, two spikes in one step.
        for (times, rule) in
            [(vec![0.0], "≥ dt"), (vec![0.03, 5.0], "≥ dt"), (vec![1.0, 1.02], "same time step"), (vec![f64::NAN], "finite")]
        {
            let mut sim = new_sim(backend);
            // Reported by create() or, at the latest, when the network is built.
            let e = match sim.create(Population::new(2, SpikeSourceArray::new(times.clone())).label("ssa")) {
                Err(e) => e,
                Ok(_) => sim.run(1.0).unwrap_err(),
            };
            assert_model_invalid(&e, "ssa", "spike_times");
            assert_mentions(&e, &["SpikeSourceArray", rule]);
        }
        // Per-neuron lists of the wrong length.
        let mut sim = new_sim(backend);
        let e = match sim.create(Population::new(3, SpikeSourceArray::per_neuron(vec![vec![1.0], vec![2.0]])).label("ssa")) {
            Err(e) => e,
            Ok(_) => sim.run(1.0).unwrap_err(),
        };
        assert_mentions(&e, &["spike_times", "2 values", "3 neurons"]);
        // set_spike_times checks right away.
        let mut sim = new_sim(backend);
        let ssa = sim.create(Population::new(2, SpikeSourceArray::new(vec![1.0])).label("ssa")).unwrap();
        sim.run(2.0).unwrap();
        let e = sim.set_spike_times(ssa, SpikeTimes::Same(vec![3.0, 3.01])).unwrap_err();
        assert_model_invalid(&e, "ssa", "spike_times");
        // set_spike_times on a population that is not a SpikeSourceArray.
        let mut sim = new_sim(backend);
        let c = sim.create(Population::new(1, IfCurrExp::default()).label("c")).unwrap();
        let e = sim.set_spike_times(c, SpikeTimes::Same(vec![1.0])).unwrap_err();
        assert_mentions(&e, &["'c'.spike_times", "IF_curr_exp"]);

        // Poisson: rate above 1/dt, negative rate, NaN start.
        let mut sim = new_sim(backend);
        let e =
            sim.create(Population::new(2, SpikeSourcePoisson { rate: 20_000.0.into(), ..Default::default() }).label("fast")).unwrap_err();
        assert_model_invalid(&e, "fast", "rate");
        assert_mentions(&e, &["1/dt", "10000"]);
        let e = sim.create(Population::new(2, SpikeSourcePoisson { rate: (-1.0).into(), ..Default::default() }).label("neg")).unwrap_err();
        assert_model_invalid(&e, "neg", "rate");
        let e =
            sim.create(Population::new(2, SpikeSourcePoisson { start: f64::NAN.into(), ..Default::default() }).label("start")).unwrap_err();
        assert_model_invalid(&e, "start", "start");
    }
}

#[test]
fn bad_current_sources() {
    let cases: Vec<(CurrentSource, &str, &str)> = vec![
        (CurrentSource::step(vec![5.0, 5.0, 10.0], vec![0.1, 0.2, 0.3]), ".times", "strictly increasing"),
        (CurrentSource::step(vec![10.0, 5.0], vec![0.1, 0.2]), ".times", "strictly increasing"),
        (CurrentSource::step(vec![1.0, 2.0], vec![0.1]), ".amplitudes", "one value per time"),
        (CurrentSource::step(vec![-1.0], vec![0.1]), ".times", "≥ 0"),
        (CurrentSource::dc_between(0.1, 10.0, 5.0), ".stop", "≥ start"),
        (CurrentSource::dc(f64::NAN), ".amplitude", "finite"),
        (CurrentSource::noisy(0.0, -1.0, 0.0, 10.0, None), ".stdev", "≥ 0"),
        (CurrentSource::noisy(0.0, 1.0, 0.0, 10.0, Some(0.15)), ".dt", "multiple"),
    ];
    for backend in BACKENDS {
        for (src, field, rule) in &cases {
            let mut sim = new_sim(backend);
            let pop = sim.create(Population::new(3, IfCurrExp::default()).label("cells")).unwrap();
            let e = match sim.inject(src.clone(), pop) {
                Err(e) => e,
                Ok(()) => sim.run(1.0).unwrap_err(),
            };
            match &e {
                Error::Build(BuildError::Invalid { what, .. }) | Error::Invalid { what, .. } => {
                    assert!(what.contains(src.name()) && what.contains("cells") && what.ends_with(field), "{e}");
                }
                other => panic!("expected an invalid-field error, got {other:?}"),
            }
            assert_mentions(&e, &[rule]);
        }
    }
}

/// A device with a 1 MiB storage-binding limit on the adapter the tests use.
fn small_gpu() -> GpuContext {
    gpu_with_binding_limit(1 << 20)
}

#[test]
fn buffers_beyond_the_device_limit_are_reported() {
    let ctx = small_gpu();
    let limit = 1u64 << 20;
    let gpu = |ctx: &GpuContext| Simulation::builder().dt(0.1).backend(Backend::Gpu).gpu_context(ctx.clone()).build().unwrap();

    // Ring: (200 + 1) slots × 2 channels × 1056 neurons (padded) × 4 bytes = 1.6 MiB.
    let mut sim = gpu(&ctx);
    let src = sim.create(Population::new(1000, SpikeSourcePoisson { rate: 10.0.into(), ..Default::default() })).unwrap();
    let dst = sim.create(Population::new(24, IfCurrExp::default())).unwrap();
    sim.connect(Projection::new(src, dst, Connector::fixed_total_number(10), StaticSynapse::new(0.1, 20.0))).unwrap();
    let e = sim.run(1.0).unwrap_err();
    let ring_bytes = 201 * 2 * (1024 + 32) * 4; // populations start at multiples of 32
    assert_eq!(e, Error::Engine(EngineError::BufferTooLarge { buffer: "spikeflow.ring".into(), bytes: ring_bytes, limit }));
    assert_mentions(&e, &["spikeflow.ring", &ring_bytes.to_string(), &limit.to_string(), "max_storage_buffer_binding_size"]);

    // Synapses: 600 × 600 all-to-all = 360,000 synapses × 8 bytes = 2.88 MB, more than one
    // binding: split at row boundaries into 3 buffers (218 rows of 600 synapses fit in 1 MiB), and
    // the spikes are exactly the CPU back end's.
    let spikes_of = |mut sim: Simulation| {
        let a = sim.create(Population::new(600, IfCurrExp { i_offset: 0.6.into(), ..Default::default() })).unwrap();
        let drive = sim.create(Population::new(50, SpikeSourcePoisson { rate: 200.0.into(), ..Default::default() })).unwrap();
        let rec = sim.connect(Projection::new(a, a, Connector::all_to_all(), StaticSynapse::new(0.002, 1.0))).unwrap();
        let inp = sim.connect(Projection::new(drive, a, Connector::fixed_probability(0.2), StaticSynapse::new(0.5, 0.5))).unwrap();
        sim.record(a, &["spikes"]).unwrap();
        sim.run(20.0).unwrap();
        // New weights written across the buffers between runs (read back, changed, written).
        let n = sim.connections(rec).unwrap().len();
        sim.set_weights(rec, (0..n).map(|k| 0.0005 * (k % 5) as f64).collect::<Vec<_>>()).unwrap();
        sim.run(20.0).unwrap();
        let weights = [rec, inp].map(|p| sim.connections(p).unwrap().iter().map(|s| s.weight).collect::<Vec<_>>());
        (sim.get_data(a).unwrap(), weights)
    };
    let split = SynSplit::new(&(0..=650).map(|r| r.min(600) * 600).collect::<Vec<u32>>(), limit).unwrap();
    assert_eq!(split.n_buffers(), 3, "{split:?}");
    let expected = SynSplit {
        row_end: [218, 436, u32::MAX, u32::MAX],
        syn_base: [0, 130_800, 261_600, 360_000],
        syn_len: [130_800, 130_800, 98_400, 0],
    };
    assert_eq!(split, expected);
    // Empty rows before a row too large for a binding: the error names that row.
    let e = SynSplit::new(&[0, 0, 0, 5, 5], 16).unwrap_err();
    assert!(e.to_string().contains("presynaptic neuron 2, 5 synapses"), "{e}");
    let (gpu_spikes, gpu_weights) =
        spikes_of(Simulation::builder().dt(0.1).seed(7).backend(Backend::Gpu).gpu_context(ctx.clone()).build().unwrap());
    let (cpu_spikes, cpu_weights) = spikes_of(common::sim(Backend::Cpu, 0.1, 7).build().unwrap());
    assert!(cpu_spikes.spike_count() > 100, "too few spikes to compare: {}", cpu_spikes.spike_count());
    assert_eq!(gpu_spikes.spiketrains, cpu_spikes.spiketrains);
    assert_eq!(gpu_weights, cpu_weights);
    assert_eq!(cpu_weights[0].len(), 360_000);
    assert!(
        cpu_weights[0][..5].iter().zip([0.0, 0.0005, 0.001, 0.0015, 0.002]).all(|(w, e)| (w - e).abs() < 1e-6),
        "{:?}",
        &cpu_weights[0][..5]
    );

    // More than 4 buffers: 800 × 800 all-to-all = 640,000 synapses × 8 bytes, 163 rows per buffer.
    let mut sim = gpu(&ctx);
    let a = sim.create(Population::new(800, IfCurrExp::default())).unwrap();
    sim.connect(Projection::new(a, a, Connector::all_to_all(), StaticSynapse::with_weight(0.001))).unwrap();
    let e = sim.build_now().unwrap_err();
    match &e {
        Error::Engine(EngineError::BufferTooLarge { buffer, bytes, limit: l }) => {
            assert!(buffer.starts_with("spikeflow.synapses"), "{e}");
            assert_eq!((*bytes, *l), (640_000 * 8, limit), "{e}");
        }
        other => panic!("expected BufferTooLarge on the synapses, got {other:?}"),
    }
    assert_mentions(&e, &["spikeflow.synapses", "5120000", "1048576", "needs 5 buffers", "at most 4"]);

    // One row larger than a binding cannot be split: 12 projections from one source onto 32
    // cells give its row 384 synapses × 8 bytes = 3072 bytes > 2 KiB (the ring, 2 slots × 2
    // channels × 64 neurons × 4 bytes = 1 KiB, fits).
    let tiny = gpu_with_binding_limit(2048);
    let mut sim = gpu(&tiny);
    let a = sim.create(Population::new(1, SpikeSourcePoisson::default())).unwrap();
    let b = sim.create(Population::new(32, IfCurrExp::default())).unwrap();
    for _ in 0..12 {
        sim.connect(Projection::new(a, b, Connector::all_to_all(), StaticSynapse::with_weight(0.001))).unwrap();
    }
    let e = sim.build_now().unwrap_err();
    match &e {
        Error::Engine(EngineError::BufferTooLarge { buffer, bytes, limit: l }) => {
            assert!(buffer.starts_with("spikeflow.synapses"), "{e}");
            assert_eq!((*bytes, *l), (384 * 8, 2048), "{e}");
        }
        other => panic!("expected BufferTooLarge on the synapses, got {other:?}"),
    }
    assert_mentions(&e, &["spikeflow.synapses", "presynaptic neuron 0", "3072", "2048", "cannot be split"]);

    // The same device runs a network under the limit, and the CPU back end has no such limit.
    let mut sim = gpu(&ctx);
    let a = sim.create(Population::new(100, IfCurrExp { i_offset: 1.0.into(), ..Default::default() })).unwrap();
    sim.connect(Projection::new(a, a, Connector::fixed_probability(0.1), StaticSynapse::new(0.01, 2.0))).unwrap();
    sim.record(a, &["spikes"]).unwrap();
    sim.run(50.0).unwrap();
    assert!(sim.get_data(a).unwrap().spike_count() > 0);
    let mut cpu = new_sim(Backend::Cpu);
    let a = cpu.create(Population::new(600, IfCurrExp::default())).unwrap();
    cpu.connect(Projection::new(a, a, Connector::all_to_all(), StaticSynapse::with_weight(0.001))).unwrap();
    cpu.run(1.0).unwrap();
}

#[test]
fn non_finite_state_is_reported_with_population_and_neuron() {
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let _quiet = sim.create(Population::new(40, IfCurrExp::default()).label("quiet")).unwrap();
        // Neuron 3 gets a current so large that v_inf = I / g_L overflows f32: v becomes infinite
        // minus infinite = NaN in the first step.
        let mut i_offset = vec![0.0; 10];
        i_offset[3] = 1e38;
        i_offset[7] = 1e38;
        let hot = sim.create(Population::new(10, IfCondExp { i_offset: i_offset.into(), ..Default::default() }).label("hot")).unwrap();
        sim.record(hot, &["v"]).unwrap();
        let e = sim.run(5.0).unwrap_err();
        assert_eq!(e, Error::NotFinite { population: "hot".into(), neuron: 3, from: 0, to: 50 }, "{backend}");
        assert_mentions(&e, &["hot", "neuron 3", "NaN"]);
    }
}

#[test]
fn many_inputs_in_one_slot_do_not_overflow_the_fixed_point_accumulator() {
    // The fixed-point scale of a neuron's input is 2^e with e the largest exponent such that the
    // sum of all |weights| onto it stays ≤ i32::MAX. Rounding each weight to an integer may add
    // up to 1/2 per synapse; with 4 weights of (2^29 - 1/2) · 2^-40 the real sum is
    // 2^31 - 2 ≤ i32::MAX (so e = 40) but each weight rounds (ties to even) up to 2^29, and four
    // of them make 2^31: one more than i32::MAX. All four sources spike in the same step.
    let w = (536_870_911.5f64) * (-40f64).exp2();
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let src = sim.create(Population::new(4, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
        let dst = sim.create(Population::new(1, IfCurrExp { tau_syn_e: 5.0.into(), ..Default::default() }).label("dst")).unwrap();
        sim.connect(Projection::new(src, dst, Connector::all_to_all(), StaticSynapse::new(w, 0.1))).unwrap();
        sim.record(dst, &["isyn_exc"]).unwrap();
        sim.run(2.0).unwrap_or_else(|e| panic!("{backend}: {e}"));
        // The input arrives at step 11 (spike at 1.0 ms + delay 0.1 ms): i_syn after that step
        // is the total weight times the decay of one step.
        let isyn = sim.get_data(dst).unwrap().signal("isyn_exc").unwrap().data[0].clone();
        let expected = 4.0 * w * (-0.1f64 / 5.0).exp();
        assert!(isyn[..=11].iter().all(|&x| x == 0.0), "{backend}: input before its arrival");
        assert!((f64::from(isyn[12]) - expected).abs() < 1e-6 * expected, "{backend}: isyn {} vs {expected}", isyn[12]);
    }
}

#[test]
fn weights_beyond_the_fixed_point_range_are_refused() {
    // Summed weights above ~2^90 onto one neuron cannot be represented by any fixed-point scale
    // (the coarsest is 2^-60): the build refuses them, naming the population and channel,
    // instead of clipping them.
    for backend in BACKENDS {
        let mut sim = new_sim(backend);
        let src = sim.create(Population::new(2, SpikeSourceArray::new(vec![1.0])).label("src")).unwrap();
        let dst = sim.create(Population::new(1, IfCurrExp::default()).label("dst")).unwrap();
        sim.connect(Projection::new(src, dst, Connector::all_to_all(), StaticSynapse::new(1e28, 0.1))).unwrap();
        let e = sim.run(2.0).unwrap_err();
        assert!(matches!(e, Error::Build(BuildError::Invalid { .. })), "{backend}: {e:?}");
        assert_mentions(&e, &["population 'dst'.excitatory inputs", "fixed-point range"]);
    }
}
