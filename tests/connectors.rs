//! Connectors, checked on what the network was built with (`Simulation::connections`: pre and
//! post indices within their populations, weights and delays as stored):
//! * statistics of the random connectors (binomial bounds at 5 sigma),
//! * exact counts of the fixed-number connectors, with and without replacement,
//! * self-connections, OneToOne, AllToAll, FromList with per-connection weights and delays,
//! * connectors on population views (slices and index lists),
//! * reproducibility by seed, random weights and delays within range and on the dt grid,
//! * identical connections on the CPU and GPU back ends.

mod common;
use common::*;
use spikeflow::network::{Connection, SynapseRecord};
use spikeflow::prelude::*;
use std::collections::BTreeSet;

/// Build a network of `n_pre` spike sources (or, when `recurrent`, one population) and
/// `n_post` neurons with one projection, and return its synapses.
fn connect(backend: Backend, seed: u64, n_pre: usize, n_post: usize, recurrent: bool, conn: Connector) -> Vec<SynapseRecord> {
    let mut sim = sim(backend, 0.1, seed).build().unwrap();
    let post = sim.create(Population::new(n_post, IfCurrExp::default())).unwrap();
    let pre = if recurrent { post } else { sim.create(Population::new(n_pre, SpikeSourcePoisson::default())).unwrap() };
    let proj = sim.connect(Projection::new(pre, post, conn, StaticSynapse::new(0.1, 1.0))).unwrap();
    sim.connections(proj).unwrap()
}

fn in_degrees(syn: &[SynapseRecord], n_post: usize) -> Vec<usize> {
    let mut d = vec![0; n_post];
    for s in syn {
        d[s.post as usize] += 1;
    }
    d
}

fn out_degrees(syn: &[SynapseRecord], n_pre: usize) -> Vec<usize> {
    let mut d = vec![0; n_pre];
    for s in syn {
        d[s.pre as usize] += 1;
    }
    d
}

fn pairs(syn: &[SynapseRecord]) -> Vec<(u32, u32)> {
    syn.iter().map(|s| (s.pre, s.post)).collect()
}

fn distinct_pairs(syn: &[SynapseRecord]) -> usize {
    pairs(syn).into_iter().collect::<BTreeSet<_>>().len()
}

/// |x - mean| ≤ 5 sigma of a binomial(n, p).
fn assert_binomial(x: usize, n: usize, p: f64, what: &str) {
    let (mean, sd) = (n as f64 * p, (n as f64 * p * (1.0 - p)).sqrt());
    assert!((x as f64 - mean).abs() <= 5.0 * sd, "{what}: {x} vs binomial mean {mean} ± 5·{sd:.1}");
}

#[test]
fn fixed_probability_counts_are_binomial() {
    for backend in BACKENDS {
        let (np, nq, p) = (200, 300, 0.1);
        let syn = connect(backend, 3, np, nq, false, Connector::fixed_probability(p));
        assert_binomial(syn.len(), np * nq, p, &format!("{backend}: total"));
        assert_eq!(distinct_pairs(&syn), syn.len(), "{backend}: a pair connected twice");
        assert!(syn.iter().all(|s| (s.pre as usize) < np && (s.post as usize) < nq));
        // Spread evenly: each half of the pre and of the post population gets its share.
        let first_pre = syn.iter().filter(|s| (s.pre as usize) < np / 2).count();
        assert_binomial(first_pre, np * nq / 2, p, &format!("{backend}: pre 0..100"));
        let first_post = syn.iter().filter(|s| (s.post as usize) < nq / 2).count();
        assert_binomial(first_post, np * nq / 2, p, &format!("{backend}: post 0..150"));
        // In-degrees: binomial(200, 0.1) each, mean 20; their variance too (sd 4.24 → var 18).
        let d = in_degrees(&syn, nq);
        let m = d.iter().sum::<usize>() as f64 / nq as f64;
        let var = d.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>() / (nq - 1) as f64;
        assert!((var - 18.0).abs() < 6.0, "{backend}: in-degree variance {var} vs 18");

        // p = 0 and p = 1.
        assert!(connect(backend, 3, 20, 30, false, Connector::fixed_probability(0.0)).is_empty());
        assert_eq!(connect(backend, 3, 20, 30, false, Connector::fixed_probability(1.0)).len(), 600);
    }
}

#[test]
fn self_connections() {
    for backend in BACKENDS {
        let n = 100;
        let no_self = connect(backend, 4, n, n, true, Connector::fixed_probability(0.5).allow_self_connections(false));
        assert!(no_self.iter().all(|s| s.pre != s.post), "{backend}: a self-connection with allow_self_connections(false)");
        assert_binomial(no_self.len(), n * (n - 1), 0.5, &format!("{backend}: recurrent p=0.5 without self"));

        let with_self = connect(backend, 4, 50, 50, true, Connector::all_to_all());
        assert_eq!(with_self.len(), 2500);
        assert_eq!(with_self.iter().filter(|s| s.pre == s.post).count(), 50, "{backend}: all self-connections present");
        let without = connect(backend, 4, 50, 50, true, Connector::all_to_all().allow_self_connections(false));
        assert_eq!(without.len(), 2450);
        assert!(without.iter().all(|s| s.pre != s.post));

        for conn in [
            Connector::fixed_number_pre(10).allow_self_connections(false),
            Connector::fixed_number_post(10).allow_self_connections(false),
            Connector::fixed_total_number(2000).allow_self_connections(false),
        ] {
            let name = conn.name();
            let syn = connect(backend, 4, 40, 40, true, conn);
            assert!(syn.iter().all(|s| s.pre != s.post), "{backend}: {name} made a self-connection");
        }
        // Between two populations, equal indices are not self-connections.
        let two = connect(backend, 4, 30, 30, false, Connector::all_to_all().allow_self_connections(false));
        assert_eq!(two.len(), 900, "{backend}: allow_self_connections(false) must only matter within one population");
    }
}

#[test]
fn fixed_number_connectors_have_exact_degrees() {
    for backend in BACKENDS {
        // FixedNumberPre: in-degree exactly n, distinct pres per post without replacement.
        let syn = connect(backend, 5, 50, 40, false, Connector::fixed_number_pre(7));
        assert_eq!(in_degrees(&syn, 40), vec![7; 40], "{backend}");
        assert_eq!(distinct_pairs(&syn), syn.len(), "{backend}: duplicate pre for one post without replacement");
        // All pres are used about equally: 280 draws over 50 pres, none should take most.
        assert!(out_degrees(&syn, 50).iter().all(|&d| d < 20), "{backend}: skewed pre choice");
        // n = all pres without replacement: every pair once.
        let all = connect(backend, 5, 12, 9, false, Connector::fixed_number_pre(12));
        assert_eq!(distinct_pairs(&all), 108);

        // With replacement: n may exceed the pre population; duplicates must appear.
        let rep = connect(backend, 5, 10, 20, false, Connector::fixed_number_pre(15).with_replacement(true));
        assert_eq!(in_degrees(&rep, 20), vec![15; 20], "{backend}");
        assert!(distinct_pairs(&rep) < rep.len(), "{backend}: 15 draws from 10 pres without a repeat");

        // FixedNumberPost: out-degree exactly n, distinct posts per pre.
        let syn = connect(backend, 5, 30, 60, false, Connector::fixed_number_post(11));
        assert_eq!(out_degrees(&syn, 30), vec![11; 30], "{backend}");
        assert_eq!(distinct_pairs(&syn), syn.len(), "{backend}: duplicate post for one pre");
        let rep = connect(backend, 5, 30, 8, false, Connector::fixed_number_post(12).with_replacement(true));
        assert_eq!(out_degrees(&rep, 30), vec![12; 30]);

        // FixedTotalNumber: exact total; with replacement (default) multapses are allowed, and
        // more connections than pairs are possible.
        let syn = connect(backend, 5, 20, 30, false, Connector::fixed_total_number(1000));
        assert_eq!(syn.len(), 1000, "{backend}");
        assert!(distinct_pairs(&syn) <= 600, "{backend}: 1000 draws of 600 pairs must repeat");
        let syn = connect(backend, 5, 20, 30, false, Connector::fixed_total_number(300).with_replacement(false));
        assert_eq!(syn.len(), 300);
        assert_eq!(distinct_pairs(&syn), 300, "{backend}: repeated pair without replacement");
        // Uniform over pairs: of 4000 draws, each half of the pre population gets ~2000.
        let big = connect(backend, 6, 20, 30, false, Connector::fixed_total_number(4000));
        assert_binomial(big.iter().filter(|s| s.pre < 10).count(), 4000, 0.5, &format!("{backend}: FixedTotalNumber pre halves"));
    }
}

#[test]
fn one_to_one_all_to_all_and_from_list() {
    for backend in BACKENDS {
        let syn = connect(backend, 1, 50, 50, false, Connector::OneToOne);
        assert_eq!(pairs(&syn), (0..50).map(|i| (i, i)).collect::<Vec<_>>(), "{backend}");

        let syn = connect(backend, 1, 13, 17, false, Connector::all_to_all());
        let expected: BTreeSet<(u32, u32)> = (0..13).flat_map(|i| (0..17).map(move |j| (i, j))).collect();
        assert_eq!(syn.len(), 221);
        assert_eq!(pairs(&syn).into_iter().collect::<BTreeSet<_>>(), expected);

        // FromList: exactly the listed pairs (a pair may be listed twice), with per-connection
        // weights and delays where given and the synapse's (0.3 nA, 2.0 ms) elsewhere.
        let list = vec![
            Connection { pre: 4, post: 1, weight: Some(0.7), delay: Some(0.5) },
            Connection { pre: 0, post: 3, weight: None, delay: Some(1.3) },
            Connection { pre: 2, post: 2, weight: Some(0.05), delay: None },
            Connection { pre: 0, post: 0, weight: None, delay: None },
            Connection { pre: 4, post: 1, weight: Some(0.2), delay: Some(3.0) },
        ];
        let mut sim = sim(backend, 0.1, 1).build().unwrap();
        let pre = sim.create(Population::new(5, SpikeSourcePoisson::default())).unwrap();
        let post = sim.create(Population::new(4, IfCurrExp::default())).unwrap();
        let proj =
            sim.connect(Projection::new(pre, post, Connector::FromList { conn_list: list.clone() }, StaticSynapse::new(0.3, 2.0))).unwrap();
        let got = sim.connections(proj).unwrap();
        assert_eq!(got.len(), list.len(), "{backend}");
        let key = |pre: usize, post: usize, w: f64, d: f64| (pre, post, (w * 1e6).round() as i64, (d * 1e6).round() as i64);
        let mut want: Vec<_> = list.iter().map(|c| key(c.pre, c.post, c.weight.unwrap_or(0.3), c.delay.unwrap_or(2.0))).collect();
        let mut have: Vec<_> = got.iter().map(|s| key(s.pre as usize, s.post as usize, s.weight, s.delay)).collect();
        want.sort_unstable();
        have.sort_unstable();
        assert_eq!(have, want, "{backend}: FromList connections");
        // Stored weights are fixed point: within one part in 2^30 of the given value.
        for s in &got {
            let given = list
                .iter()
                .filter(|c| c.pre == s.pre as usize && c.post == s.post as usize)
                .map(|c| c.weight.unwrap_or(0.3))
                .map(|w| (w - s.weight).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(given < 1e-9, "{backend}: weight {} off by {given}", s.weight);
        }
    }
}

#[test]
fn connectors_on_views_only_touch_the_view() {
    for backend in BACKENDS {
        let mut sim = sim(backend, 0.1, 8).build().unwrap();
        let a = sim.create(Population::new(40, IfCurrExp::default())).unwrap();
        let b = sim.create(Population::new(50, IfCurrExp::default())).unwrap();
        let post_idx = vec![3usize, 7, 11, 40, 49];
        let syn = StaticSynapse::new(0.1, 1.0);
        let p1 = sim.connect(Projection::new(a.slice(10..20), b.view(post_idx.clone()), Connector::all_to_all(), syn.clone())).unwrap();
        let p2 = sim.connect(Projection::new(a.slice(10..20), b.slice(25..45), Connector::fixed_probability(0.5), syn.clone())).unwrap();
        let p3 = sim.connect(Projection::new(b.view([1, 3, 5]), a.view([39, 0, 17]), Connector::OneToOne, syn.clone())).unwrap();
        let p4 = sim.connect(Projection::new(a.view([5, 9, 2]), a.view([2, 30, 31]), Connector::OneToOne, syn.clone())).unwrap();
        let p5 = sim.connect(Projection::new(a.slice(0..10), a.slice(5..15), Connector::fixed_number_pre(4), syn.clone())).unwrap();
        let p6 = sim
            .connect(Projection::new(a.slice(0..10), a.slice(5..15), Connector::all_to_all().allow_self_connections(false), syn.clone()))
            .unwrap();
        let p7 = sim
            .connect(Projection::new(a.view([8, 6]), b.view([30, 20]), Connector::from_list([(0, 1), (1, 0), (1, 1)]), syn.clone()))
            .unwrap();

        let s1 = sim.connections(p1).unwrap();
        let want: BTreeSet<(u32, u32)> = (10..20).flat_map(|i| post_idx.iter().map(move |&j| (i, j as u32))).collect();
        assert_eq!(pairs(&s1).into_iter().collect::<BTreeSet<_>>(), want, "{backend}: AllToAll on views");
        assert_eq!(s1.len(), 50);

        let s2 = sim.connections(p2).unwrap();
        assert!(s2.iter().all(|s| (10..20).contains(&s.pre) && (25..45).contains(&s.post)), "{backend}: outside the views");
        assert_binomial(s2.len(), 200, 0.5, &format!("{backend}: p=0.5 on 10×20 views"));

        // OneToOne pairs the views position by position.
        let s3 = sim.connections(p3).unwrap();
        assert_eq!(pairs(&s3).into_iter().collect::<BTreeSet<_>>(), BTreeSet::from([(1, 39), (3, 0), (5, 17)]), "{backend}");
        assert_eq!(s3.len(), 3);
        let s4 = sim.connections(p4).unwrap();
        assert_eq!(pairs(&s4).into_iter().collect::<BTreeSet<_>>(), BTreeSet::from([(5, 2), (9, 30), (2, 31)]));

        // FixedNumberPre on overlapping slices of one population: 4 pres from 0..10 per post in 5..15.
        let s5 = sim.connections(p5).unwrap();
        assert!(s5.iter().all(|s| s.pre < 10 && (5..15).contains(&s.post)));
        let d = in_degrees(&s5, 40);
        assert!((5..15).all(|j| d[j] == 4) && d.iter().sum::<usize>() == 40, "{backend}: in-degrees {d:?}");

        // Self-connections are the same neuron, whatever its position in each view.
        let s6 = sim.connections(p6).unwrap();
        assert_eq!(s6.len(), 100 - 5, "{backend}: neurons 5..10 are in both views");
        assert!(s6.iter().all(|s| s.pre != s.post));

        // FromList indices are positions within the views.
        let s7 = sim.connections(p7).unwrap();
        assert_eq!(pairs(&s7).into_iter().collect::<BTreeSet<_>>(), BTreeSet::from([(8, 20), (6, 30), (6, 20)]));
    }
}

/// A random network's connections (weights and delays random too).
fn random_network(backend: Backend, seed: u64) -> Vec<Vec<SynapseRecord>> {
    let mut sim = sim(backend, 0.1, seed).build().unwrap();
    let src = sim.create(Population::new(100, SpikeSourcePoisson::default())).unwrap();
    let exc = sim.create(Population::new(150, IfCurrExp::default())).unwrap();
    let inh = sim.create(Population::new(60, IfCondExp::default())).unwrap();
    let w = || Param::from(RandomDistribution::uniform(0.1, 0.5));
    let d = || Param::from(RandomDistribution::uniform(0.2, 3.0));
    let projs = [
        sim.connect(Projection::new(src, exc, Connector::fixed_probability(0.1), StaticSynapse::new(w(), d()))).unwrap(),
        sim.connect(Projection::new(exc, exc, Connector::fixed_number_pre(10).allow_self_connections(false), StaticSynapse::new(w(), d())))
            .unwrap(),
        sim.connect(Projection::new(exc, inh, Connector::fixed_number_post(5), StaticSynapse::new(w(), d()))).unwrap(),
        sim.connect(
            Projection::new(inh, exc, Connector::fixed_total_number(500), StaticSynapse::new(RandomDistribution::uniform(-0.5, -0.1), d()))
                .receptor(Receptor::Inhibitory),
        )
        .unwrap(),
    ];
    projs.iter().map(|&p| sim.connections(p).unwrap()).collect()
}

#[test]
fn same_seed_same_connections_other_seed_other_connections() {
    for backend in BACKENDS {
        let a = random_network(backend, 21);
        let b = random_network(backend, 21);
        let c = random_network(backend, 22);
        assert_eq!(a, b, "{backend}: same seed, different connections");
        for (k, (x, y)) in a.iter().zip(&c).enumerate() {
            assert_ne!(pairs(x), pairs(y), "{backend}: projection {k}: another seed gave the same pairs");
            let (wx, wy): (Vec<f64>, Vec<f64>) = (x.iter().map(|s| s.weight).collect(), y.iter().map(|s| s.weight).collect());
            assert_ne!(wx, wy, "{backend}: projection {k}: another seed gave the same weights");
        }
    }
}

#[test]
fn random_weights_and_delays_stay_in_range_on_the_dt_grid() {
    for backend in BACKENDS {
        let projs = random_network(backend, 31);
        let dt = 0.1;
        for (k, syn) in projs.iter().enumerate() {
            assert!(!syn.is_empty());
            let (lo, hi) = if k == 3 { (-0.5, -0.1) } else { (0.1, 0.5) };
            // Weights: in [lo, hi) up to the fixed-point quantum.
            for s in syn {
                assert!(
                    s.weight >= lo - 1e-9 && s.weight <= hi + 1e-9,
                    "{backend}: projection {k}: weight {} outside [{lo}, {hi})",
                    s.weight
                );
                let steps = s.delay / dt;
                assert!((steps - steps.round()).abs() < 1e-9, "{backend}: delay {} not a multiple of dt", s.delay);
                // uniform(0.2, 3.0) rounded to the nearest step: 2..=30 steps.
                assert!((2.0..=30.0).contains(&steps.round()), "{backend}: delay {} outside [0.2, 3.0]", s.delay);
            }
            // They are actually random: many distinct values spread over the range.
            let wset: BTreeSet<i64> = syn.iter().map(|s| (s.weight * 1e9) as i64).collect();
            let dset: BTreeSet<i64> = syn.iter().map(|s| (s.delay / dt).round() as i64).collect();
            assert!(wset.len() > syn.len() / 2, "{backend}: projection {k}: weights not random");
            assert!(dset.len() >= 25, "{backend}: projection {k}: only {} distinct delays", dset.len());
            let mean_w = syn.iter().map(|s| s.weight).sum::<f64>() / syn.len() as f64;
            let sd = (hi - lo) / 12f64.sqrt() / (syn.len() as f64).sqrt();
            assert!((mean_w - (lo + hi) / 2.0).abs() < 5.0 * sd, "{backend}: projection {k}: mean weight {mean_w}");
        }
    }
}

#[test]
fn cpu_and_gpu_build_identical_connections() {
    let cpu = random_network(Backend::Cpu, 41);
    let gpu = random_network(Backend::Gpu, 41);
    assert_eq!(cpu.len(), gpu.len());
    for (k, (a, b)) in cpu.iter().zip(&gpu).enumerate() {
        assert!(!a.is_empty());
        assert_eq!(a, b, "projection {k}: CPU and GPU connections differ");
    }
    // And the degree structure is what the connectors promise, on both.
    for projs in [&cpu, &gpu] {
        assert_eq!(in_degrees(&projs[1], 150), vec![10; 150]);
        assert_eq!(out_degrees(&projs[2], 150), vec![5; 150]);
        assert_eq!(projs[3].len(), 500);
    }
}
