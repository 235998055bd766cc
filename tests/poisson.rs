//! SpikeSourcePoisson on both back ends:
//! * 2000 sources × 1 s: the total count within 3 % of rate · N · T (its standard deviation is
//!   0.5 % at 20 Hz, so 3 % is 6 sigma);
//! * no spike before `start` or at/after `start + duration` (spikes are stamped at the end of
//!   their step: times lie in (start, start + duration]);
//! * per-neuron rates from a parameter array;
//! * inter-spike intervals: coefficient of variation near 1 and the exponential tail, with the
//!   bias of a finite observation window computed analytically;
//! * identical spike trains on the CPU and GPU back ends.

mod common;
use common::*;
use spikeflow::prelude::*;
use spikeflow::SpikeTrain;
use std::sync::OnceLock;

const RATE: f64 = 20.0;
const N: usize = 2000;
const T: f64 = 1000.0;
const DT: f64 = 0.1;

struct Outcome {
    steady: Vec<SpikeTrain>,
    window: Vec<SpikeTrain>,
    graded: Vec<SpikeTrain>,
}

fn simulate(backend: Backend) -> Outcome {
    let mut sim = sim(backend, DT, 99).build().unwrap();
    let steady = sim.create(Population::new(N, SpikeSourcePoisson { rate: RATE.into(), ..Default::default() }).label("steady")).unwrap();
    let window = sim
        .create(
            Population::new(500, SpikeSourcePoisson { rate: 100.0.into(), start: 200.0.into(), duration: 300.0.into() }).label("window"),
        )
        .unwrap();
    // Neuron i fires at 10·(i % 10 + 1) Hz.
    let rates: Vec<f64> = (0..500).map(|i| 10.0 * (i % 10 + 1) as f64).collect();
    let graded = sim.create(Population::new(500, SpikeSourcePoisson { rate: rates.into(), ..Default::default() }).label("graded")).unwrap();
    for p in [steady, window, graded] {
        sim.record(p, &["spikes"]).unwrap();
    }
    sim.run(T).unwrap();
    let get = |p| sim.get_data(p).unwrap().spiketrains;
    Outcome { steady: get(steady), window: get(window), graded: get(graded) }
}

/// One simulation per back end, shared by the tests of this file.
fn outcome(backend: Backend) -> &'static Outcome {
    static CPU: OnceLock<Outcome> = OnceLock::new();
    static GPU: OnceLock<Outcome> = OnceLock::new();
    match backend {
        Backend::Cpu => CPU.get_or_init(|| simulate(Backend::Cpu)),
        Backend::Gpu => GPU.get_or_init(|| simulate(Backend::Gpu)),
    }
}

fn count(trains: &[SpikeTrain]) -> usize {
    trains.iter().map(|s| s.times.len()).sum()
}

#[test]
fn rate_within_three_percent() {
    for backend in BACKENDS {
        let o = outcome(backend);
        assert_eq!(o.steady.len(), N);
        let expected = RATE * N as f64 * T / 1000.0;
        let got = count(&o.steady) as f64;
        assert!((got - expected).abs() < 0.03 * expected, "{backend}: {got} spikes vs {expected} expected");
        // Every source is active, and the counts per source are Poisson-like: variance ≈ mean (20).
        let per: Vec<f64> = o.steady.iter().map(|s| s.times.len() as f64).collect();
        let m = per.iter().sum::<f64>() / N as f64;
        let var = per.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (N - 1) as f64;
        assert!((var / m - 1.0).abs() < 0.15, "{backend}: Fano factor {}", var / m);
        // Spike times are on the dt grid, sorted, inside (0, T].
        for s in &o.steady {
            assert!(s.times.windows(2).all(|w| w[1] > w[0]), "{backend}: unsorted or repeated times");
            assert!(s.times.iter().all(|&t| t > 0.0 && t <= T + 1e-9 && ((t / DT) - (t / DT).round()).abs() < 1e-9));
        }
        // Graded rates: each rate class within 5 sigma of its expectation (50 sources × 1 s).
        for class in 0..10 {
            let rate = 10.0 * (class + 1) as f64;
            let n: usize = o.graded.iter().filter(|s| s.source_index % 10 == class).map(|s| s.times.len()).sum();
            let expected = rate * 50.0;
            assert!((n as f64 - expected).abs() < 5.0 * expected.sqrt(), "{backend}: {rate} Hz class: {n} vs {expected}");
        }
    }
}

#[test]
fn no_spikes_outside_start_and_duration() {
    for backend in BACKENDS {
        let o = outcome(backend);
        let all: Vec<f64> = o.window.iter().flat_map(|s| s.times.iter().copied()).collect();
        let (first, last) = all.iter().fold((f64::MAX, f64::MIN), |(a, b), &t| (a.min(t), b.max(t)));
        assert!(first > 200.0 - 1e-9, "{backend}: a spike at {first} ms, before start = 200 ms");
        assert!(last <= 500.0 + 1e-9, "{backend}: a spike at {last} ms, after start + duration = 500 ms");
        // Inside the window the rate is the nominal one: 500 × 100 Hz × 0.3 s = 15,000 (sd 122).
        let n = all.len() as f64;
        assert!((n - 15_000.0).abs() < 5.0 * 15_000f64.sqrt(), "{backend}: {n} spikes in the window");
        // And it fills the whole window: spikes in its first and last 10 ms.
        assert!(all.iter().any(|&t| t <= 210.0) && all.iter().any(|&t| t > 490.0), "{backend}");
    }
}

/// Moments of the ISIs observed in a window of length T of a Poisson process of rate λ: an
/// interval x fits in the window at (T − x) of its positions, so the observed density is
/// ∝ (T − x)·exp(−λx), which shortens the mean by ~1/(λT) (5 % here). Returns (mean, CV,
/// P(ISI > x0)), neglecting exp(−λT) terms.
fn windowed_isi_stats(lambda: f64, t: f64, x0: f64) -> (f64, f64, f64) {
    let z = t / lambda - 1.0 / lambda.powi(2);
    let m1 = (t / lambda.powi(2) - 2.0 / lambda.powi(3)) / z;
    let m2 = (2.0 * t / lambda.powi(3) - 6.0 / lambda.powi(4)) / z;
    let tail = (-lambda * x0).exp() * ((t - x0) / lambda - 1.0 / lambda.powi(2)) / z;
    (m1, (m2 - m1 * m1).sqrt() / m1, tail)
}

/// Mean per-train CV (as `Segment::cv_isi` computes it: trains with ≥ 3 spikes, population
/// variance) of an ideal Poisson process of `rate` Hz over `t` ms, by Monte Carlo with its own
/// generator (splitmix64): short trains bias the per-train CV well below 1.
fn ideal_mean_cv(rate: f64, t: f64, trains: usize) -> f64 {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut uniform = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut sum, mut n) = (0.0, 0);
    for _ in 0..trains {
        let mut times = Vec::new();
        let mut now = 0.0;
        loop {
            now += -(1.0 - uniform()).ln() * 1000.0 / rate;
            if now > t {
                break;
            }
            times.push(now);
        }
        if times.len() < 3 {
            continue;
        }
        let isi: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let m = isi.iter().sum::<f64>() / isi.len() as f64;
        let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
        sum += v.sqrt() / m;
        n += 1;
    }
    sum / f64::from(n)
}

#[test]
fn interspike_intervals_are_exponential() {
    let lambda = RATE / 1000.0; // per ms
    let (mean_expected, cv_expected, tail_expected) = windowed_isi_stats(lambda, T, 2.0 / lambda);
    let per_train_expected = ideal_mean_cv(RATE, T, 20_000);
    for backend in BACKENDS {
        let o = outcome(backend);
        let isi: Vec<f64> = o.steady.iter().flat_map(|s| s.times.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()).collect();
        assert!(isi.len() > 30_000);
        let m = isi.iter().sum::<f64>() / isi.len() as f64;
        let sd = (isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (isi.len() - 1) as f64).sqrt();
        let cv = sd / m;
        // Pooled ISIs (~38,000): mean within 2 % (its standard error is 0.5 %), CV within 0.03
        // (the step grid makes intervals geometric, CV sqrt(1 − rate·dt) = 0.999).
        assert!((m - mean_expected).abs() < 0.02 * mean_expected, "{backend}: mean ISI {m} ms vs {mean_expected}");
        assert!((cv - cv_expected).abs() < 0.03, "{backend}: pooled ISI CV {cv} vs {cv_expected}");
        // Memorylessness: the tail beyond 2/rate (standard error 0.002).
        let tail = isi.iter().filter(|&&x| x > 2.0 / lambda).count() as f64 / isi.len() as f64;
        assert!((tail - tail_expected).abs() < 0.01, "{backend}: P(ISI > 100 ms) = {tail} vs {tail_expected}");
        // Segment::cv_isi (mean over trains of ~20 spikes) against the ideal process.
        let seg_cv = spikeflow::Segment {
            population: "steady".into(),
            t_start: 0.0,
            t_stop: T,
            spiketrains: o.steady.clone(),
            analogsignals: vec![],
        }
        .cv_isi()
        .unwrap();
        assert!((seg_cv - per_train_expected).abs() < 0.03, "{backend}: mean per-train CV {seg_cv} vs {per_train_expected}");
    }
}

#[test]
fn cpu_and_gpu_spike_trains_are_identical() {
    let (cpu, gpu) = (outcome(Backend::Cpu), outcome(Backend::Gpu));
    assert!(count(&cpu.steady) > 0);
    assert_eq!(cpu.steady, gpu.steady);
    assert_eq!(cpu.window, gpu.window);
    assert_eq!(cpu.graded, gpu.graded);
}

#[test]
fn another_seed_gives_other_trains_and_same_seed_the_same() {
    let run = |backend: Backend, seed: u64| {
        let mut sim = sim(backend, DT, seed).build().unwrap();
        let p = sim.create(Population::new(100, SpikeSourcePoisson { rate: 50.0.into(), ..Default::default() })).unwrap();
        sim.record(p, &["spikes"]).unwrap();
        sim.run(200.0).unwrap();
        sim.get_data(p).unwrap().spiketrains
    };
    for backend in BACKENDS {
        let (a, b, c) = (run(backend, 1), run(backend, 1), run(backend, 2));
        assert!(count(&a) > 500);
        assert_eq!(a, b, "{backend}");
        assert_ne!(a, c, "{backend}");
        // Different sources are independent: no two of them share a train.
        let mut trains: Vec<&Vec<f64>> = a.iter().map(|s| &s.times).collect();
        trains.sort_by(|x, y| x.partial_cmp(y).unwrap());
        assert!(trains.windows(2).all(|w| w[0] != w[1]), "{backend}: two identical trains");
    }
}
