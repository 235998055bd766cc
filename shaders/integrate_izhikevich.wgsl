// Izhikevich (2003): RK4 sub-steps with a reset at the interpolated crossing, or Izhikevich's
// published Euler half-steps (src/model/izhikevich.rs has the equations and the reasons).
// CPU mirror: spikeflow::cpu::integrate_izhikevich.
#import population

// Kernel parameter rows; mirror spikeflow::model::izhikevich::k.
const K_A: u32 = 0u;
const K_B: u32 = 1u;
const K_C: u32 = 2u;
const K_D: u32 = 3u;
const K_I_OFFSET: u32 = 4u;
const K_K2: u32 = 5u;
const K_K1: u32 = 6u;
const K_K0: u32 = 7u;
const K_V_U: u32 = 8u;
const K_K_U: u32 = 9u;
const K_H: u32 = 10u;
const K_SUBSTEPS: u32 = 11u;
const K_DT: u32 = 12u;
const K_NUMERICS: u32 = 13u;
const K_H6: u32 = 14u;

// Spike cut-off and overflow guard (mV); mirror izhikevich::V_PEAK and V_BOUND.
const V_PEAK: f32 = 30.0;
const V_BOUND: f32 = 10000.0;

// The right-hand side's constants for one neuron and step; `i` is the current in pA.
struct Cell {
    a: f32,
    b: f32,
    k2: f32,
    k1: f32,
    k0: f32,
    v_u: f32,
    k_u: f32,
    i: f32,
}

fn dv(c: Cell, v: f32, u: f32) -> f32 {
    let x = clamp(v, -V_BOUND, V_BOUND);
    return (c.k2 * x + c.k1) * x + c.k0 - u + c.i;
}

// du/dt = a * recovery(v, u); a is applied to the weighted sum of the slopes.
fn recovery(c: Cell, v: f32, u: f32) -> f32 {
    let x = clamp(v, -V_BOUND, V_BOUND);
    return c.b * (x - c.v_u) - c.k_u * u;
}

// Population sizes are < 2^31, so this is 0 — but the shader compiler cannot know it. OR-ing it
// into a value's bits leaves the value as it is and hides the expression that made it. Mesa's
// NIR (lavapipe) applies inexact algebraic rewrites, e.g. a·x + a·y → a·(x + y) across two RK4
// slopes and (u + x) − u → x, which change the rounding and part GPU from CPU; fencing the
// slopes and the step's results leaves every back end the same operations in the same order.
fn fence(x: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(x) | (grp.n >> 31u));
}

// 1/y for y > 0 with + and × only: a bit-trick seed (relative error < 12 %) and three Newton
// steps (12 % → 1.4 % → 2e-4 → 4e-8, then f32 rounding). WGSL only promises division to
// 2.5 ulp, so a kernel that must match its CPU mirror bit for bit does not divide.
fn recip(y: f32) -> f32 {
    var r = bitcast<f32>(0x7EF311C3u - bitcast<u32>(y));
    for (var k = 0u; k < 3u; k++) {
        r = fence(r * fence(2.0 - fence(y * r)));
    }
    return r;
}

// One classical Runge-Kutta step of length h from (v, u); h6 = h / 6.
fn rk4(c: Cell, v: f32, u: f32, h: f32, h6: f32) -> vec2<f32> {
    let hh = 0.5 * h;
    let a_hh = c.a * hh;
    let a_h = c.a * h;
    let a_h6 = c.a * h6;
    let k1v = fence(dv(c, v, u));
    let r1 = fence(recovery(c, v, u));
    let v2 = v + hh * k1v;
    let u2 = u + a_hh * r1;
    let k2v = fence(dv(c, v2, u2));
    let r2 = fence(recovery(c, v2, u2));
    let v3 = v + hh * k2v;
    let u3 = u + a_hh * r2;
    let k3v = fence(dv(c, v3, u3));
    let r3 = fence(recovery(c, v3, u3));
    let v4 = v + h * k3v;
    let u4 = u + a_h * r3;
    let k4v = fence(dv(c, v4, u4));
    let r4 = fence(recovery(c, v4, u4));
    // Fenced too: the crossing test uses next − v, which NIR would simplify to the increment.
    return vec2<f32>(fence(v + h6 * (k1v + 2.0 * (k2v + k3v) + k4v)), fence(u + a_h6 * (r1 + 2.0 * (r2 + r3) + r4)));
}

// One step of neuron i (global index gi): step this_step() of the dispatch's block.
fn update(i: u32, gi: u32) {
    let n = grp.n;
    record_sample(sample_slot(), i, gi);
    let base = input_base();

    // Arriving spikes: v jumps by the summed weights (mV).
    var v = state[i] + take_input(base, gi, 0u) + take_input(base, gi, 1u);
    var u = state[n + i];
    let cell = Cell(
        kp(K_A, i),
        kp(K_B, i),
        kp(K_K2, i),
        kp(K_K1, i),
        kp(K_K0, i),
        kp(K_V_U, i),
        kp(K_K_U, i),
        kp(K_I_OFFSET, i) + 1000.0 * external_current(i, gi),
    );
    let c = kp(K_C, i);
    let d = kp(K_D, i);
    var spiked = false;
    // A jump to the cut-off is a spike of this step; far below, v is floored (NEST's V_min).
    if (v >= V_PEAK) {
        v = c;
        u = u + d;
        spiked = true;
    }
    if (v < -V_BOUND) {
        v = -V_BOUND;
    }

    if (kp(K_NUMERICS, i) == 0.0) {
        let h = kp(K_H, i);
        let h6 = kp(K_H6, i);
        let substeps = u32(kp(K_SUBSTEPS, i));
        for (var k = 0u; k < substeps; k++) {
            let next = rk4(cell, v, u, h, h6);
            if (next.x >= V_PEAK) {
                // Reset where v crossed (linear interpolation), then finish the sub-step.
                var theta = 0.0;
                if (v < V_PEAK) {
                    theta = min((V_PEAK - v) * recip(next.x - v), 1.0);
                }
                let rest_fraction = 1.0 - theta;
                // (Fenced: u + θ (u_next − u) is a lerp pattern compilers may rewrite.)
                let u_cross = u + fence(theta * (next.y - u));
                let rest = rk4(cell, c, u_cross + d, rest_fraction * h, rest_fraction * h6);
                v = rest.x;
                u = rest.y;
                spiked = true;
            } else {
                v = next.x;
                u = next.y;
            }
        }
    } else {
        // Published numerics: v in two Euler half-steps with u frozen, then u with the new v.
        let dt = kp(K_DT, i);
        let half_dt = 0.5 * dt;
        v = v + half_dt * dv(cell, v, u);
        v = v + half_dt * dv(cell, v, u);
        u = u + dt * (cell.a * recovery(cell, v, u));
        if (v >= V_PEAK) {
            v = c;
            u = u + d;
            spiked = true;
        }
    }

    if (spiked) {
        emit_spike(gi);
    }
    check_finite(v, gi);
    check_finite(u, gi);
    state[i] = v;
    state[n + i] = u;
}
