//! Connectivity construction by the `construct` kernel (issue 7, item 3):
//! * the GPU kernel and its host mirror give the same synapses, weights and delays, bit for
//!   bit, for every connector and distribution the kernel draws (with and without replacement,
//!   self-connections excluded, views, p = 1);
//! * the host mirror gives the same result on 1 thread and on many (items are independent);
//! * the draws have the distributions' moments, the connectors their counts;
//! * a network's connections are the same whichever back end built it.

mod common;
use common::*;
use spikeflow::engine::construct::GpuRunner;
use spikeflow::model::Param;
use spikeflow::network::construct::{execute, plan, Drawn, HostRunner};
use spikeflow::network::Connector;
use spikeflow::prelude::*;

fn drawn(
    connector: &Connector,
    weight: &Param,
    delay: &Param,
    pre: std::ops::Range<usize>,
    post: std::ops::Range<usize>,
    same: bool,
    runner: &dyn spikeflow::network::construct::ConstructRunner,
) -> Drawn {
    let pre: Vec<usize> = pre.collect();
    let post: Vec<usize> = post.collect();
    let p = plan(3, connector, weight, delay, &pre, &post, same, 42).expect("kernel-drawn").expect("valid");
    execute(&p, runner).expect("construct")
}

fn normal_clipped(mu: f64, sigma: f64, low: f64, high: f64) -> Param {
    Param::Random(RandomDistribution::normal_clipped(mu, sigma, low, high))
}

/// (connector, pre range, post range, same population) cases covering every kernel path.
fn cases() -> Vec<(Connector, std::ops::Range<usize>, std::ops::Range<usize>, bool)> {
    vec![
        (Connector::fixed_probability(0.05), 0..700, 0..500, false),
        (Connector::fixed_probability(0.1).allow_self_connections(false), 0..400, 0..400, true),
        (Connector::fixed_probability(1.0).allow_self_connections(false), 10..60, 30..90, true),
        (Connector::fixed_number_pre(25), 0..300, 0..200, false),
        (Connector::fixed_number_pre(30).allow_self_connections(false), 50..250, 0..300, true),
        (Connector::fixed_number_pre(40).with_replacement(true), 0..100, 0..150, false),
        (Connector::fixed_number_post(20).allow_self_connections(false), 0..250, 0..250, true),
        (Connector::fixed_number_post(60).with_replacement(true), 0..90, 0..80, false),
        (Connector::fixed_total_number(20_000), 0..500, 0..300, false),
        (Connector::fixed_total_number(5_000).allow_self_connections(false), 0..200, 100..300, true),
    ]
}

#[test]
fn gpu_kernel_and_host_mirror_draw_the_same_synapses() {
    let ctx = gpu();
    let gpu_runner = GpuRunner::new(&ctx).expect("construct pipeline");
    let host = HostRunner::default();
    let weights = [
        Param::Const(0.5),
        Param::Random(RandomDistribution::uniform(0.1, 0.9)),
        Param::Random(RandomDistribution::normal(1.0, 0.3)),
        normal_clipped(0.1, 0.1, 0.0, f64::INFINITY),
        Param::Random(RandomDistribution::NormalClippedToBoundary { mu: 0.2, sigma: 0.5, low: 0.0, high: 0.4 }),
        Param::Random(RandomDistribution::exponential(0.3)),
        Param::Random(RandomDistribution::Lognormal { mu: -1.0, sigma: 0.5 }),
        Param::Random(RandomDistribution::uniform_int(1, 7)),
    ];
    let delay = normal_clipped(1.5, 0.75, 0.1, f64::INFINITY);
    let mut total = 0;
    for (k, (conn, pre, post, same)) in cases().into_iter().enumerate() {
        let w = &weights[k % weights.len()];
        let a = drawn(&conn, w, &delay, pre.clone(), post.clone(), same, &host);
        let b = drawn(&conn, w, &delay, pre, post, same, &gpu_runner);
        assert!(!a.gen.pairs.is_empty(), "case {k}: no synapses");
        assert_eq!(a.gen.pairs, b.gen.pairs, "case {k} ({conn:?}): pairs differ");
        let bits = |v: &Option<Vec<f64>>| v.as_ref().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
        assert_eq!(bits(&a.w), bits(&b.w), "case {k} ({conn:?}, {w:?}): weights differ");
        assert_eq!(bits(&a.d), bits(&b.d), "case {k} ({conn:?}): delays differ");
        total += a.gen.pairs.len();
    }
    assert!(total > 50_000, "{total} synapses compared");
}

#[test]
fn gpu_batches_give_the_same_synapses_as_one_dispatch() {
    // Batches of at most 1000 synapses: rows of FixedProbability split at item boundaries,
    // FixedNumberPre columns and FixedTotalNumber synapses in many dispatches.
    let ctx = gpu();
    let small = GpuRunner::new(&ctx).expect("construct pipeline").with_max_batch(1000);
    let host = HostRunner::default();
    let w = normal_clipped(0.5, 0.2, 0.0, 1.0);
    let d = Param::Random(RandomDistribution::uniform(0.5, 2.0));
    for (conn, pre, post, same) in cases() {
        let a = drawn(&conn, &w, &d, pre.clone(), post.clone(), same, &host);
        let b = drawn(&conn, &w, &d, pre, post, same, &small);
        assert_eq!(a.gen.pairs, b.gen.pairs, "{conn:?}");
        assert_eq!(a.w, b.w, "{conn:?}");
        assert_eq!(a.d, b.d, "{conn:?}");
    }
}

#[test]
fn host_mirror_is_the_same_on_any_number_of_threads() {
    for (conn, pre, post, same) in cases() {
        let w = normal_clipped(0.5, 0.2, 0.0, 1.0);
        let d = Param::Random(RandomDistribution::uniform(0.5, 2.0));
        let one = drawn(&conn, &w, &d, pre.clone(), post.clone(), same, &HostRunner { threads: 1 });
        let many = drawn(&conn, &w, &d, pre, post, same, &HostRunner { threads: 7 });
        assert_eq!(one.gen.pairs, many.gen.pairs, "{conn:?}");
        assert_eq!(one.w, many.w, "{conn:?}");
        assert_eq!(one.d, many.d, "{conn:?}");
    }
}

#[test]
fn connectors_have_their_counts_and_draws_their_moments() {
    let host = HostRunner::default();
    let none = Param::Const(1.0);
    // FixedProbability: binomial count within 5 sigma; no self pairs when excluded.
    let (n, p) = (2000usize, 0.02);
    let d = drawn(&Connector::fixed_probability(p).allow_self_connections(false), &none, &none, 0..n, 0..n, true, &host);
    let trials = (n * (n - 1)) as f64;
    let m = d.gen.pairs.len() as f64;
    assert!((m - p * trials).abs() < 5.0 * (p * (1.0 - p) * trials).sqrt(), "FixedProbability: {m} pairs, expected {}", p * trials);
    assert!(d.gen.pairs.iter().all(|&(i, j)| i != j), "self pair drawn");
    assert!(d.gen.pairs.windows(2).all(|w| w[0] < w[1]), "rows grouped by pre, targets ascending, no duplicates");
    // FixedNumberPre without replacement: in-degree exactly n, distinct sources.
    let d = drawn(&Connector::fixed_number_pre(50).allow_self_connections(false), &none, &none, 0..300, 0..300, true, &host);
    let mut sources = vec![Vec::new(); 300];
    for &(i, j) in &d.gen.pairs {
        sources[j as usize].push(i);
    }
    for (j, s) in sources.iter_mut().enumerate() {
        assert_eq!(s.len(), 50, "in-degree of {j}");
        assert!(!s.contains(&(j as u32)), "self connection of {j}");
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 50, "duplicate source of {j}");
    }
    // FixedTotalNumber: exactly n, grouped by pre; uniform pre marginal (chi-square-ish bound).
    let d = drawn(&Connector::fixed_total_number(100_000), &none, &none, 0..100, 0..100, false, &host);
    assert_eq!(d.gen.pairs.len(), 100_000);
    assert!(d.gen.pairs.windows(2).all(|w| w[0].0 <= w[1].0));
    let mut per_pre = [0usize; 100];
    d.gen.pairs.iter().for_each(|&(i, _)| per_pre[i as usize] += 1);
    assert!(per_pre.iter().all(|&c| (c as f64 - 1000.0).abs() < 5.0 * 1000f64.sqrt()), "{per_pre:?}");
    // Without self-connections the n pairs are uniform over the allowed pairs: pre 0..20 onto
    // post 10..12 of the same population, rows 10 and 11 have one allowed partner, the others
    // two, so their expected counts are 1000 and 2000; each allowed pair gets ~1000.
    let d = drawn(&Connector::fixed_total_number(38_000).allow_self_connections(false), &none, &none, 0..20, 10..12, true, &host);
    assert_eq!(d.gen.pairs.len(), 38_000);
    let mut per_pair = [[0usize; 2]; 20];
    for &(i, j) in &d.gen.pairs {
        assert_ne!(i, j + 10, "self pair drawn");
        per_pair[i as usize][j as usize] += 1;
    }
    for (i, row) in per_pair.iter().enumerate() {
        for (j, &c) in row.iter().enumerate() {
            if i == j + 10 {
                continue;
            }
            assert!((c as f64 - 1000.0).abs() < 5.0 * 1000f64.sqrt(), "pair ({i}, {j}): {c} of 38000");
        }
    }
    // Distributions: mean and standard deviation of 1e5 draws.
    let moments = |w: Param| {
        let d = drawn(&Connector::fixed_total_number(100_000), &w, &none, 0..10, 0..10, false, &host);
        let v = d.w.expect("drawn weights");
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        (mean, sd, v)
    };
    let n = 100_000f64;
    for (w, mu, sigma) in [
        (Param::Random(RandomDistribution::normal(-2.0, 0.5)), -2.0, 0.5),
        (Param::Random(RandomDistribution::uniform(1.0, 3.0)), 2.0, 2.0 / 12f64.sqrt()),
        (Param::Random(RandomDistribution::exponential(0.7)), 0.7, 0.7),
        (Param::Random(RandomDistribution::uniform_int(0, 9)), 4.5, (99.0f64 / 12.0).sqrt()),
    ] {
        let (mean, sd, _) = moments(w.clone());
        assert!((mean - mu).abs() < 5.0 * sigma / n.sqrt(), "{w:?}: mean {mean} vs {mu}");
        assert!((sd - sigma).abs() / sigma < 0.02, "{w:?}: sd {sd} vs {sigma}");
    }
    // Clipped normal: redrawn into the bounds; the mean of N(1, 1) truncated to [0, ∞) is
    // 1 + φ(1)/Φ(1) = 1.2876.
    let (mean, _, v) = moments(normal_clipped(1.0, 1.0, 0.0, f64::INFINITY));
    assert!(v.iter().all(|&x| x >= 0.0));
    assert!((mean - 1.2876).abs() < 0.01, "truncated normal mean {mean}");
}

#[test]
fn a_network_has_the_same_connections_on_both_back_ends() {
    let mut per_backend = Vec::new();
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 9).build().unwrap();
        let a = sim.create(Population::new(400, IfCondExp::default())).unwrap();
        let b = sim.create(Population::new(300, IfCondExp::default())).unwrap();
        let w = RandomDistribution::normal_clipped(0.004, 0.001, 0.0, f64::INFINITY);
        let d = RandomDistribution::uniform(0.5, 3.0);
        let p1 = sim.connect(Projection::new(a, b, Connector::fixed_probability(0.1), StaticSynapse::new(w.clone(), d.clone()))).unwrap();
        let p2 = sim
            .connect(Projection::new(b, a, Connector::fixed_number_pre(20), StaticSynapse::new(w, d)).receptor(Receptor::Inhibitory))
            .unwrap();
        per_backend.push((sim.connections(p1).unwrap(), sim.connections(p2).unwrap()));
    }
    assert!(per_backend[0].0.len() > 10_000);
    assert_eq!(per_backend[0], per_backend[1], "CPU-built and GPU-built connections differ");
}

#[test]
fn gpu_kernel_and_host_mirror_count_the_same_stats() {
    // The count and stats passes of kernel assembly: synapses per row and per post position
    // and the weights' and delays' ranges, for every kernel-drawn case.
    use spikeflow::network::construct::{row_counts, row_offsets, ConstructRunner, StatsJob};
    let ctx = gpu();
    let gpu_runner = GpuRunner::new(&ctx).expect("construct pipeline");
    let host = HostRunner::default();
    let w = Param::Random(RandomDistribution::normal(0.5, 0.2));
    let d = normal_clipped(1.5, 0.75, 0.1, f64::INFINITY);
    for (conn, pre, post, same) in cases() {
        let (pre, post): (Vec<usize>, Vec<usize>) = (pre.collect(), post.collect());
        let p = plan(3, &conn, &w, &d, &pre, &post, same, 42).expect("kernel-drawn").expect("valid");
        let (c, rows) = row_counts(&p, &host).unwrap();
        let (_, gpu_rows) = row_counts(&p, &gpu_runner).unwrap();
        assert_eq!(rows, gpu_rows, "{conn:?}: row counts differ");
        let (offsets, m) = row_offsets(&rows).unwrap();
        let job = StatsJob::new(c, &offsets, &rows);
        let a = host.stats(&c, job.offsets, job.counts).unwrap();
        let b = gpu_runner.stats(&c, job.offsets, job.counts).unwrap();
        assert_eq!(a, b, "{conn:?}: stats differ");
        assert_eq!(a[4..].iter().map(|&k| u64::from(k)).sum::<u64>(), m, "{conn:?}: every synapse counted once");
        assert!(m > 0, "{conn:?}: no synapses");
    }
}
