//! Mirror of `shaders/integrate_if_cond_alpha.wgsl` (passes as in
//! [`super::integrate_if_cond_exp`], the shader's per-neuron arithmetic).

use super::math::sf_exp;
use super::population::*;
use crate::model::if_cond_alpha::k;

simd_kernel!(
    /// One step of every neuron of an IF_cond_alpha population.
    integrate_if_cond_alpha
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
    let (i_offset, g_l, dt_cm, v_rest, e_e, e_i) =
        (row(k::I_OFFSET), row(k::G_L), row(k::DT_OVER_CM), row(k::V_REST), row(k::E_REV_E), row(k::E_REV_I));
    let (decay_e, h_decay_e, half_e, h_half_e, jump_e) =
        (row(k::DECAY_E), row(k::H_DECAY_E), row(k::HALF_E), row(k::H_HALF_E), row(k::JUMP_E));
    let (decay_i, h_decay_i, half_i, h_half_i, jump_i) =
        (row(k::DECAY_I), row(k::H_DECAY_I), row(k::HALF_I), row(k::H_HALF_I), row(k::JUMP_I));
    let (v, rest) = state.split_at_mut(n);
    let (ge, rest) = rest.split_at_mut(n);
    let (gi, rest) = rest.split_at_mut(n);
    let (de, di) = rest.split_at_mut(n);
    let (di, counters) = (&mut di[..n], &mut counters[..n]);
    let (inv_e, inv_i) = (pop.inv_scale_e, pop.inv_scale_i);
    // v_old first: a loop that stores `if refr == 0 { v_int } else { v[i] }` back into v
    // becomes a masked store (vmaskmovps, microcoded on AMD); reading the old value from
    // v_old keeps it a blend and a plain store.
    v_old.copy_from_slice(&v[..n]);
    for i in 0..n {
        let g_e = ge[i];
        let g_i = gi[i];
        let d_e = de[i] + ring_e[i] as f32 * inv_e * jump_e[i];
        let d_i = di[i] + ring_i[i] as f32 * inv_i * jump_i[i];
        ring_e[i] = 0;
        ring_i[i] = 0;
        let i_total = i_offset[i] + i_ext[i];
        let refr = counters[i];
        let vo = v_old[i];
        let ge_mid = h_half_e[i] * d_e + half_e[i] * g_e;
        let gi_mid = h_half_i[i] * d_i + half_i[i] * g_i;
        let g_tot = g_l[i] + ge_mid + gi_mid;
        let v_inf = (g_l[i] * v_rest[i] + ge_mid * e_e[i] + gi_mid * e_i[i] + i_total) / g_tot;
        let v_int = v_inf + (vo - v_inf) * sf_exp(-(dt_cm[i] * g_tot));
        v[i] = if refr == 0 { v_int } else { vo };
        counters[i] = refr.saturating_sub(1);
        ge[i] = h_decay_e[i] * d_e + decay_e[i] * g_e;
        de[i] = decay_e[i] * d_e;
        gi[i] = h_decay_i[i] * d_i + decay_i[i] * g_i;
        di[i] = decay_i[i] * d_i;
    }
    threshold_and_reset(g, &pop, v, counters, v_old, row(k::V_THRESH), row(k::V_RESET), row(k::REFRAC));
}
