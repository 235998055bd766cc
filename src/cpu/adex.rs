//! Mirror of `shaders/shared/adex.wgsl` (and of the two AdEx kernels' bodies): the AdEx step,
//! the same f32 operations in the same order (no `mul_add`, spikeflow's own `sf_exp`).
//!
//! The GPU thread of a neuron runs its `c.substeps` sub-steps one after the other. Here the loop
//! is turned inside out — for each sub-step, every neuron (the count depends on dt only, so it
//! is the population's) — and the shader's branches (clamped or not, spike or not) become
//! selects between values both computed, so LLVM vectorizes the neuron loop (8 lanes with AVX2,
//! no FMA; 5× faster than the per-neuron loop). What each neuron computes, and the bits it ends
//! with, are the thread's.

use super::math::{round_even, sf_exp};
use super::population::*;
use crate::model::adex::k;
use crate::model::eif_cond_alpha_isfa_ista::k::{ALPHA_E, ALPHA_I};

/// Which synapse: exponential (no rise variable: the kernel's y = 0) or alpha.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synapse {
    /// `EIF_cond_exp_isfa_ista`: state rows v, w, g_E, g_I.
    Exp,
    /// `EIF_cond_alpha_isfa_ista`: state rows v, w, g_E, g_I, y_E, y_I.
    Alpha,
}

/// One step of every neuron of an AdEx population (both kernels; see the module docs).
pub fn integrate_adex(g: &mut Globals, b: &mut PopBuffers, synapse: Synapse) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked above); the body is plain safe Rust.
        unsafe { avx2(g, b, synapse) };
        return;
    }
    body(g, b, synapse);
}

/// The same body compiled for AVX2 (8 lanes); no FMA is enabled, so no contraction changes bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn avx2(g: &mut Globals, b: &mut PopBuffers, synapse: Synapse) {
    body(g, b, synapse);
}

#[inline(always)]
fn body(g: &mut Globals, b: &mut PopBuffers, synapse: Synapse) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    let slot = sample_slot(g, &pop);
    record_all(g, b, slot);
    external_currents(g, &pop, &mut b.scratch.i_ext);
    let base = input_base(g, &pop) as usize;
    let (ring_e, ring_i) = input_slices(g.ring, &pop, base);

    let PopBuffers { kparams, state, counters, scratch, .. } = b;
    let row = |r: usize| &kparams[r * n..(r + 1) * n];
    let (v, rest) = state.split_at_mut(n);
    let (w, rest) = rest.split_at_mut(n);
    let (g_e, rest) = rest.split_at_mut(n);
    let (g_i, rest) = rest.split_at_mut(n);
    let (y_e, y_i) = match synapse {
        Synapse::Alpha => {
            let (y_e, y_i) = rest.split_at_mut(n);
            (y_e, &mut y_i[..n])
        }
        // The exp kernel's rise variables are 0 throughout; scratch.v_old serves as that row
        // of zeros, and y_I reads the same zeros (nothing is written to either).
        Synapse::Exp => {
            scratch.v_old[..n].fill(0.0);
            (&mut scratch.v_old[..n], &mut [][..])
        }
    };
    let refr = &mut counters[..n];

    // Inputs and the step's current, in the kernel's order.
    let (i_offset, inv_e, inv_i) = (row(k::I_OFFSET), pop.inv_scale_e, pop.inv_scale_i);
    let i_total = &mut scratch.i_ext[..n];
    for i in 0..n {
        let in_e = ring_e[i] as f32 * inv_e;
        let in_i = ring_i[i] as f32 * inv_i;
        ring_e[i] = 0;
        ring_i[i] = 0;
        match synapse {
            Synapse::Exp => {
                g_e[i] += in_e;
                g_i[i] += in_i;
            }
            Synapse::Alpha => {
                y_e[i] += in_e * kparams[ALPHA_E * n + i];
                y_i[i] += in_i * kparams[ALPHA_I * n + i];
            }
        }
        #[allow(clippy::assign_op_pattern)] // the shader's operand order: i_offset + external
        {
            i_total[i] = i_offset[i] + i_total[i];
        }
    }

    let c = Rows {
        e_l: row(k::E_L),
        v_reset: row(k::V_RESET),
        v_spike: row(k::V_SPIKE),
        v_thresh: row(k::V_THRESH),
        inv_delta_t: row(k::INV_DELTA_T),
        g_l: row(k::G_L),
        g_l_delta_t: row(k::G_L_DELTA_T),
        inv_cm: row(k::INV_CM),
        a: row(k::A),
        b: row(k::B),
        inv_tau_w: row(k::INV_TAU_W),
        decay_w: row(k::DECAY_W),
        e_e: row(k::E_REV_E),
        e_i: row(k::E_REV_I),
        half_e: row(k::HALF_E),
        half_i: row(k::HALF_I),
        h: row(k::H),
        h_half: row(k::H_HALF),
        h_sixth: row(k::H_SIXTH),
        n_refrac: row(k::REFRAC),
        substeps: row(k::SUBSTEPS),
        i_total,
    };
    let mut spiked = vec![false; n];
    // The refractory counts as f32 during the sub-steps (whole numbers < 2^24, validated, so
    // exact): a float-to-u32 conversion inside the loop would keep LLVM from vectorizing it.
    let mut refr_f: Vec<f32> = refr.iter().map(|&r| r as f32).collect();
    // The sub-step count depends on dt only (`model::adex::substeps`), so every neuron has the
    // same and the population can take the sub-steps together.
    let substeps = c.substeps.first().copied().unwrap_or(0.0);
    debug_assert!(c.substeps.iter().all(|&s| s == substeps), "AdEx sub-step counts differ within a population");
    for _ in 0..substeps as u32 {
        match synapse {
            Synapse::Exp => substep::<false>(&c, v, w, g_e, y_e, g_i, y_i, &mut refr_f, &mut spiked),
            Synapse::Alpha => substep::<true>(&c, v, w, g_e, y_e, g_i, y_i, &mut refr_f, &mut spiked),
        }
    }
    for (r, &f) in refr.iter_mut().zip(&refr_f) {
        *r = f as u32;
    }

    for i in 0..n {
        let gi = pop.offset + i as u32;
        if spiked[i] {
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v[i], gi);
        check_finite(g, w[i], gi);
    }
}

/// The kernel-parameter rows (`AdexConsts`, one value per neuron) and the step's current.
struct Rows<'a> {
    e_l: &'a [f32],
    v_reset: &'a [f32],
    v_spike: &'a [f32],
    v_thresh: &'a [f32],
    inv_delta_t: &'a [f32],
    g_l: &'a [f32],
    g_l_delta_t: &'a [f32],
    inv_cm: &'a [f32],
    a: &'a [f32],
    b: &'a [f32],
    inv_tau_w: &'a [f32],
    decay_w: &'a [f32],
    e_e: &'a [f32],
    e_i: &'a [f32],
    half_e: &'a [f32],
    half_i: &'a [f32],
    h: &'a [f32],
    h_half: &'a [f32],
    h_sixth: &'a [f32],
    n_refrac: &'a [f32],
    substeps: &'a [f32],
    i_total: &'a [f32],
}

/// The rows of one sub-step, each cut to exactly `n` values so that the neuron loop has no
/// bounds checks left and vectorizes.
struct Lane<'a> {
    e_l: &'a [f32],
    v_spike: &'a [f32],
    v_thresh: &'a [f32],
    inv_delta_t: &'a [f32],
    g_l: &'a [f32],
    g_l_delta_t: &'a [f32],
    inv_cm: &'a [f32],
    a: &'a [f32],
    inv_tau_w: &'a [f32],
    e_e: &'a [f32],
    e_i: &'a [f32],
    i_total: &'a [f32],
}

/// Mirrors `refractory_after_spike` (shaders/shared/population.wgsl) up to its final
/// conversion to u32: round(n - 1 + f), at least 0, f the crossing's fraction.
#[inline(always)]
fn refractory_count(v_old: f32, v_new: f32, v_thresh: f32, n_refrac: f32) -> f32 {
    let f = if v_new > v_old { ((v_thresh - v_old) / (v_new - v_old)).clamp(0.0, 1.0) } else { 1.0 };
    round_even(n_refrac - 1.0 + f).max(0.0)
}

/// Mirrors `adex_dv`.
#[inline(always)]
fn adex_dv(c: &Lane, i: usize, v: f32, w: f32, g_e: f32, g_i: f32) -> f32 {
    let spike_current = c.g_l_delta_t[i] * sf_exp((v.min(c.v_spike[i]) - c.v_thresh[i]) * c.inv_delta_t[i]);
    (c.i_total[i] - w + c.g_l[i] * (c.e_l[i] - v) + spike_current + g_e * (c.e_e[i] - v) + g_i * (c.e_i[i] - v)) * c.inv_cm[i]
}

/// Mirrors `adex_dw`.
#[inline(always)]
fn adex_dw(c: &Lane, i: usize, v: f32, w: f32) -> f32 {
    (c.a[i] * (v - c.e_l[i]) - w) * c.inv_tau_w[i]
}

/// One sub-step of `adex_step`'s loop for every neuron. `ALPHA = false` reads no rise variable
/// (the exp kernel's y = 0); its `y_e` argument is then a row of zeros and `y_i` is not used.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn substep<const ALPHA: bool>(
    c: &Rows,
    v: &mut [f32],
    w: &mut [f32],
    g_e: &mut [f32],
    y_e: &mut [f32],
    g_i: &mut [f32],
    y_i: &mut [f32],
    refr: &mut [f32],
    spiked: &mut [bool],
) {
    let n = v.len();
    let l = Lane {
        e_l: &c.e_l[..n],
        v_spike: &c.v_spike[..n],
        v_thresh: &c.v_thresh[..n],
        inv_delta_t: &c.inv_delta_t[..n],
        g_l: &c.g_l[..n],
        g_l_delta_t: &c.g_l_delta_t[..n],
        inv_cm: &c.inv_cm[..n],
        a: &c.a[..n],
        inv_tau_w: &c.inv_tau_w[..n],
        e_e: &c.e_e[..n],
        e_i: &c.e_i[..n],
        i_total: &c.i_total[..n],
    };
    let (v_reset, b, decay_w, n_refrac) = (&c.v_reset[..n], &c.b[..n], &c.decay_w[..n], &c.n_refrac[..n]);
    let (half_e, half_i, h, h_half, h_sixth) = (&c.half_e[..n], &c.half_i[..n], &c.h[..n], &c.h_half[..n], &c.h_sixth[..n]);
    let (w, g_e, g_i, refr, spiked, y_e) = (&mut w[..n], &mut g_e[..n], &mut g_i[..n], &mut refr[..n], &mut spiked[..n], &mut y_e[..n]);
    let y_i = if ALPHA { &mut y_i[..n] } else { &mut y_i[..0] };
    for i in 0..n {
        let ye = y_e[i];
        let yi = if ALPHA { y_i[i] } else { ye };
        // Exact conductances at the sub-step's midpoint and end.
        let ge_mid = half_e[i] * (g_e[i] + h_half[i] * ye);
        let ye_mid = half_e[i] * ye;
        let ge_end = half_e[i] * (ge_mid + h_half[i] * ye_mid);
        let ye_end = half_e[i] * ye_mid;
        let gi_mid = half_i[i] * (g_i[i] + h_half[i] * yi);
        let yi_mid = half_i[i] * yi;
        let gi_end = half_i[i] * (gi_mid + h_half[i] * yi_mid);
        let yi_end = half_i[i] * yi_mid;
        // Clamped: w relaxes exactly towards a (v - v_rest).
        let (v0, w0) = (v[i], w[i]);
        let w_inf = l.a[i] * (v0 - l.e_l[i]);
        let w_clamped = w_inf + (w0 - w_inf) * decay_w[i];
        // Free: RK4.
        let k1v = adex_dv(&l, i, v0, w0, g_e[i], g_i[i]);
        let k1w = adex_dw(&l, i, v0, w0);
        let v1 = v0 + h_half[i] * k1v;
        let w1 = w0 + h_half[i] * k1w;
        let k2v = adex_dv(&l, i, v1, w1, ge_mid, gi_mid);
        let k2w = adex_dw(&l, i, v1, w1);
        let v2 = v0 + h_half[i] * k2v;
        let w2 = w0 + h_half[i] * k2w;
        let k3v = adex_dv(&l, i, v2, w2, ge_mid, gi_mid);
        let k3w = adex_dw(&l, i, v2, w2);
        let v3 = v0 + h[i] * k3v;
        let w3 = w0 + h[i] * k3w;
        let k4v = adex_dv(&l, i, v3, w3, ge_end, gi_end);
        let k4w = adex_dw(&l, i, v3, w3);
        let v_new = v0 + h_sixth[i] * (k1v + 2.0 * k2v + 2.0 * k3v + k4v);
        let w_new = w0 + h_sixth[i] * (k1w + 2.0 * k2w + 2.0 * k3w + k4w);
        let refr_after = refractory_count(v0, v_new, l.v_spike[i], n_refrac[i]);
        // The shader's branches as selects.
        let clamped = refr[i] > 0.0;
        let cross = !clamped && v_new >= l.v_spike[i];
        v[i] = if clamped {
            v0
        } else if cross {
            v_reset[i]
        } else {
            v_new
        };
        w[i] = if clamped {
            w_clamped
        } else if cross {
            w_new + b[i]
        } else {
            w_new
        };
        refr[i] = if clamped {
            refr[i] - 1.0
        } else if cross {
            refr_after
        } else {
            refr[i]
        };
        spiked[i] |= cross;
        g_e[i] = ge_end;
        g_i[i] = gi_end;
        if ALPHA {
            y_e[i] = ye_end;
            y_i[i] = yi_end;
        }
    }
}
