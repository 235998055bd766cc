//! Mirror of `shaders/integrate_if_cond_exp.wgsl`.
//!
//! Each neuron goes through the shader's operations in the shader's order; the loop is split
//! into passes (record, external current, integrate, threshold) so that the arithmetic pass has
//! no branches and LLVM vectorizes it. The bits are the same as the GPU thread's.

use super::math::sf_exp;
use super::population::*;
use crate::abi::PopInfo;
use crate::model::if_cond_exp::k;

simd_kernel!(
    /// One step of every neuron of an IF_cond_exp population.
    integrate_if_cond_exp
);

#[inline(always)]
fn body(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let slot = sample_slot(g, &pop);
    record_all(g, b, slot);
    external_currents(g, &pop, &mut b.scratch.i_ext);
    if b.scratch.uniform_params {
        step::<true>(g, b, &pop);
    } else {
        step::<false>(g, b, &pop);
    }
}

/// The arithmetic and threshold passes; `U`: every parameter row is uniform (read once).
#[inline(always)]
fn step<const U: bool>(g: &mut Globals, b: &mut PopBuffers, pop: &PopInfo) {
    let n = pop.n as usize;
    let base = input_base(g, pop) as usize;
    let (ring_e, ring_i) = input_slices(g.ring, pop, base);
    let PopBuffers { kparams, state, counters, scratch, .. } = b;
    // Passes: (1) inputs, conductances, v_inf and the exp argument; (2) the exps alone, a
    // short loop whose iterations overlap (the polynomial is a long dependency chain); (3) v.
    // Each neuron's operations and their order are the shader's.
    let (i_ext_vinf, v_old, arg) = (&mut scratch.i_ext[..n], &mut scratch.v_old[..n], &mut scratch.tmp[..n]);
    let m = if U { 1 } else { n };
    let row = |r: usize| &kparams[r * n..r * n + m];
    let (i_offset, g_l, dt_cm, v_rest) = (row(k::I_OFFSET), row(k::G_L), row(k::DT_OVER_CM), row(k::V_REST));
    let (e_e, e_i, decay_e, decay_i) = (row(k::E_REV_E), row(k::E_REV_I), row(k::DECAY_E), row(k::DECAY_I));
    let (half_e, half_i) = (row(k::HALF_E), row(k::HALF_I));
    let (v, rest) = state.split_at_mut(n);
    let (ge, gi) = rest.split_at_mut(n);
    let (gi, counters) = (&mut gi[..n], &mut counters[..n]);
    let (inv_e, inv_i) = (pop.inv_scale_e, pop.inv_scale_i);
    for i in 0..n {
        let mut g_e = ge[i] + ring_e[i] as f32 * inv_e;
        let mut g_i = gi[i] + ring_i[i] as f32 * inv_i;
        ring_e[i] = 0;
        ring_i[i] = 0;
        let i_total = at::<U>(i_offset, i) + i_ext_vinf[i];
        let ge_mid = g_e * at::<U>(half_e, i);
        let gi_mid = g_i * at::<U>(half_i, i);
        let g_tot = at::<U>(g_l, i) + ge_mid + gi_mid;
        let v_inf = (at::<U>(g_l, i) * at::<U>(v_rest, i) + ge_mid * at::<U>(e_e, i) + gi_mid * at::<U>(e_i, i) + i_total) / g_tot;
        i_ext_vinf[i] = v_inf;
        arg[i] = -(at::<U>(dt_cm, i) * g_tot);
        g_e *= at::<U>(decay_e, i);
        g_i *= at::<U>(decay_i, i);
        ge[i] = g_e;
        gi[i] = g_i;
    }
    for x in arg.iter_mut() {
        *x = sf_exp(*x);
    }
    // v_old first: a loop that stores `if refr == 0 { v_int } else { v[i] }` back into v
    // becomes a masked store (vmaskmovps, microcoded on AMD); reading the old value from
    // v_old keeps it a blend and a plain store.
    v_old.copy_from_slice(&v[..n]);
    for i in 0..n {
        let refr = counters[i];
        let vo = v_old[i];
        let v_inf = i_ext_vinf[i];
        let v_int = v_inf + (vo - v_inf) * arg[i];
        v[i] = if refr == 0 { v_int } else { vo };
        counters[i] = refr.saturating_sub(1);
    }
    threshold_and_reset_u::<U>(g, pop, v, counters, v_old, row(k::V_THRESH), row(k::V_RESET), row(k::REFRAC));
}
