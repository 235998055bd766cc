//! Synaptic plasticity on both back ends: weights out and in through the fixed-point format,
//! the STDP window (additive and multiplicative, all-to-all and nearest-neighbour pairing,
//! axonal delays), Tsodyks–Markram PSP amplitudes against the analytic recursion, the
//! anti-Hebbian rate rule switched on and off, weights kept in bounds, GPU = CPU to the bit
//! for a plastic recurrent network, the same seed giving the same weights, and runs split into
//! chunks and runs giving the result of one long run.

mod common;
use common::*;
use spikeflow::network::Connection;
use spikeflow::network::WeightError;
use spikeflow::prelude::*;
use spikeflow::Error;

const DT: f64 = 0.1;

/// A post neuron that spikes once at the end of the step that starts at each pulse time: a
/// one-step current pulse of 500 nA lifts v by ~50 mV.
fn pulses(times: &[f64]) -> CurrentSource {
    let mut t = Vec::new();
    let mut a = Vec::new();
    for &x in times {
        t.extend([x, x + DT]);
        a.extend([500.0, 0.0]);
    }
    CurrentSource::StepCurrentSource { times: t, amplitudes: a }
}

/// Recorded spike times of a population, per neuron.
fn spike_times(sim: &Simulation, pop: PopulationId) -> Vec<Vec<f64>> {
    sim.get_data(pop).unwrap().spiketrains.into_iter().map(|s| s.times).collect()
}

/// n independent pairs: source i fires at `pre[i]`, post neuron i is pulsed at `post[i]`,
/// through one synapse i → i of type `synapse`. Returns (weights, pre spikes, post spikes).
struct Pairs {
    w: Vec<f64>,
    pre: Vec<Vec<f64>>,
    post: Vec<Vec<f64>>,
}

fn run_pairs(backend: Backend, synapse: impl Into<SynapseType>, pre: &[Vec<f64>], post: &[Vec<f64>], duration: f64) -> Pairs {
    let n = pre.len();
    let mut sim = sim(backend, DT, 1).build().unwrap();
    let src = sim.create(Population::new(n, SpikeSourceArray::per_neuron(pre.to_vec())).label("pre")).unwrap();
    let cells = sim.create(Population::new(n, IfCurrExp::default()).label("post")).unwrap();
    for (i, times) in post.iter().enumerate() {
        sim.inject(pulses(times), cells.view([i])).unwrap();
    }
    let proj = sim.connect(Projection::new(src, cells, Connector::OneToOne, synapse.into()).label("plastic")).unwrap();
    sim.record(src, &["spikes"]).unwrap();
    sim.record(cells, &["spikes"]).unwrap();
    sim.run(duration).unwrap();
    let syn = sim.connections(proj).unwrap();
    assert!(syn.iter().enumerate().all(|(k, s)| s.pre as usize == k && s.post as usize == k));
    Pairs { w: syn.iter().map(|s| s.weight).collect(), pre: spike_times(&sim, src), post: spike_times(&sim, cells) }
}

/// Additive or multiplicative STDP with tau± 20 ms and an axonal delay.
fn stdp(a_plus: f64, a_minus: f64, wd: WeightDependence, w0: impl Into<Param>, delay: f64) -> StdpMechanism {
    StdpMechanism::new(SpikePairRule::new(20.0, 20.0, a_plus, a_minus), wd, w0, delay).dendritic_delay_fraction(0.0)
}

/// Pre spike at 100 ms, post pulses placed so that t_post − (t_pre + delay) runs over `dts`.
fn window_pairs(dts: &[f64], delay: f64) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    // A source spike is stamped at its time t; a pulse starting at t makes a spike stamped
    // t + dt (the end of the step it drives).
    let pre = vec![vec![100.0]; dts.len()];
    let post = dts.iter().map(|dt_ms| vec![100.0 + delay + dt_ms - DT]).collect();
    (pre, post)
}

fn measured_dt(p: &Pairs, i: usize, delay: f64) -> f64 {
    assert_eq!(p.pre[i].len(), 1, "pair {i}: pre spikes {:?}", p.pre[i]);
    assert_eq!(p.post[i].len(), 1, "pair {i}: post spikes {:?}", p.post[i]);
    p.post[i][0] - (p.pre[i][0] + delay)
}

#[test]
fn additive_stdp_window_matches_the_exponentials() {
    let dts: Vec<f64> = (-10..=10).map(|k| f64::from(k) * 5.0).collect();
    for backend in BACKENDS {
        for delay in [1.0, 5.0] {
            let (pre, post) = window_pairs(&dts, delay);
            let p = run_pairs(backend, stdp(0.01, 0.012, WeightDependence::additive(0.0, 1.0), 0.5, delay), &pre, &post, 200.0);
            for (i, &want_dt) in dts.iter().enumerate() {
                let dt = measured_dt(&p, i, delay);
                assert!((dt - want_dt).abs() < 1e-9, "{backend}: pair {i} has Δt {dt}, wanted {want_dt}");
                let expected = if dt >= 0.0 { 0.01 * (-dt / 20.0).exp() } else { -0.012 * (dt / 20.0).exp() };
                let dw = p.w[i] - 0.5;
                assert!((dw - expected).abs() <= 0.01 * expected.abs(), "{backend}, delay {delay}: Δt {dt}: Δw {dw}, expected {expected}");
            }
        }
    }
}

#[test]
fn dendritic_delays_time_pairs_where_the_spikes_meet() {
    // Delay d split into a dendritic part e = round(f·d) and an axonal part d − e: the pair is
    // timed at the synapse, Δt = (t_post + e) − (t_pre + d − e). Pairs are placed so that this
    // Δt runs over `dts`, across 0 (f = 1: NEST's convention, Δt = t_post + d − t_pre).
    let dts: Vec<f64> = (-6..=6).map(|k| f64::from(k) * 2.5).collect();
    for backend in BACKENDS {
        for (f, delay) in [(1.0, 1.0), (1.0, 5.0), (0.5, 4.0), (0.25, 3.0)] {
            let e = (f * delay / DT).round_ties_even() * DT;
            let pre = vec![vec![100.0]; dts.len()];
            let post: Vec<Vec<f64>> = dts.iter().map(|x| vec![100.0 + delay - 2.0 * e + x - DT]).collect();
            let rule = StdpMechanism::new(SpikePairRule::new(20.0, 20.0, 0.01, 0.012), WeightDependence::additive(0.0, 1.0), 0.5, delay)
                .dendritic_delay_fraction(f);
            let p = run_pairs(backend, rule, &pre, &post, 200.0);
            for (i, &want) in dts.iter().enumerate() {
                let dt = p.post[i][0] + e - (p.pre[i][0] + delay - e);
                assert!((dt - want).abs() < 1e-9, "{backend}: pair {i} has Δt {dt}, wanted {want}");
                let expected = if dt >= 0.0 { 0.01 * (-dt / 20.0).exp() } else { -0.012 * (dt / 20.0).exp() };
                let dw = p.w[i] - 0.5;
                assert!(
                    (dw - expected).abs() <= 0.01 * expected.abs(),
                    "{backend}, f {f}, delay {delay}: Δt {dt}: Δw {dw}, expected {expected}"
                );
            }
        }
    }
}

#[test]
fn one_neuron_sees_each_dendritic_delay_class_separately() {
    // Three sources fire at 100 ms onto one cell through delays 1, 3 and 7 ms, wholly dendritic;
    // the cell spikes at 110 ms. Each synapse pairs at Δt = 10 ms + its delay: the
    // back-propagating spike reaches the three synapses at three different times.
    let delays = [1.0, 3.0, 7.0];
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 1).build().unwrap();
        let src = sim.create(Population::new(3, SpikeSourceArray::new(vec![100.0]))).unwrap();
        let cell = sim.create(Population::new(1, IfCurrExp::default())).unwrap();
        sim.inject(pulses(&[110.0 - DT]), cell).unwrap();
        let conn = Connector::FromList {
            conn_list: (0..3).map(|j| Connection { pre: j, post: 0, weight: None, delay: Some(delays[j]) }).collect(),
        };
        let rule = StdpMechanism::new(SpikePairRule::new(20.0, 20.0, 0.01, 0.012), WeightDependence::additive(0.0, 1.0), 0.5, 1.0);
        assert_eq!(rule.dendritic_delay_fraction, 1.0, "PyNN's default");
        let proj = sim.connect(Projection::new(src, cell, conn, rule)).unwrap();
        sim.record(cell, &["spikes"]).unwrap();
        sim.run(150.0).unwrap();
        assert_eq!(spike_times(&sim, cell)[0], vec![110.0], "{backend}");
        for s in sim.connections(proj).unwrap() {
            assert_eq!(s.delay, delays[s.pre as usize], "delays read back whole");
            let expected = 0.01 * (-(10.0 + s.delay) / 20.0).exp();
            let dw = s.weight - 0.5;
            assert!((dw - expected).abs() <= 0.01 * expected, "{backend}: delay {}: Δw {dw}, expected {expected}", s.delay);
        }
    }
}

#[test]
fn multiplicative_stdp_scales_with_the_distance_to_the_bounds() {
    let w0s = [0.2, 0.5, 0.8];
    let mut pre = Vec::new();
    let mut post = Vec::new();
    let mut cases = Vec::new();
    for &w0 in &w0s {
        for dt in [10.0, -10.0] {
            let (a, b) = window_pairs(&[dt], 1.0);
            pre.extend(a);
            post.extend(b);
            cases.push((w0, dt));
        }
    }
    let weights: Vec<f64> = cases.iter().map(|c| c.0).collect();
    for backend in BACKENDS {
        let syn = stdp(0.01, 0.012, WeightDependence::multiplicative(0.0, 1.0), weights.clone(), 1.0);
        let p = run_pairs(backend, syn, &pre, &post, 200.0);
        for (i, &(w0, want_dt)) in cases.iter().enumerate() {
            let dt = measured_dt(&p, i, 1.0);
            assert!((dt - want_dt).abs() < 1e-9);
            let expected = if dt > 0.0 { 0.01 * (1.0 - w0) * (-dt / 20.0).exp() } else { -0.012 * (w0 - 0.0) * (dt / 20.0).exp() };
            let dw = p.w[i] - w0;
            assert!((dw - expected).abs() <= 0.01 * expected.abs(), "{backend}: w0 {w0}, Δt {dt}: Δw {dw}, expected {expected}");
        }
    }
}

#[test]
fn delays_shift_the_window_by_the_axonal_delay() {
    // One presynaptic neuron, synapses of delays 1, 3 and 7 ms (one row, three delay classes) to
    // three cells that all spike 10 ms after it: each pair sees Δt = 10 ms − delay.
    let delays = [1.0, 3.0, 7.0];
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 1).build().unwrap();
        let src = sim.create(Population::new(1, SpikeSourceArray::new(vec![100.0]))).unwrap();
        let cells = sim.create(Population::new(3, IfCurrExp::default())).unwrap();
        sim.inject(pulses(&[110.0 - DT]), cells).unwrap();
        let conn = Connector::FromList {
            conn_list: (0..3).map(|j| Connection { pre: 0, post: j, weight: None, delay: Some(delays[j]) }).collect(),
        };
        let rule = stdp(0.01, 0.012, WeightDependence::additive(0.0, 1.0), 0.5, 1.0);
        let proj = sim.connect(Projection::new(src, cells, conn, rule)).unwrap();
        sim.record(cells, &["spikes"]).unwrap();
        sim.run(150.0).unwrap();
        let post = spike_times(&sim, cells);
        for (j, s) in sim.connections(proj).unwrap().iter().enumerate() {
            assert_eq!(post[j], vec![110.0], "{backend}");
            assert_eq!(s.delay, delays[j]);
            let expected = 0.01 * (-(10.0 - delays[j]) / 20.0).exp();
            let dw = s.weight - 0.5;
            assert!((dw - expected).abs() <= 0.01 * expected, "{backend}: delay {}: Δw {dw}, expected {expected}", delays[j]);
        }
    }
}

#[test]
fn all_to_all_and_nearest_neighbour_pairing() {
    // Pair 0: pre at 100 and 110, post at 120 (+1 ms delay): all-to-all sums both pre spikes,
    // nearest pairs the post spike with the later one only.
    // Pair 1: post at 80 and 90, pre reaching the synapse at 100: all-to-all depresses with
    // both post spikes, nearest with the later one only.
    let pre = vec![vec![100.0, 110.0], vec![99.0]];
    let post = vec![vec![121.0 - DT], vec![80.0 - DT, 90.0 - DT]];
    let e = |x: f64| (-x / 20.0).exp();
    for backend in BACKENDS {
        for nearest in [false, true] {
            let mut timing = SpikePairRule::new(20.0, 20.0, 0.01, 0.012);
            if nearest {
                timing = timing.nearest();
            }
            let syn = StdpMechanism::new(timing, WeightDependence::additive(0.0, 1.0), 0.5, 1.0).dendritic_delay_fraction(0.0);
            let p = run_pairs(backend, syn, &pre, &post, 200.0);
            assert_eq!(p.post[0], vec![121.0]);
            assert_eq!(p.post[1], vec![80.0, 90.0]);
            let (pot, dep) =
                if nearest { (0.01 * e(10.0), -0.012 * e(10.0)) } else { (0.01 * (e(10.0) + e(20.0)), -0.012 * (e(10.0) + e(20.0))) };
            for (i, expected) in [(0, pot), (1, dep)] {
                let dw = p.w[i] - 0.5;
                assert!(
                    (dw - expected).abs() <= 0.01 * expected.abs(),
                    "{backend}, nearest {nearest}, pair {i}: Δw {dw}, expected {expected}"
                );
            }
        }
    }
}

#[test]
fn weights_stay_within_their_bounds() {
    // Strong rules and 20 pairings: potentiation (post 2 ms after each arrival, A_minus 0)
    // stops at w_max, depression (post 2 ms before, A_plus 0) at w_min.
    let pre: Vec<Vec<f64>> = vec![(0..20).map(|k| 50.0 + 20.0 * f64::from(k)).collect(); 2];
    let after: Vec<f64> = pre[0].iter().map(|t| t + 1.0 + 2.0 - DT).collect();
    let before: Vec<f64> = pre[0].iter().map(|t| t + 1.0 - 2.0 - DT).collect();
    for backend in BACKENDS {
        for wd in [WeightDependence::additive(0.1, 0.9), WeightDependence::multiplicative(0.1, 0.9)] {
            for (post, a_plus, a_minus, bound) in [(&after, 0.5, 0.0, 0.9), (&before, 0.0, 0.5, 0.1)] {
                let p = run_pairs(backend, stdp(a_plus, a_minus, wd, 0.5, 1.0), &pre, &vec![post.clone(); 2], 500.0);
                for w in &p.w {
                    assert!((0.1..=0.9).contains(w), "{backend}: {w} out of [0.1, 0.9]");
                    // Additive steps reach the bound as stored (its fixed-point image, rounded
                    // inwards); multiplicative ones shrink towards it.
                    let tol = if matches!(wd, WeightDependence::Additive { .. }) { 1e-8 } else { 1e-4 };
                    assert!((w - bound).abs() < tol, "{backend}: {wd:?} ended at {w}, not at {bound}");
                }
            }
        }
    }
}

/// `u_n·R_n` of a Tsodyks–Markram synapse for spikes at `times` (ms).
fn tsodyks_markram(u_se: f64, tau_rec: f64, tau_facil: f64, times: &[f64]) -> Vec<f64> {
    let (mut u, mut r, mut last) = (0.0, 1.0, f64::NEG_INFINITY);
    times
        .iter()
        .map(|&t| {
            let h = t - last;
            r = 1.0 + (r - u * r - 1.0) * (-h / tau_rec).exp();
            u = if tau_facil > 0.0 { u_se + u * (1.0 - u_se) * (-h / tau_facil).exp() } else { u_se };
            last = t;
            u * r
        })
        .collect()
}

#[test]
fn tsodyks_markram_psp_amplitudes_follow_the_recursion() {
    // A regular 40 Hz train into IF_curr_exp cells; the synaptic current's jump at each arrival
    // is the transmitted weight w·u·R. Cell 0: depressing (U 0.5, tau_rec 100), cell 1: facilitating
    // (U 0.1, tau_rec 50, tau_facil 300).
    let times: Vec<f64> = (0..12).map(|k| 20.0 + 25.0 * f64::from(k)).collect();
    let cases = [(0.5, 100.0, 0.0), (0.1, 50.0, 300.0)];
    let (w, delay, tau_syn) = (0.5, 2.0, 5.0);
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 1).build().unwrap();
        let src = sim.create(Population::new(1, SpikeSourceArray::new(times.clone()))).unwrap();
        let cells = sim.create(Population::new(2, IfCurrExp { tau_syn_e: tau_syn.into(), ..Default::default() })).unwrap();
        for (j, &(u, tau_rec, tau_facil)) in cases.iter().enumerate() {
            let syn = TsodyksMarkramSynapse::new(u, tau_rec, tau_facil, w, delay);
            sim.connect(Projection::new(src, cells.view([j]), Connector::all_to_all(), syn)).unwrap();
        }
        sim.record(cells, &["isyn_exc"]).unwrap();
        sim.run(350.0).unwrap();
        let seg = sim.get_data(cells).unwrap();
        let g = seg.signal("isyn_exc").unwrap();
        let decay = (-DT / tau_syn).exp();
        for (j, &(u, tau_rec, tau_facil)) in cases.iter().enumerate() {
            let trace = g.trace(j).unwrap();
            let expected = tsodyks_markram(u, tau_rec, tau_facil, &times);
            for (k, t) in times.iter().enumerate() {
                // Sample s is the state at s·dt, before the input arriving then.
                let s = ((t + delay) / DT).round() as usize;
                let jump = f64::from(trace[s + 1]) / decay - f64::from(trace[s]);
                let want = w * expected[k];
                assert!((jump - want).abs() < 1e-4 * w, "{backend}: cell {j}, spike {k}: jump {jump}, expected {want}");
            }
        }
        // Depression: the train's amplitudes fall; facilitation: they rise at first.
        let d = tsodyks_markram(0.5, 100.0, 0.0, &times);
        let f = tsodyks_markram(0.1, 50.0, 300.0, &times);
        assert!(d[5] < 0.5 * d[0] && f[3] > 1.5 * f[0]);
    }
}

/// Rate traces (Hz) at update step `t` of spikes stamped at `spikes` (ms).
fn rate_at(spikes: &[f64], t: u32, tau: f64) -> f64 {
    let now = f64::from(t) * DT;
    spikes.iter().filter(|&&s| s <= now + 1e-9).map(|s| 1000.0 / tau * (-(now - s) / tau).exp()).sum()
}

#[test]
fn anti_hebbian_rule_weakens_coactive_pairs_only_while_enabled() {
    // Sources: 20 Hz, 40 Hz, silent. Cells: pulsed at 25 Hz, 10 Hz, silent. All-to-all.
    let regular = |first: f64, period: f64| (0..).map(|k| first + period * f64::from(k)).take_while(|t| *t < 1100.0).collect::<Vec<_>>();
    let pre = vec![regular(5.0, 50.0), regular(7.3, 25.0), vec![]];
    let post = [regular(11.0, 40.0), regular(23.0, 100.0), vec![]];
    let (eta, tau, interval) = (1e-4, 100.0, 1.0);
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 1).build().unwrap();
        let src = sim.create(Population::new(3, SpikeSourceArray::per_neuron(pre.clone())).label("src")).unwrap();
        let cells = sim.create(Population::new(3, IfCurrExp::default()).label("cells")).unwrap();
        for (i, times) in post.iter().enumerate() {
            sim.inject(pulses(times), cells.view([i])).unwrap();
        }
        let rule = AntiHebbianSynapse { tau, interval, ..AntiHebbianSynapse::new(eta, 0.2, 1.0, 0.5, 1.0) };
        let proj = sim.connect(Projection::new(src, cells, Connector::all_to_all(), rule).label("anti")).unwrap();
        sim.record(src, &["spikes"]).unwrap();
        sim.record(cells, &["spikes"]).unwrap();
        let weights = |sim: &mut Simulation| sim.connections(proj).unwrap().iter().map(|s| s.weight).collect::<Vec<_>>();

        sim.set_plasticity(proj, false).unwrap();
        assert!(!sim.plasticity_enabled(proj).unwrap());
        sim.run(300.0).unwrap();
        let w0 = weights(&mut sim);
        assert!(w0.iter().all(|&w| w == 0.5), "{backend}: weights moved while disabled: {w0:?}");

        sim.set_plasticity(proj, true).unwrap();
        sim.run(500.0).unwrap();
        let w1 = weights(&mut sim);
        let pre_spikes = spike_times(&sim, src);
        let post_spikes = spike_times(&sim, cells);
        assert_eq!(post_spikes[0].len(), 20, "{backend}: the pulsed cell must spike on its pulses only");
        for (k, s) in sim.connections(proj).unwrap().iter().enumerate() {
            let (i, j) = (s.pre as usize, s.post as usize);
            let period = (interval / DT).round() as u32;
            let expected: f64 = (3001..=8000)
                .filter(|t| t % period == 0)
                .map(|t| -eta * interval / 1000.0 * rate_at(&pre_spikes[i], t, tau) * rate_at(&post_spikes[j], t, tau))
                .sum();
            let dw = w1[k] - 0.5;
            if i == 2 || j == 2 {
                assert_eq!(dw, 0.0, "{backend}: pair ({i}, {j}) has a silent side but changed by {dw}");
            } else {
                assert!(dw < 0.0 && (dw - expected).abs() <= 0.01 * expected.abs(), "{backend}: ({i}, {j}): Δw {dw}, expected {expected}");
            }
        }

        sim.set_plasticity(proj, false).unwrap();
        sim.run(300.0).unwrap();
        assert_eq!(weights(&mut sim), w1, "{backend}: weights moved after learning was switched off");

        // The switch is part of the description: it survives a reset (which restores the weights).
        sim.reset();
        assert!(!sim.plasticity_enabled(proj).unwrap());
        assert!(sim.connections(proj).unwrap().iter().all(|s| s.weight == 0.5));

        // A fast rule stops at w_min (its fixed-point image, rounded inwards) and stays there.
        let mut fast_sim = common::sim(backend, DT, 1).build().unwrap();
        let src = fast_sim.create(Population::new(3, SpikeSourceArray::per_neuron(pre.clone()))).unwrap();
        let cells = fast_sim.create(Population::new(3, IfCurrExp::default())).unwrap();
        for (i, times) in post.iter().enumerate() {
            fast_sim.inject(pulses(times), cells.view([i])).unwrap();
        }
        let rule = AntiHebbianSynapse { tau, interval, ..AntiHebbianSynapse::new(1.0, 0.2, 1.0, 0.5, 1.0) };
        let proj = fast_sim.connect(Projection::new(src, cells, Connector::all_to_all(), rule)).unwrap();
        fast_sim.run(1000.0).unwrap();
        for s in fast_sim.connections(proj).unwrap() {
            let silent = s.pre == 2 || s.post == 2;
            assert!(if silent { s.weight == 0.5 } else { (s.weight - 0.2).abs() < 1e-8 && s.weight >= 0.2 }, "{backend}: {s:?}");
        }
    }
}

#[test]
fn weights_out_and_in_round_trip() {
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 3).build().unwrap();
        let src = sim.create(Population::new(20, SpikeSourcePoisson { rate: 50.0.into(), ..Default::default() }).label("src")).unwrap();
        let dst = sim.create(Population::new(10, IfCurrExp::default()).label("dst")).unwrap();
        let p_static = sim
            .connect(
                Projection::new(
                    src,
                    dst,
                    Connector::fixed_probability(0.5),
                    StaticSynapse::new(RandomDistribution::uniform(0.1, 0.5), 1.0),
                )
                .label("static"),
            )
            .unwrap();
        let p_multi = sim
            .connect(
                Projection::new(src.slice(0..5), dst.slice(2..6), Connector::fixed_total_number(30), StaticSynapse::new(0.2, 2.0))
                    .label("multapses"),
            )
            .unwrap();
        let rule = stdp(0.01, 0.01, WeightDependence::additive(0.0, 1.0), 0.5, 1.5);
        let p_stdp = sim.connect(Projection::new(src, dst, Connector::fixed_probability(0.3), rule).label("stdp")).unwrap();

        // List → per-synapse set → list is the identity (the values are already stored ones).
        let before = sim.connections(p_static).unwrap();
        assert!(before.len() > 50);
        let values: Vec<f64> = before.iter().map(|s| s.weight).collect();
        sim.set_weights(p_static, values.clone()).unwrap();
        assert_eq!(sim.connections(p_static).unwrap(), before, "{backend}");

        // Array form: views' shape, NaN where unconnected, multapses summed (or first/last/...).
        let list = sim.connections(p_multi).unwrap();
        let arr = sim.connection_array(p_multi, "weight", MultipleSynapses::Sum).unwrap();
        assert_eq!((arr.rows, arr.cols), (5, 4));
        let mut count = [0usize; 20];
        for s in &list {
            count[s.pre as usize * 4 + (s.post as usize - 2)] += 1;
        }
        for (k, &c) in count.iter().enumerate() {
            let v = arr.data[k];
            if c == 0 {
                assert!(v.is_nan(), "{backend}: unconnected entry {k} is {v}");
            } else {
                assert!((v - 0.2 * c as f64).abs() < 1e-6, "{backend}: entry {k} = {v} for {c} synapses");
            }
        }
        let delays = sim.connection_array(p_multi, "delay", MultipleSynapses::First).unwrap();
        assert!(delays.data.iter().all(|d| d.is_nan() || *d == 2.0));

        // Set from an array (each synapse takes its pair's entry), from triples, a constant.
        let target =
            DenseMatrix { rows: 5, cols: 4, data: (0..20).map(|k| if count[k] == 0 { f64::NAN } else { 0.1 + 0.01 * k as f64 }).collect() };
        sim.set_weights(p_multi, target.clone()).unwrap();
        for s in sim.connections(p_multi).unwrap() {
            let want = target.get(s.pre as usize, s.post as usize - 2);
            assert!((s.weight - want).abs() < 1e-8, "{backend}: {} for {want}", s.weight);
        }
        let (a, b) = (before[0].pre as usize, before[0].post as usize);
        sim.set_weights(p_static, vec![(a, b, 0.25)]).unwrap();
        for (s, old) in sim.connections(p_static).unwrap().iter().zip(&before) {
            let want = if (s.pre as usize, s.post as usize) == (a, b) { 0.25 } else { old.weight };
            assert!((s.weight - want).abs() < 1e-8);
        }
        sim.set_weights(p_stdp, 0.7).unwrap();
        assert!(sim.connections(p_stdp).unwrap().iter().all(|s| (s.weight - 0.7).abs() < 1e-8));

        // Bad values: a typed error, nothing changes.
        let err = |e: Error| e.to_string();
        let e = sim.set_weights(p_stdp, 1.5).unwrap_err();
        assert!(matches!(e, Error::Weight(WeightError::Invalid { .. })) && err(e.clone()).contains("w_max"), "{e}");
        let e = sim.set_weights(p_static, -0.1).unwrap_err();
        assert!(err(e).contains("≥ 0"));
        let e = sim.set_weights(p_static, vec![0.1; 3]).unwrap_err();
        assert!(err(e).contains("values for"));
        let connected = |i: u32, j: u32| before.iter().any(|s| (s.pre, s.post) == (i, j));
        let (i, j) = (0..20u32).flat_map(|i| (0..10u32).map(move |j| (i, j))).find(|&(i, j)| !connected(i, j)).unwrap();
        let e = sim.set_weights(p_static, vec![(a, b, 0.1), (i as usize, j as usize, 0.1)]).unwrap_err();
        assert!(err(e).contains("not connected"));
        let mut with_nan = target.clone();
        let hole = (0..20).find(|&k| count[k] > 0).unwrap();
        with_nan.data[hole] = f64::NAN;
        assert!(err(sim.set_weights(p_multi, with_nan).unwrap_err()).contains("NaN"));
        let e = sim.set_weights(p_static, 1e9).unwrap_err();
        assert!(matches!(e, Error::Weight(WeightError::OutOfRange { .. })), "{e}");
        assert!(err(e).contains("never clipped"));
        assert!((sim.connections(p_stdp).unwrap()[0].weight - 0.7).abs() < 1e-8);

        // The device uses the weights: all zero, the cells stay exactly at rest.
        for p in [p_static, p_multi, p_stdp] {
            sim.set_weights(p, 0.0).unwrap();
        }
        sim.set_plasticity(p_stdp, false).unwrap();
        sim.run(30.0).unwrap();
        assert!(sim.get_state(dst, "v").unwrap().iter().all(|&v| v == -65.0), "{backend}");
        // Set weights hold after reset (the network is rebuilt and the calls replayed).
        sim.reset();
        assert!(sim.connections(p_static).unwrap().iter().all(|s| s.weight == 0.0));
    }
}

#[test]
fn bad_plasticity_parameters_are_errors_naming_field_and_rule() {
    let mut sim = sim(Backend::Cpu, DT, 1).build().unwrap();
    let src = sim.create(Population::new(5, SpikeSourcePoisson::default())).unwrap();
    let curr = sim.create(Population::new(5, IfCurrExp::default())).unwrap();
    let cond = sim.create(Population::new(5, IfCondExp::default())).unwrap();
    let a2a = Connector::all_to_all;
    let mut expect = |syn: SynapseType, post: PopulationId, field: &str, rule: &str| {
        let e = sim.connect(Projection::new(src, post, a2a(), syn).label("p")).unwrap_err();
        let Error::Invalid { what, rule: r } = &e else { panic!("{e:?}") };
        assert_eq!(what, &format!("projection 'p'.{field}"), "{e}");
        assert!(r.contains(rule), "{e}");
    };
    let timing = |t: SpikePairRule| StdpMechanism { timing_dependence: t, weight: 0.5.into(), ..Default::default() }.into();
    expect(timing(SpikePairRule { tau_plus: -20.0, ..Default::default() }), curr, "timing_dependence.tau_plus", "> 0");
    expect(timing(SpikePairRule { tau_minus: 0.0, ..Default::default() }), curr, "timing_dependence.tau_minus", "> 0");
    expect(timing(SpikePairRule { a_minus: -0.1, ..Default::default() }), curr, "timing_dependence.A_minus", "≥ 0");
    let bounds = StdpMechanism { weight_dependence: WeightDependence::multiplicative(1.0, 0.5), ..Default::default() };
    expect(bounds.into(), curr, "weight_dependence.w_min", "≤ w_max");
    let outside = stdp(0.01, 0.01, WeightDependence::additive(0.0, 1.0), 2.0, 1.0);
    expect(outside.into(), curr, "weight", "[w_min, w_max]");
    let ddf = StdpMechanism { dendritic_delay_fraction: 1.5, weight: 0.5.into(), ..Default::default() };
    expect(ddf.into(), curr, "dendritic_delay_fraction", "[0, 1]");
    for u in [0.0, 1.5, f64::NAN] {
        expect(TsodyksMarkramSynapse { u, ..Default::default() }.into(), curr, "U", "(0, 1]");
    }
    expect(TsodyksMarkramSynapse { tau_rec: -1.0, ..Default::default() }.into(), curr, "tau_rec", "> 0");
    expect(TsodyksMarkramSynapse { tau_facil: -1.0, ..Default::default() }.into(), curr, "tau_facil", "≥ 0");
    expect(AntiHebbianSynapse::new(-1.0, 0.0, 1.0, 0.5, 1.0).into(), curr, "eta", "≥ 0");
    // Bounds obey the receptor's sign rule.
    let neg = StdpMechanism { weight_dependence: WeightDependence::additive(-1.0, 1.0), weight: 0.5.into(), ..Default::default() };
    expect(neg.into(), cond, "weight_dependence.w_min", "≥ 0");

    // Random weights outside the bounds are found at build.
    let mut sim = common::sim(Backend::Cpu, DT, 1).build().unwrap();
    let src = sim.create(Population::new(5, SpikeSourcePoisson::default())).unwrap();
    let curr = sim.create(Population::new(5, IfCurrExp::default())).unwrap();
    let rule = stdp(0.01, 0.01, WeightDependence::additive(0.0, 0.5), RandomDistribution::uniform(0.0, 1.0), 1.0);
    sim.connect(Projection::new(src, curr, a2a(), rule).label("rd")).unwrap();
    let e = sim.run(1.0).unwrap_err();
    assert!(e.to_string().contains("projection 'rd'.weight") && e.to_string().contains("[w_min, w_max]"), "{e}");

    // Learning switches exist only for learning rules.
    let mut sim = common::sim(Backend::Cpu, DT, 1).build().unwrap();
    let src = sim.create(Population::new(5, SpikeSourcePoisson::default())).unwrap();
    let curr = sim.create(Population::new(5, IfCurrExp::default())).unwrap();
    let st = sim.connect(Projection::new(src, curr, a2a(), StaticSynapse::new(0.1, 1.0))).unwrap();
    let tm = sim.connect(Projection::new(src, curr, a2a(), TsodyksMarkramSynapse { weight: 0.1.into(), ..Default::default() })).unwrap();
    for p in [st, tm] {
        let e = sim.set_plasticity(p, false).unwrap_err();
        assert!(e.to_string().contains("no learning rule"), "{e}");
    }
}

struct NetworkOutcome {
    /// Per plastic projection, the stored weights' bits.
    weights: Vec<Vec<u64>>,
    /// Their initial values' bits.
    initial: Vec<Vec<u64>>,
    spikes: Vec<Vec<Vec<f64>>>,
}

/// A small recurrent network with every plastic synapse type and random delays, 1 s, with
/// the recurrent STDP switched off half way.
fn plastic_network(backend: Backend, seed: u64) -> NetworkOutcome {
    let mut sim = sim(backend, DT, seed).build().unwrap();
    let exc_cell = IfCurrExp { tau_refrac: 2.0.into(), i_offset: RandomDistribution::uniform(0.0, 0.6).into(), ..Default::default() };
    let exc = sim.create(Population::new(160, exc_cell).label("exc").initial("v", RandomDistribution::uniform(-65.0, -55.0))).unwrap();
    let inh = sim.create(Population::new(40, IfCurrExp { tau_refrac: 1.0.into(), ..Default::default() }).label("inh")).unwrap();
    let noise = sim.create(Population::new(100, SpikeSourcePoisson { rate: 20.0.into(), ..Default::default() }).label("noise")).unwrap();
    let delay = |lo: f64, hi: f64| Param::from(RandomDistribution::uniform(lo, hi));
    let conn = Connector::fixed_probability(0.1).allow_self_connections(false);
    let input = StdpMechanism {
        timing_dependence: SpikePairRule::new(15.0, 25.0, 0.02, 0.021).nearest(),
        weight_dependence: WeightDependence::multiplicative(0.0, 1.0),
        weight: RandomDistribution::uniform(0.2, 0.6).into(),
        delay: Some(delay(0.5, 3.0)),
        ..Default::default()
    };
    let recurrent = StdpMechanism {
        timing_dependence: SpikePairRule::new(20.0, 20.0, 0.05, 0.055),
        weight_dependence: WeightDependence::additive(0.0, 0.3),
        weight: RandomDistribution::uniform(0.0, 0.3).into(),
        delay: Some(delay(0.1, 5.0)),
        dendritic_delay_fraction: 0.5,
    };
    let to_inh = TsodyksMarkramSynapse { weight: 0.4.into(), delay: Some(delay(0.5, 2.0)), u: 0.1, tau_rec: 80.0, tau_facil: 400.0 };
    let from_inh = TsodyksMarkramSynapse { weight: (-0.8).into(), delay: Some(1.0.into()), ..Default::default() };
    let anti = AntiHebbianSynapse { tau: 50.0, interval: 0.5, ..AntiHebbianSynapse::new(1e-5, 0.0, 0.6, 0.3, 1.5) };
    let plastic = [
        sim.connect(Projection::new(noise, exc, Connector::fixed_number_pre(15), input).label("input")).unwrap(),
        sim.connect(Projection::new(exc, exc, conn.clone(), recurrent).label("recurrent")).unwrap(),
        sim.connect(Projection::new(exc, inh, conn.clone(), to_inh).label("to_inh")).unwrap(),
        sim.connect(Projection::new(inh, exc, conn.clone(), from_inh).receptor(Receptor::Inhibitory).label("from_inh")).unwrap(),
        sim.connect(Projection::new(exc.slice(0..80), inh, conn, anti).label("anti")).unwrap(),
    ];
    for p in [exc, inh] {
        sim.record(p, &["spikes"]).unwrap();
    }
    let bits = |sim: &mut Simulation| -> Vec<Vec<u64>> {
        plastic.iter().map(|&p| sim.connections(p).unwrap().iter().map(|s| s.weight.to_bits()).collect()).collect()
    };
    let initial = bits(&mut sim);
    sim.run(500.0).unwrap();
    sim.set_plasticity(plastic[1], false).unwrap();
    sim.run(500.0).unwrap();
    let weights = bits(&mut sim);
    let spikes = [exc, inh].iter().map(|&p| spike_times(&sim, p)).collect();
    NetworkOutcome { weights, initial, spikes }
}

#[test]
fn plastic_network_gives_identical_weights_on_gpu_and_cpu() {
    let cpu = plastic_network(Backend::Cpu, 7);
    let gpu = plastic_network(Backend::Gpu, 7);
    let n_spikes: usize = cpu.spikes.iter().flatten().map(Vec::len).sum();
    assert!(n_spikes > 1000, "too little activity: {n_spikes} spikes");
    for (k, (w, w0)) in cpu.weights.iter().zip(&cpu.initial).enumerate() {
        let changed = w.iter().zip(w0).filter(|(a, b)| a != b).count();
        let learns = k != 2 && k != 3; // Tsodyks–Markram weights do not learn
        assert_eq!(changed > w.len() / 4, learns, "projection {k}: {changed} of {} weights changed", w.len());
    }
    assert_eq!(cpu.spikes, gpu.spikes, "CPU and GPU spike trains differ");
    for (k, (a, b)) in cpu.weights.iter().zip(&gpu.weights).enumerate() {
        let differ = a.iter().zip(b).filter(|(x, y)| x != y).count();
        assert_eq!(differ, 0, "projection {k}: {differ} of {} weights differ between CPU and GPU", a.len());
    }
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    for backend in BACKENDS {
        let a = plastic_network(backend, 3);
        let b = plastic_network(backend, 3);
        let c = plastic_network(backend, 4);
        assert_eq!(a.weights, b.weights, "{backend}: same seed, different weights");
        assert_eq!(a.spikes, b.spikes, "{backend}: same seed, different spikes");
        assert_ne!(a.weights, c.weights, "{backend}: another seed gave the same weights");
    }
}

#[test]
fn plastic_runs_continue_across_chunks_and_runs() {
    // One 300 ms run in 1000-step chunks equals three 100 ms runs in 37-step chunks.
    let outcome = |backend: Backend, split: bool| {
        let mut b = sim(backend, DT, 9);
        if split {
            b = b.steps_per_submission(37);
        }
        let mut sim = b.build().unwrap();
        let cells = IfCurrExp { i_offset: RandomDistribution::uniform(0.2, 0.6).into(), ..Default::default() };
        let pop = sim.create(Population::new(60, cells)).unwrap();
        let noise = sim.create(Population::new(40, SpikeSourcePoisson { rate: 30.0.into(), ..Default::default() })).unwrap();
        let rule = StdpMechanism {
            weight: RandomDistribution::uniform(0.0, 1.0).into(),
            delay: Some(RandomDistribution::uniform(0.1, 8.0).into()),
            timing_dependence: SpikePairRule::new(20.0, 20.0, 0.05, 0.05),
            ..Default::default()
        };
        let p = sim.connect(Projection::new(noise, pop, Connector::fixed_probability(0.3), rule)).unwrap();
        let tm =
            TsodyksMarkramSynapse { weight: 0.3.into(), delay: Some(RandomDistribution::uniform(0.1, 3.0).into()), ..Default::default() };
        sim.connect(Projection::new(pop, pop, Connector::fixed_probability(0.1), tm)).unwrap();
        sim.record(pop, &["spikes"]).unwrap();
        for _ in 0..if split { 3 } else { 1 } {
            sim.run(if split { 100.0 } else { 300.0 }).unwrap();
        }
        let w: Vec<f64> = sim.connections(p).unwrap().iter().map(|s| s.weight).collect();
        (w, spike_times(&sim, pop))
    };
    for backend in BACKENDS {
        let (w1, s1) = outcome(backend, false);
        let (w2, s2) = outcome(backend, true);
        assert!(s1.iter().map(Vec::len).sum::<usize>() > 200, "{backend}: too few spikes");
        assert_eq!(s1, s2, "{backend}: spikes differ");
        assert_eq!(w1, w2, "{backend}: weights differ");
    }
}
