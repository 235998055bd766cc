//! Mirror of `shaders/integrate_if_curr_exp.wgsl` (split into passes like
//! [`super::integrate_if_cond_exp`], same per-neuron arithmetic).

use super::population::*;
use crate::abi::PopInfo;
use crate::model::if_curr_exp::k;

simd_kernel!(
    /// One step of every neuron of an IF_curr_exp population (the loop plays the GPU threads).
    integrate_if_curr_exp
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
    let (i_ext, v_old) = (&scratch.i_ext[..n], &mut scratch.v_old[..n]);
    let m = if U { 1 } else { n };
    let row = |r: usize| &kparams[r * n..r * n + m];
    let (i_offset, v_rest, p20, p22m1) = (row(k::I_OFFSET), row(k::V_REST), row(k::P20), row(k::P22M1));
    let (p21e, p21i, p11e, p11i) = (row(k::P21E), row(k::P21I), row(k::P11E), row(k::P11I));
    let (v, rest) = state.split_at_mut(n);
    let (ie, ii) = rest.split_at_mut(n);
    let (ii, counters) = (&mut ii[..n], &mut counters[..n]);
    let (inv_e, inv_i) = (pop.inv_scale_e, pop.inv_scale_i);
    // v_old first: a loop that stores `if refr == 0 { v_int } else { v[i] }` back into v
    // becomes a masked store (vmaskmovps, microcoded on AMD); reading the old value from
    // v_old keeps it a blend and a plain store.
    v_old.copy_from_slice(&v[..n]);
    for i in 0..n {
        let mut i_e = ie[i] + ring_e[i] as f32 * inv_e;
        let mut i_i = ii[i] + ring_i[i] as f32 * inv_i;
        ring_e[i] = 0;
        ring_i[i] = 0;
        let i_total = at::<U>(i_offset, i) + i_ext[i];
        let refr = counters[i];
        let vo = v_old[i];
        let v_int = vo
            + at::<U>(p20, i) * i_total
            + at::<U>(p21e, i) * i_e
            + at::<U>(p21i, i) * i_i
            + at::<U>(p22m1, i) * (vo - at::<U>(v_rest, i));
        v[i] = if refr == 0 { v_int } else { vo };
        counters[i] = refr.saturating_sub(1);
        i_e *= at::<U>(p11e, i);
        i_i *= at::<U>(p11i, i);
        ie[i] = i_e;
        ii[i] = i_i;
    }
    threshold_and_reset_u::<U>(g, pop, v, counters, v_old, row(k::V_THRESH), row(k::V_RESET), row(k::REFRAC));
}
