//! Mirror of `shaders/integrate_if_curr_alpha.wgsl` (passes as in
//! [`super::integrate_if_cond_exp`], the shader's per-neuron arithmetic).

use super::population::*;
use crate::model::if_curr_alpha::k;

simd_kernel!(
    /// One step of every neuron of an IF_curr_alpha population.
    integrate_if_curr_alpha
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

    let PopBuffers { kparams, state, counters, scratch, .. } = b;
    let (i_ext, v_old) = (&scratch.i_ext[..n], &mut scratch.v_old[..n]);
    let row = |r: usize| &kparams[r * n..(r + 1) * n];
    let (i_offset, v_rest, p30, p33m1) = (row(k::I_OFFSET), row(k::V_REST), row(k::P30), row(k::P33M1));
    let (p31e, p32e, p31i, p32i) = (row(k::P31E), row(k::P32E), row(k::P31I), row(k::P32I));
    let (p11e, p21e, p11i, p21i, jump_e, jump_i) = (row(k::P11E), row(k::P21E), row(k::P11I), row(k::P21I), row(k::JUMP_E), row(k::JUMP_I));
    let (v, rest) = state.split_at_mut(n);
    let (ie, rest) = rest.split_at_mut(n);
    let (ii, rest) = rest.split_at_mut(n);
    let (de, di) = rest.split_at_mut(n);
    let (di, counters) = (&mut di[..n], &mut counters[..n]);
    let (inv_e, inv_i) = (pop.inv_scale_e, pop.inv_scale_i);
    // v_old first: a loop that stores `if refr == 0 { v_int } else { v[i] }` back into v
    // becomes a masked store (vmaskmovps, microcoded on AMD); reading the old value from
    // v_old keeps it a blend and a plain store.
    v_old.copy_from_slice(&v[..n]);
    for i in 0..n {
        let i_e = ie[i];
        let i_i = ii[i];
        let d_e = de[i] + ring_e[i] as f32 * inv_e * jump_e[i];
        let d_i = di[i] + ring_i[i] as f32 * inv_i * jump_i[i];
        ring_e[i] = 0;
        ring_i[i] = 0;
        let i_total = i_offset[i] + i_ext[i];
        let refr = counters[i];
        let vo = v_old[i];
        let v_int = vo + p30[i] * i_total + p31e[i] * d_e + p32e[i] * i_e + p31i[i] * d_i + p32i[i] * i_i + p33m1[i] * (vo - v_rest[i]);
        v[i] = if refr == 0 { v_int } else { vo };
        counters[i] = refr.saturating_sub(1);
        ie[i] = p21e[i] * d_e + p11e[i] * i_e;
        de[i] = p11e[i] * d_e;
        ii[i] = p21i[i] * d_i + p11i[i] * i_i;
        di[i] = p11i[i] * d_i;
    }
    threshold_and_reset(g, &pop, v, counters, v_old, row(k::V_THRESH), row(k::V_RESET), row(k::REFRAC));
}
