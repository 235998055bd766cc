//! Alpha synapses (IF_curr_alpha, IF_cond_alpha) against the analytic PSP, on both back ends.
//!
//! One input spike of weight w arrives at t0 (source spike at 1.0 ms + delay 1.0 ms). Then
//! * IF_curr_alpha: I(s) = w (s/τ) e^{1−s/τ} and, integrating the membrane exactly,
//!   v(s) − v_rest = (w e / (C τ)) (e^{−s/τm} − e^{−s/τ}(1 + c s)) / c², c = 1/τ − 1/τm.
//!   Exact integration leaves f32 rounding only: tolerances 1e-6 nA and 1e-4 mV.
//! * IF_cond_alpha: g(s) = w (s/τ) e^{1−s/τ} exactly (tolerance 1e-6 relative to w); v against
//!   an f64 RK4 integration with 1000 sub-steps per step of the same equation (tolerance 2e-3
//!   mV: the midpoint-conductance exponential Euler is second order, error ~ (dt/τ)² · ΔV).

mod common;
use common::*;
use spikeflow::prelude::*;

const DT: f64 = 0.1;
const T0: f64 = 2.0; // arrival time of the input
const STEPS: usize = 500;

fn run(backend: Backend, cell: CellType, w: f64, receptor: Receptor) -> (Vec<f32>, Vec<f32>) {
    let mut sim = sim(backend, DT, 3).build().unwrap();
    let pop = sim.create(Population::new(1, cell.clone())).unwrap();
    let src = sim.create(Population::new(1, SpikeSourceArray::new(vec![1.0]))).unwrap();
    sim.connect(Projection::new(src, pop, Connector::all_to_all(), StaticSynapse::new(w, 1.0)).receptor(receptor)).unwrap();
    let syn = match (&cell, receptor) {
        (CellType::IfCurrAlpha(_), Receptor::Excitatory) => "isyn_exc",
        (CellType::IfCurrAlpha(_), Receptor::Inhibitory) => "isyn_inh",
        (_, Receptor::Excitatory) => "gsyn_exc",
        (_, Receptor::Inhibitory) => "gsyn_inh",
    };
    sim.record(pop, &["v", syn]).unwrap();
    sim.run(STEPS as f64 * DT).unwrap();
    let seg = sim.get_data(pop).unwrap();
    (seg.signal("v").unwrap().data[0].clone(), seg.signal(syn).unwrap().data[0].clone())
}

fn alpha(w: f64, tau: f64, s: f64) -> f64 {
    if s <= 0.0 {
        0.0
    } else {
        w * (s / tau) * (1.0 - s / tau).exp()
    }
}

#[test]
fn if_curr_alpha_psp_matches_the_analytic_solution() {
    let (tau_m, tau_s, cm, w) = (10.0, 2.0, 0.5, 0.8);
    let cell = IfCurrAlpha {
        tau_m: tau_m.into(),
        tau_syn_e: tau_s.into(),
        tau_syn_i: tau_s.into(),
        cm: cm.into(),
        v_thresh: 0.0.into(),
        ..Default::default()
    };
    for backend in BACKENDS {
        for (weight, receptor) in [(w, Receptor::Excitatory), (-w, Receptor::Inhibitory)] {
            let (v, isyn) = run(backend, cell.clone().into(), weight, receptor);
            let c = 1.0 / tau_s - 1.0 / tau_m;
            let mut peak = 0f64;
            for k in 0..STEPS {
                let s = k as f64 * DT - T0;
                let i_exact = alpha(weight, tau_s, s);
                let v_exact = if s <= 0.0 {
                    -65.0
                } else {
                    -65.0
                        + weight * std::f64::consts::E / (cm * tau_s) * ((-s / tau_m).exp() - (-s / tau_s).exp() * (1.0 + c * s)) / (c * c)
                };
                assert!((f64::from(isyn[k]) - i_exact).abs() < 1e-6, "{backend} {receptor:?}: I({s}) = {} vs {i_exact}", isyn[k]);
                assert!((f64::from(v[k]) - v_exact).abs() < 1e-4, "{backend} {receptor:?}: v({s}) = {} vs {v_exact}", v[k]);
                peak = peak.max((v_exact + 65.0).abs());
            }
            assert!(peak > 0.5, "the PSP is too small to test anything ({peak} mV)");
            // The current peaks at w, τ after arrival.
            let k_peak = ((T0 + tau_s) / DT).round() as usize;
            assert!((f64::from(isyn[k_peak]) - weight).abs() < 1e-6, "{backend}: peak current {} vs {weight}", isyn[k_peak]);
        }
    }
}

/// f64 RK4 reference of IF_cond_alpha's v under an exact alpha conductance.
fn cond_reference(w: f64, tau_s: f64, tau_m: f64, cm: f64, e_rev: f64) -> Vec<f64> {
    let (g_l, v_rest) = (cm / tau_m, -65.0);
    let f = |t: f64, v: f64| (g_l * (v_rest - v) + alpha(w, tau_s, t - T0) * (e_rev - v)) / cm;
    let sub = 1000;
    let h = DT / f64::from(sub);
    let mut v = v_rest;
    let mut out = Vec::with_capacity(STEPS);
    for k in 0..STEPS {
        out.push(v);
        for j in 0..sub {
            let t = k as f64 * DT + f64::from(j) * h;
            let k1 = f(t, v);
            let k2 = f(t + h / 2.0, v + h / 2.0 * k1);
            let k3 = f(t + h / 2.0, v + h / 2.0 * k2);
            let k4 = f(t + h, v + h * k3);
            v += h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
    }
    out
}

#[test]
fn if_cond_alpha_conductance_and_psp_match_the_analytic_solution() {
    let (tau_m, tau_s, cm, w) = (10.0, 1.5, 0.5, 0.02);
    let cell = IfCondAlpha {
        tau_m: tau_m.into(),
        tau_syn_e: tau_s.into(),
        tau_syn_i: tau_s.into(),
        cm: cm.into(),
        v_thresh: 0.0.into(),
        ..Default::default()
    };
    for backend in BACKENDS {
        for (receptor, e_rev) in [(Receptor::Excitatory, 0.0), (Receptor::Inhibitory, -70.0)] {
            let (v, g) = run(backend, cell.clone().into(), w, receptor);
            let reference = cond_reference(w, tau_s, tau_m, cm, e_rev);
            let mut worst = 0f64;
            for k in 0..STEPS {
                let s = k as f64 * DT - T0;
                let g_exact = alpha(w, tau_s, s);
                assert!((f64::from(g[k]) - g_exact).abs() < 1e-6 * w, "{backend} {receptor:?}: g({s}) = {} vs {g_exact}", g[k]);
                worst = worst.max((f64::from(v[k]) - reference[k]).abs());
            }
            assert!(worst < 2e-3, "{backend} {receptor:?}: worst |v − reference| = {worst} mV");
            let deflection = reference.iter().map(|x| (x + 65.0).abs()).fold(0.0, f64::max);
            assert!(deflection > 0.3, "PSP too small to test ({deflection} mV)");
        }
    }
}

#[test]
fn alpha_models_fire_and_agree_across_back_ends() {
    // A small driven network of both alpha models: identical spikes on CPU and GPU.
    let mut out = Vec::new();
    for backend in BACKENDS {
        let mut sim = sim(backend, DT, 9).build().unwrap();
        let a = sim
            .create(Population::new(300, IfCurrAlpha { i_offset: RandomDistribution::uniform(0.5, 1.5).into(), ..Default::default() }))
            .unwrap();
        let b = sim
            .create(Population::new(300, IfCondAlpha { i_offset: RandomDistribution::uniform(0.5, 1.5).into(), ..Default::default() }))
            .unwrap();
        sim.connect(Projection::new(
            a,
            b,
            Connector::fixed_probability(0.1),
            StaticSynapse::new(0.01, RandomDistribution::uniform(0.1, 3.0)),
        ))
        .unwrap();
        sim.connect(Projection::new(b, a, Connector::fixed_probability(0.1), StaticSynapse::new(-0.3, 1.0)).receptor(Receptor::Inhibitory))
            .unwrap();
        sim.record(a, &["spikes"]).unwrap();
        sim.record(b, &["spikes"]).unwrap();
        sim.run(200.0).unwrap();
        let spikes: Vec<Vec<f64>> =
            [a, b].iter().flat_map(|&p| sim.get_data(p).unwrap().spiketrains.into_iter().map(|s| s.times)).collect();
        out.push(spikes);
    }
    let n: usize = out[0].iter().map(Vec::len).sum();
    assert!(n > 1000, "too few spikes to compare: {n}");
    assert_eq!(out[0], out[1], "CPU and GPU spike trains differ");
}
