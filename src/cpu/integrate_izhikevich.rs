//! Mirror of `shaders/integrate_izhikevich.wgsl`.
//!
//! Unlike the LIF mirrors this one is not split into vectorizable passes: the sub-step loop
//! branches per neuron (a crossing inside a sub-step costs a second RK4 step), so each neuron
//! runs the shader thread's body as written, in index order. Same f32 operations in the same
//! order as the shader, no FMA, so the bits are the GPU's.

use super::population::*;
use crate::model::izhikevich::{k, V_BOUND, V_PEAK};

/// Mirrors the shader's `Cell`: the right-hand side's constants of one neuron and step.
#[derive(Debug, Clone, Copy)]
struct Cell {
    a: f32,
    b: f32,
    k2: f32,
    k1: f32,
    k0: f32,
    v_u: f32,
    k_u: f32,
    i: f32,
    /// The shader's `pop.n >> 31` (see `fence`).
    zero: u32,
}

/// Mirrors `dv`.
#[inline(always)]
fn dv(c: &Cell, v: f32, u: f32) -> f32 {
    let x = v.clamp(-V_BOUND, V_BOUND);
    (c.k2 * x + c.k1) * x + c.k0 - u + c.i
}

/// Mirrors `recovery`: du/dt = a · recovery.
#[inline(always)]
fn recovery(c: &Cell, v: f32, u: f32) -> f32 {
    let x = v.clamp(-V_BOUND, V_BOUND);
    c.b * (x - c.v_u) - c.k_u * u
}

/// Mirrors `fence`: `zero` is the shader's `pop.n >> 31` (0); the value passes unchanged.
#[inline(always)]
fn fence(x: f32, zero: u32) -> f32 {
    f32::from_bits(x.to_bits() | zero)
}

/// Mirrors `recip`: 1/y for y > 0 without a division.
#[inline(always)]
fn recip(y: f32, zero: u32) -> f32 {
    let mut r = f32::from_bits(0x7EF3_11C3 - y.to_bits());
    for _ in 0..3 {
        r = fence(r * fence(2.0 - fence(y * r, zero), zero), zero);
    }
    r
}

/// Mirrors `rk4` (h6 = h / 6).
#[inline(always)]
fn rk4(c: &Cell, v: f32, u: f32, h: f32, h6: f32) -> (f32, f32) {
    let hh = 0.5 * h;
    let a_hh = c.a * hh;
    let a_h = c.a * h;
    let a_h6 = c.a * h6;
    let k1v = fence(dv(c, v, u), c.zero);
    let r1 = fence(recovery(c, v, u), c.zero);
    let v2 = v + hh * k1v;
    let u2 = u + a_hh * r1;
    let k2v = fence(dv(c, v2, u2), c.zero);
    let r2 = fence(recovery(c, v2, u2), c.zero);
    let v3 = v + hh * k2v;
    let u3 = u + a_hh * r2;
    let k3v = fence(dv(c, v3, u3), c.zero);
    let r3 = fence(recovery(c, v3, u3), c.zero);
    let v4 = v + h * k3v;
    let u4 = u + a_h * r3;
    let k4v = fence(dv(c, v4, u4), c.zero);
    let r4 = fence(recovery(c, v4, u4), c.zero);
    (fence(v + h6 * (k1v + 2.0 * (k2v + k3v) + k4v), c.zero), fence(u + a_h6 * (r1 + 2.0 * (r2 + r3) + r4), c.zero))
}

/// One step of every neuron of an Izhikevich population (the loop plays the GPU threads).
pub fn integrate_izhikevich(g: &mut Globals, b: &mut PopBuffers) {
    let pop = *b.pop;
    reset_spike_counts(g, &pop);
    let n = pop.n as usize;
    let slot = sample_slot(g, &pop);
    record_all(g, b, slot);
    external_currents(g, &pop, &mut b.scratch.i_ext);
    let base = input_base(g, &pop);
    if b.kparams[k::NUMERICS * n..(k::NUMERICS + 1) * n].iter().all(|&m| m == 1.0) {
        published(g, b, base);
        return;
    }
    for i in 0..n {
        let gi = pop.offset + i as u32;
        let v_in = b.state[i] + take_input(g, &pop, base, gi, 0) + take_input(g, &pop, base, gi, 1);
        let (mut v, mut u) = (v_in, b.state[n + i]);
        let cell = Cell {
            a: b.kp(k::A, i),
            b: b.kp(k::B, i),
            k2: b.kp(k::K2, i),
            k1: b.kp(k::K1, i),
            k0: b.kp(k::K0, i),
            v_u: b.kp(k::V_U, i),
            k_u: b.kp(k::K_U, i),
            i: b.kp(k::I_OFFSET, i) + 1000.0 * b.scratch.i_ext[i],
            zero: pop.n >> 31,
        };
        let (c, d) = (b.kp(k::C, i), b.kp(k::D, i));
        let mut spiked = false;
        if v >= V_PEAK {
            v = c;
            u += d;
            spiked = true;
        }
        if v < -V_BOUND {
            v = -V_BOUND;
        }

        if b.kp(k::NUMERICS, i) == 0.0 {
            let h = b.kp(k::H, i);
            let h6 = b.kp(k::H6, i);
            let substeps = b.kp(k::SUBSTEPS, i) as u32;
            for _ in 0..substeps {
                let (nv, nu) = rk4(&cell, v, u, h, h6);
                if nv >= V_PEAK {
                    let mut theta = 0.0f32;
                    if v < V_PEAK {
                        theta = ((V_PEAK - v) * recip(nv - v, cell.zero)).min(1.0);
                    }
                    let rest_fraction = 1.0 - theta;
                    let u_cross = u + fence(theta * (nu - u), cell.zero);
                    (v, u) = rk4(&cell, c, u_cross + d, rest_fraction * h, rest_fraction * h6);
                    spiked = true;
                } else {
                    (v, u) = (nv, nu);
                }
            }
        } else {
            let dt = b.kp(k::DT, i);
            let half_dt = 0.5 * dt;
            v = v + half_dt * dv(&cell, v, u);
            v = v + half_dt * dv(&cell, v, u);
            u = u + dt * (cell.a * recovery(&cell, v, u));
            if v >= V_PEAK {
                v = c;
                u += d;
                spiked = true;
            }
        }

        if spiked {
            emit_spike(g, &pop, gi);
        }
        check_finite(g, v, gi);
        check_finite(g, u, gi);
        b.state[i] = v;
        b.state[n + i] = u;
    }
}

/// The published numerics for a whole population (every neuron's `NUMERICS` is 1): the
/// shader thread's operations of that branch, in its order, as one branch-free pass (selects
/// instead of ifs, so LLVM vectorizes it; compiled for AVX2 when the CPU has it), then the
/// spikes emitted and the finiteness checked in index order, as the scalar loop does.
fn published(g: &mut Globals, b: &mut PopBuffers, base: u32) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked above); the body is plain safe Rust.
        unsafe { published_avx2(g, b, base) };
        return;
    }
    published_body(g, b, base);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn published_avx2(g: &mut Globals, b: &mut PopBuffers, base: u32) {
    published_body(g, b, base);
}

#[inline(always)]
fn published_body(g: &mut Globals, b: &mut PopBuffers, base: u32) {
    let pop = *b.pop;
    let n = pop.n as usize;
    let (off, n_total) = (pop.offset as usize, pop.n_total as usize);
    let (inv_e, inv_i) = (pop.inv_scale_e, pop.inv_scale_i);
    {
        let ring = &mut g.ring[base as usize..base as usize + 2 * n_total];
        let (ring_e, ring_i) = ring.split_at_mut(n_total);
        let (ring_e, ring_i) = (&mut ring_e[off..off + n], &mut ring_i[off..off + n]);
        let kp = b.kparams;
        let row = |r: usize| &kp[r * n..(r + 1) * n];
        let (a, bb, c, d, i_off) = (row(k::A), row(k::B), row(k::C), row(k::D), row(k::I_OFFSET));
        let (k2, k1, k0, v_u, k_u, dt) = (row(k::K2), row(k::K1), row(k::K0), row(k::V_U), row(k::K_U), row(k::DT));
        let (vs, us) = b.state.split_at_mut(n);
        let (vs, us) = (&mut vs[..n], &mut us[..n]);
        let i_ext = &b.scratch.i_ext[..n];
        let flags = &mut b.scratch.flags[..n];
        for i in 0..n {
            let e_in = ring_e[i] as f32 * inv_e;
            let i_in = ring_i[i] as f32 * inv_i;
            ring_e[i] = 0;
            ring_i[i] = 0;
            let mut v = vs[i] + e_in + i_in;
            let mut u = us[i];
            let cell = Cell {
                a: a[i],
                b: bb[i],
                k2: k2[i],
                k1: k1[i],
                k0: k0[i],
                v_u: v_u[i],
                k_u: k_u[i],
                i: i_off[i] + 1000.0 * i_ext[i],
                zero: 0,
            };
            let first = v >= V_PEAK;
            v = if first { c[i] } else { v };
            u = if first { u + d[i] } else { u };
            v = if v < -V_BOUND { -V_BOUND } else { v };
            let half_dt = 0.5 * dt[i];
            v = v + half_dt * dv(&cell, v, u);
            v = v + half_dt * dv(&cell, v, u);
            u = u + dt[i] * (cell.a * recovery(&cell, v, u));
            let second = v >= V_PEAK;
            v = if second { c[i] } else { v };
            u = if second { u + d[i] } else { u };
            flags[i] = u32::from(first | second);
            vs[i] = v;
            us[i] = u;
        }
    }
    for i in 0..n {
        let (v, u) = (b.state[i], b.state[n + i]);
        let bad = (v.to_bits() & 0x7F80_0000 == 0x7F80_0000) | (u.to_bits() & 0x7F80_0000 == 0x7F80_0000);
        if b.scratch.flags[i] != 0 || bad {
            let gi = pop.offset + i as u32;
            if b.scratch.flags[i] != 0 {
                emit_spike(g, &pop, gi);
            }
            check_finite(g, v, gi);
            check_finite(g, u, gi);
        }
    }
}
