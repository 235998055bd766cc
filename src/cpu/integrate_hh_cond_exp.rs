//! Mirror of `shaders/integrate_hh_cond_exp.wgsl`: the same f32 operations in the same order
//! (no `mul_add`, spikeflow's own `sf_exp`); WGSL's `vec4` arithmetic is component-wise, so it is
//! written out per component.
//!
//! The GPU thread of a neuron runs its sub-steps one after the other. Here the loop is turned
//! inside out — for each sub-step, every neuron — and the shader's branches (the series or the
//! quotient in `hh_bernoulli`, the 0 mV crossing) become selects between values both computed,
//! so LLVM vectorizes the neuron loop (8 lanes with AVX2, no FMA). When the neurons' sub-step
//! counts differ (the stability rule depends on their conductances), a neuron sits out the
//! sub-steps beyond its own count. What each neuron computes, and the bits it ends with, are
//! the thread's.
// The literals are the WGSL file's text, digit for digit, so both sides round them alike.
#![allow(clippy::excessive_precision)]

use super::math::sf_exp;
use super::population::*;
use crate::model::hh_cond_exp::k;

/// Mirrors `HH_SPIKE_CROSSING` (mV).
const HH_SPIKE_CROSSING: f32 = 0.0;

simd_kernel!(
    /// One step of every neuron of an HH_cond_exp population.
    integrate_hh_cond_exp
);

#[inline(always)]
fn body(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    let slot = sample_slot(g, &pop);
    record_all(g, b, slot);
    external_currents(g, &pop, &mut b.scratch.i_ext);
    let base = input_base(g, &pop) as usize;
    let (ring_e, ring_i) = input_slices(g.ring, &pop, base);

    let PopBuffers { kparams, state, scratch, .. } = b;
    let row = |r: usize| &kparams[r * n..(r + 1) * n];
    // State rows: v, gsyn_exc, gsyn_inh, m, h, n.
    let (v, rest) = state.split_at_mut(n);
    let (g_e, rest) = rest.split_at_mut(n);
    let (g_i, rest) = rest.split_at_mut(n);
    let (m, rest) = rest.split_at_mut(n);
    let (h, rest) = rest.split_at_mut(n);
    let gate_n = &mut rest[..n];

    // Inputs and the step's current, in the kernel's order.
    let (i_offset, inv_e, inv_i) = (row(k::I_OFFSET), pop.inv_scale_e, pop.inv_scale_i);
    let i_total = &mut scratch.i_ext[..n];
    for i in 0..n {
        g_e[i] += ring_e[i] as f32 * inv_e;
        g_i[i] += ring_i[i] as f32 * inv_i;
        ring_e[i] = 0;
        ring_i[i] = 0;
        #[allow(clippy::assign_op_pattern)] // the shader's operand order: i_offset + external
        {
            i_total[i] = i_offset[i] + i_total[i];
        }
    }

    let c = Rows {
        g_na: row(k::G_NA),
        g_k: row(k::G_K),
        g_leak: row(k::G_LEAK),
        inv_cm: row(k::INV_CM),
        v_offset: row(k::V_OFFSET),
        e_na: row(k::E_NA),
        e_k: row(k::E_K),
        e_leak: row(k::E_LEAK),
        e_e: row(k::E_REV_E),
        e_i: row(k::E_REV_I),
        i_total,
    };
    let s = Steps {
        half_e: row(k::HALF_E),
        half_i: row(k::HALF_I),
        h: row(k::H),
        h_half: row(k::H_HALF),
        h_sixth: row(k::H_SIXTH),
        substeps: row(k::SUBSTEPS),
    };
    let mut crossed = vec![false; n];
    // The counts differ between neurons only if their channel densities or cm do: without a
    // mask the loop vectorizes, so the masked one is used only then.
    let first = s.substeps.first().copied().unwrap_or(0.0);
    let uniform = s.substeps.iter().all(|&x| x == first);
    let max_substeps = s.substeps.iter().fold(0f32, |a, &x| a.max(x)) as u32;
    let mut y = [v, m, h, gate_n];
    for j in 0..max_substeps {
        if uniform {
            substep::<false>(&c, &s, j, &mut y, g_e, g_i, &mut crossed);
        } else {
            substep::<true>(&c, &s, j, &mut y, g_e, g_i, &mut crossed);
        }
    }

    let v = &y[0];
    for i in 0..n {
        let gi = pop.offset + i as u32;
        if crossed[i] {
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v[i], gi);
    }
}

/// The kernel-parameter rows of `HhConsts` (one value per neuron) and the step's current.
struct Rows<'a> {
    g_na: &'a [f32],
    g_k: &'a [f32],
    g_leak: &'a [f32],
    inv_cm: &'a [f32],
    v_offset: &'a [f32],
    e_na: &'a [f32],
    e_k: &'a [f32],
    e_leak: &'a [f32],
    e_e: &'a [f32],
    e_i: &'a [f32],
    i_total: &'a [f32],
}

/// The sub-step rows.
struct Steps<'a> {
    half_e: &'a [f32],
    half_i: &'a [f32],
    h: &'a [f32],
    h_half: &'a [f32],
    h_sixth: &'a [f32],
    substeps: &'a [f32],
}

/// Mirrors `hh_bernoulli`: u / (exp(u) - 1); both sides of the shader's branch are computed.
#[inline(always)]
fn hh_bernoulli(u: f32) -> f32 {
    let u2 = u * u;
    let series = 1.0 - 0.5 * u + u2 * (0.083_333_335_8 - u2 * 0.001_388_888_92);
    let quotient = u / (sf_exp(u) - 1.0);
    if u.abs() < 0.100_000_001 {
        series
    } else {
        quotient
    }
}

/// Mirrors `hh_rhs` for neuron `i`: d(v, m, h, n)/dt at `y` with conductances `g_e`, `g_i`.
#[inline(always)]
fn hh_rhs(c: &Rows, i: usize, y: [f32; 4], g_e: f32, g_i: f32) -> [f32; 4] {
    let [v, m, h, n] = y;
    let u = v - c.v_offset[i];
    let alpha_m = 1.279_999_97 * hh_bernoulli((13.0 - u) * 0.25);
    let beta_m = 1.399_999_98 * hh_bernoulli((u - 40.0) * 0.200_000_003);
    let alpha_h = 0.128_000_006 * sf_exp((17.0 - u) * 0.055_555_556);
    let beta_h = 4.0 / (1.0 + sf_exp((40.0 - u) * 0.200_000_003));
    let alpha_n = 0.159_999_996 * hh_bernoulli((15.0 - u) * 0.200_000_003);
    let beta_n = 0.5 * sf_exp((10.0 - u) * 0.025_000_000_4);
    let n2 = n * n;
    let i_sum = c.i_total[i]
        + g_e * (c.e_e[i] - v)
        + g_i * (c.e_i[i] - v)
        + c.g_leak[i] * (c.e_leak[i] - v)
        + c.g_k[i] * (n2 * n2) * (c.e_k[i] - v)
        + c.g_na[i] * (m * m * m * h) * (c.e_na[i] - v);
    let dv = i_sum * c.inv_cm[i];
    let r_m = alpha_m + beta_m;
    let r_h = alpha_h + beta_h;
    let r_n = alpha_n + beta_n;
    [dv, (alpha_m / r_m - m) * r_m, (alpha_h / r_h - h) * r_h, (alpha_n / r_n - n) * r_n]
}

/// `y + s * d`, component-wise (WGSL `y + s * d` on vec4).
#[inline(always)]
fn add_scaled(y: [f32; 4], s: f32, d: [f32; 4]) -> [f32; 4] {
    [y[0] + s * d[0], y[1] + s * d[1], y[2] + s * d[2], y[3] + s * d[3]]
}

/// Sub-step `j` of the kernel's loop for every neuron; `y` = the rows (v, m, h, n).
/// `MASKED`: neurons may have fewer sub-steps than `j + 1` (they then keep their values).
#[inline(always)]
fn substep<const MASKED: bool>(
    c: &Rows,
    s: &Steps,
    j: u32,
    y: &mut [&mut [f32]; 4],
    g_e: &mut [f32],
    g_i: &mut [f32],
    crossed: &mut [bool],
) {
    let n = g_e.len();
    let c = Rows {
        g_na: &c.g_na[..n],
        g_k: &c.g_k[..n],
        g_leak: &c.g_leak[..n],
        inv_cm: &c.inv_cm[..n],
        v_offset: &c.v_offset[..n],
        e_na: &c.e_na[..n],
        e_k: &c.e_k[..n],
        e_leak: &c.e_leak[..n],
        e_e: &c.e_e[..n],
        e_i: &c.e_i[..n],
        i_total: &c.i_total[..n],
    };
    let (half_e, half_i, h, h_half, h_sixth, substeps) =
        (&s.half_e[..n], &s.half_i[..n], &s.h[..n], &s.h_half[..n], &s.h_sixth[..n], &s.substeps[..n]);
    let [v, m, hh, nn] = y;
    let (v, m, hh, nn, g_i, crossed) = (&mut v[..n], &mut m[..n], &mut hh[..n], &mut nn[..n], &mut g_i[..n], &mut crossed[..n]);
    let jf = j as f32;
    for i in 0..n {
        let active = !MASKED || jf < substeps[i];
        // Exact conductances at the sub-step's midpoint and end.
        let ge_mid = g_e[i] * half_e[i];
        let ge_end = ge_mid * half_e[i];
        let gi_mid = g_i[i] * half_i[i];
        let gi_end = gi_mid * half_i[i];
        let y0 = [v[i], m[i], hh[i], nn[i]];
        let k1 = hh_rhs(&c, i, y0, g_e[i], g_i[i]);
        let k2 = hh_rhs(&c, i, add_scaled(y0, h_half[i], k1), ge_mid, gi_mid);
        let k3 = hh_rhs(&c, i, add_scaled(y0, h_half[i], k2), ge_mid, gi_mid);
        let k4 = hh_rhs(&c, i, add_scaled(y0, h[i], k3), ge_end, gi_end);
        let sum: [f32; 4] = std::array::from_fn(|q| k1[q] + 2.0 * k2[q] + 2.0 * k3[q] + k4[q]);
        let y_new = add_scaled(y0, h_sixth[i], sum);
        crossed[i] |= active && y0[0] < HH_SPIKE_CROSSING && y_new[0] >= HH_SPIKE_CROSSING;
        v[i] = if active { y_new[0] } else { y0[0] };
        m[i] = if active { y_new[1] } else { y0[1] };
        hh[i] = if active { y_new[2] } else { y0[2] };
        nn[i] = if active { y_new[3] } else { y0[3] };
        g_e[i] = if active { ge_end } else { g_e[i] };
        g_i[i] = if active { gi_end } else { g_i[i] };
    }
}
