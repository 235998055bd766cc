//! Mirror of `shaders/construct.wgsl`: random connectors and their random weights and delays
//! drawn from counter-based Philox streams, one "thread" (loop iteration) per item.
//!
//! An item is a presynaptic neuron (FixedProbability, FixedNumberPost, FixedTotalNumber's fill),
//! a postsynaptic neuron (FixedNumberPre) or one synapse (FixedTotalNumber's count, which draws
//! the row of each of its n synapses; the fill then draws each row's partners). In CSR mode
//! FixedNumberPre's items are rows: each sorts the keys its keys pass wrote and writes those
//! synapses. Sampling without replacement keeps the drawn candidates in a set (the kernel: a
//! hash table per thread in its scratch binding, `table_size` words). Every draw is a pure
//! function of (seed, projection, item, draw index, purpose, block): the connector's draws of
//! item `i` come from the counter `(i, 0, CONSTRUCT | proj, PURPOSE_CONNECT << 24 | block)`,
//! the weight of the item's `r`-th synapse from `(i, r, CONSTRUCT | proj, PURPOSE_WEIGHT << 24
//! | attempt)`, its delay likewise. Items are therefore independent — the GPU runs one thread
//! each, the host splits them over its cores — and any split gives the same synapses.
//!
//! Only + − × and comparisons in f32 (no division, no platform `ln`/`sqrt`/`cos`): `sf_ln`,
//! `sf_sqrt` and `sf_cos2pi` below are polynomial and Newton forms the shader spells the same
//! way, so the GPU gives these bits.
// The literals are the WGSL file's text, digit for digit, so both sides round them alike.
#![allow(clippy::excessive_precision)]

use crate::abi::*;
use crate::cpu::math::sf_exp;
use crate::cpu::plastic::u32_to_f32;
use crate::random::{kernel_stream, philox4x32, u01_f32 as u01};
use std::collections::HashSet;

/// Most redraws of a clipped normal before it falls back to clamping its mean into the bounds.
pub const MAX_REDRAWS: u32 = 1024;

// The WGSL file's literals (they round to std's constants; both sides must parse the same text).
const LN2: f32 = 0.693_147_182;
#[allow(clippy::approx_constant)]
const SQRT2: f32 = 1.414_213_56;
#[allow(clippy::approx_constant)]
const PI: f32 = 3.141_592_65;

/// Mirrors `recip`: 1/y for y in [1, 4] by three Newton steps, without a division.
#[inline]
fn recip(y: f32) -> f32 {
    let mut r = f32::from_bits(0x7EF3_11C3u32.wrapping_sub(y.to_bits()));
    for _ in 0..3 {
        r *= 2.0 - y * r;
    }
    r
}

/// Mirrors `sf_ln`: natural logarithm of a positive normal f32 (absolute error < 3e-7 for x
/// in [2^-24, 1]). x = 2^e·m with m in [√½, √2), ln m = 2 atanh((m − 1)/(m + 1)) by its series.
#[inline]
pub fn sf_ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut e = (bits >> 23) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000);
    if m > SQRT2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) * recip(m + 1.0);
    let s2 = s * s;
    let poly = 2.0 + s2 * (0.666_666_687 + s2 * (0.400_000_006 + s2 * (0.285_714_298 + s2 * (0.222_222_224 + s2 * 0.181_818_187))));
    (e as f32) * LN2 + s * poly
}

/// Mirrors `sf_sqrt`: √x for x ≥ 0 (relative error < 3e-7) by Newton steps on 1/√x.
#[inline]
pub fn sf_sqrt(x: f32) -> f32 {
    if x <= 0.0 {
        return 0.0;
    }
    let hx = 0.5 * x;
    let mut r = f32::from_bits(0x5F37_59DFu32.wrapping_sub(x.to_bits() >> 1));
    for _ in 0..3 {
        r *= 1.5 - hx * r * r;
    }
    x * r
}

/// Mirrors `sf_cos2pi`: cos(2π(u − ½)) = −cos(2πu) for u in [0, 1), as 1 − 2 sin²(π(u − ½)).
#[inline]
pub fn sf_cos2pi(u: f32) -> f32 {
    let y = (u - 0.5) * PI;
    let y2 = y * y;
    let s = y
        * (1.0
            + y2 * (-0.166_666_672
                + y2 * (0.008_333_333_77
                    + y2 * (-0.000_198_412_701 + y2 * (2.755_731_92e-6 + y2 * (-2.505_210_8e-8 + y2 * 1.605_904_4e-10))))));
    1.0 - 2.0 * s * s
}

/// Uniform in (0, 1] with 24 bits (a valid argument of `sf_ln`).
#[inline]
fn u01_open(x: u32) -> f32 {
    ((x >> 8) + 1) as f32 * (1.0 / 16_777_216.0)
}

/// Standard normal by Box–Muller from two words (tails end at 5.8σ: u1 ≥ 2^-24).
#[inline]
fn normal(x: [u32; 4]) -> f32 {
    sf_sqrt(-2.0 * sf_ln(u01_open(x[0]))) * sf_cos2pi(u01(x[1]))
}

/// A sequential stream of words: blocks of 4 from `(a, b, c, d_base | block)`. Mirrors `Words`.
struct Words {
    ctr: [u32; 4],
    key: [u32; 2],
    block: u32,
    buf: [u32; 4],
    used: usize,
}

impl Words {
    fn new(a: u32, b: u32, c: u32, purpose: u32, key: [u32; 2]) -> Self {
        Self { ctr: [a, b, c, purpose << 24], key, block: 0, buf: [0; 4], used: 4 }
    }

    fn next(&mut self) -> u32 {
        if self.used == 4 {
            self.buf = philox4x32([self.ctr[0], self.ctr[1], self.ctr[2], self.ctr[3] | self.block], self.key);
            self.block += 1;
            self.used = 0;
        }
        self.used += 1;
        self.buf[self.used - 1]
    }

    /// Uniform integer in [0, m), m > 0 (Lemire's multiply-and-reject). Mirrors `below`.
    fn below(&mut self, m: u32) -> u32 {
        let threshold = m.wrapping_neg() % m;
        loop {
            let prod = u64::from(self.next()) * u64::from(m);
            if (prod as u32) >= threshold {
                return (prod >> 32) as u32;
            }
        }
    }
}

/// One value of distribution `kind` with parameters `p` for synapse `r` of `item`. Mirrors
/// `sample`.
pub fn sample(c: &ConstructParams, kind: u32, p: [f32; 4], purpose: u32, item: u32, r: u32) -> f32 {
    let key = [c.key0, c.key1];
    let stream = kernel_stream::CONSTRUCT | c.proj;
    let words = |attempt: u32| philox4x32([item, r, stream, (purpose << 24) | attempt], key);
    match kind {
        DIST_UNIFORM => p[0] + p[1] * u01(words(0)[0]),
        DIST_NORMAL => p[0] + p[1] * normal(words(0)),
        DIST_NORMAL_CLIPPED => {
            for attempt in 0..MAX_REDRAWS {
                let v = p[0] + p[1] * normal(words(attempt));
                if v >= p[2] && v <= p[3] {
                    return v;
                }
            }
            p[0].max(p[2]).min(p[3])
        }
        DIST_NORMAL_CLIPPED_TO_BOUNDARY => (p[0] + p[1] * normal(words(0))).max(p[2]).min(p[3]),
        DIST_EXPONENTIAL => -(p[0] * sf_ln(u01_open(words(0)[0]))),
        DIST_UNIFORM_INT => {
            let mut w = Words::new(item, r, stream, purpose, key);
            p[0] + w.below(p[1].to_bits()) as f32
        }
        DIST_LOGNORMAL => sf_exp(p[0] + p[1] * normal(words(0))),
        _ => 0.0,
    }
}

/// The synapses of one dispatch: `pre`/`post` positions in the views, drawn weights and delays
/// (meaningful where the distribution kind is not `DIST_NONE`), at slot `s` for output slot s.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConstructOut {
    /// Presynaptic positions.
    pub pre: Vec<u32>,
    /// Postsynaptic positions.
    pub post: Vec<u32>,
    /// Weights (f32 as drawn).
    pub w: Vec<f32>,
    /// Delays, ms (f32 as drawn).
    pub d: Vec<f32>,
    /// Stats mode: `[min w, max w, min d, max d]` as [`order_key`]s, then one synapse count
    /// per post position (binding 7).
    pub stats: Vec<u32>,
}

/// Mirrors `order_key`: an f32 as a u32 of the same order (NaNs beyond ±infinity).
#[inline]
pub fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

/// The f32 of an [`order_key`].
pub fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 { k & 0x7FFF_FFFF } else { !k })
}

/// Stats words before any synapse: min keys at their largest, max keys at their smallest.
pub const STATS_INIT: [u32; 4] = [u32::MAX, 0, u32::MAX, 0];

/// Mirrors `delay_steps`: `c.d_steps` plus the number of thresholds (f32 bits, ascending, in
/// `thresholds`) at or below `d`.
#[inline]
fn delay_steps(c: &ConstructParams, thresholds: &[u32], d: f32) -> u32 {
    let table = &thresholds[..c.n_thresholds as usize];
    c.d_steps + table.partition_point(|&t| f32::from_bits(t) <= d) as u32
}

impl ConstructOut {
    /// Room for `m` synapses.
    pub fn with_len(m: usize) -> Self {
        Self { pre: vec![0; m], post: vec![0; m], w: vec![0.0; m], d: vec![0.0; m], stats: Vec::new() }
    }
}

/// Words of one item's hash set in the kernel's scratch binding (sampling without
/// replacement): the power of two ≥ 2n. Mirrors `table_size`.
pub fn table_size(n: u32) -> u32 {
    (2 * n.max(1) - 1).next_power_of_two()
}

/// Writes synapse `r` of `item` (pre, post positions; output slot `slot`) as `c.mode` asks:
/// mirrors `emit`.
fn emit(c: &ConstructParams, item: u32, r: u32, pre: u32, post: u32, slot: usize, out: &mut ConstructOut) {
    let w = || sample(c, c.w_kind, c.w_p, kernel_stream::PURPOSE_WEIGHT, item, r);
    let d = || sample(c, c.d_kind, c.d_p, kernel_stream::PURPOSE_DELAY, item, r);
    match c.mode {
        CONSTRUCT_MODE_FILL => {
            out.pre[slot] = pre;
            out.post[slot] = post;
            if c.w_kind != DIST_NONE {
                out.w[slot] = w();
            }
            if c.d_kind != DIST_NONE {
                out.d[slot] = d();
            }
        }
        CONSTRUCT_MODE_STATS => {
            out.stats[4 + post as usize] += 1;
            if c.w_kind != DIST_NONE {
                let k = order_key(w());
                out.stats[0] = out.stats[0].min(k);
                out.stats[1] = out.stats[1].max(k);
            }
            if c.d_kind != DIST_NONE {
                let k = order_key(d());
                out.stats[2] = out.stats[2].min(k);
                out.stats[3] = out.stats[3].max(k);
            }
        }
        CONSTRUCT_MODE_CSR => {
            // out.pre is the bound CSR buffer (packed words, then weights); out.post the delay
            // thresholds.
            let fixed = if c.w_kind != DIST_NONE { (w() * c.w_scale).round_ties_even() as i32 } else { c.w_fixed };
            let steps = if c.d_kind != DIST_NONE { delay_steps(c, &out.post, d()) } else { c.d_steps };
            let at = slot - c.slot_base as usize;
            out.pre[at] = (steps << c.target_bits) | (c.target_base + post);
            out.pre[c.split_len as usize + at] = fixed as u32;
        }
        _ => {}
    }
}

/// Row `item` of FixedNumberPre in CSR mode: its keys (post position · n + draw index, left by
/// the keys pass) sorted — the host's order — and each synapse written as stored. Mirrors
/// `fixed_number_pre_row` (which heapsorts; the keys are distinct, so any sort agrees).
fn fixed_number_pre_row(c: &ConstructParams, item: u32, offsets: &[u32], counts: &[u32], out: &mut ConstructOut) {
    let local = (item - c.item_begin) as usize;
    let lo = (offsets[local] - c.slot_base) as usize;
    let count = counts[local] as usize;
    out.pre[lo..lo + count].sort_unstable();
    for q in 0..count {
        let key = out.pre[lo + q];
        let j = key / c.n;
        emit(c, j, key - j * c.n, item, j, offsets[local] as usize + q, out);
    }
}

/// The partner position of candidate `k` when position `skip` (if any) is excluded.
#[inline]
fn candidate(k: u32, skip: Option<u32>) -> u32 {
    match skip {
        Some(s) if k >= s => k + 1,
        _ => k,
    }
}

/// The `construct` kernel over items `c.item_begin..c.item_end`. Count mode writes each item's
/// synapse count to `counts[item − item_begin]` (FixedProbability) or adds each synapse to its
/// row's count `counts[pre]` (FixedTotalNumber, FixedNumberPre); fill mode writes item's
/// synapses at output slots `offsets[item − item_begin] + r` (FixedProbability;
/// FixedTotalNumber, whose row `item` has `counts[item − item_begin]` synapses) or
/// `(item − item_begin)·n + r` (FixedNumberPre/Post). Keys mode (FixedNumberPre) writes each
/// synapse's key at slot `offsets[row] + counts[row]++` of its row (`row = pre − row_begin`,
/// rows outside `row_begin..row_end` skipped); CSR mode then has rows as items.
pub fn construct(c: &ConstructParams, offsets: &[u32], counts: &mut [u32], out: &mut ConstructOut) {
    for item in c.item_begin..c.item_end {
        if c.kind == CONSTRUCT_FIXED_NUMBER_PRE && c.mode == CONSTRUCT_MODE_CSR {
            fixed_number_pre_row(c, item, offsets, counts, out);
        } else {
            construct_item(c, item, offsets, counts, out);
        }
    }
}

fn construct_item(c: &ConstructParams, item: u32, offsets: &[u32], counts: &mut [u32], out: &mut ConstructOut) {
    let key = [c.key0, c.key1];
    let stream = kernel_stream::CONSTRUCT | c.proj;
    let local = (item - c.item_begin) as usize;
    let mut words = Words::new(item, 0, stream, kernel_stream::PURPOSE_CONNECT, key);
    let count_mode = c.mode == CONSTRUCT_MODE_COUNT;
    // The excluded self partner of this item, as a position in the partner view.
    let self_in = |partner: i64, size: u32| (c.no_self == 1 && partner >= 0 && partner < i64::from(size)).then_some(partner as u32);
    let mut emit_r = |r: u32, pre: u32, post: u32, slot: usize| emit(c, item, r, pre, post, slot, out);
    match c.kind {
        CONSTRUCT_FIXED_PROBABILITY => {
            let skip = self_in(i64::from(item) + i64::from(c.self_delta), c.nq);
            let base = if count_mode { 0 } else { offsets[local] as usize };
            let mut r = 0u32;
            let mut j = 0u32;
            while j < c.nq {
                if c.p < 1.0 {
                    // Geometric skipping: the gap to the next connected pair is Geometric(p).
                    let g = (sf_ln(u01_open(words.next())) * c.inv_log_q).floor();
                    if g >= u32_to_f32(c.nq - j) {
                        break;
                    }
                    let gi = g as u32;
                    if gi >= c.nq - j {
                        break;
                    }
                    j += gi;
                }
                if skip != Some(j) {
                    emit_r(r, item, j, base + r as usize);
                    r += 1;
                }
                j += 1;
            }
            if count_mode {
                counts[local] = r;
            }
        }
        CONSTRUCT_FIXED_NUMBER_PRE | CONSTRUCT_FIXED_NUMBER_POST => {
            let by_post = c.kind == CONSTRUCT_FIXED_NUMBER_PRE;
            let (size, partner_self) =
                if by_post { (c.np, i64::from(item) - i64::from(c.self_delta)) } else { (c.nq, i64::from(item) + i64::from(c.self_delta)) };
            let skip = self_in(partner_self, size);
            let m = size - u32::from(skip.is_some());
            // Fill mode: n slots per item; CSR mode (FixedNumberPost): the row's first slot.
            let base = match c.mode {
                CONSTRUCT_MODE_FILL => local * c.n as usize,
                CONSTRUCT_MODE_CSR => offsets[local] as usize,
                _ => 0,
            };
            let mut put = |r: u32, k: u32| {
                let partner = candidate(k, skip);
                let (pre, post) = if by_post { (partner, item) } else { (item, partner) };
                match c.mode {
                    CONSTRUCT_MODE_COUNT if by_post => counts[pre as usize] += 1,
                    CONSTRUCT_MODE_KEYS if by_post => {
                        // The synapse's key at the next free slot of its row, if in this buffer.
                        if (c.row_begin..c.row_end).contains(&pre) {
                            let row = (pre - c.row_begin) as usize;
                            out.pre[(offsets[row] + counts[row] - c.slot_base) as usize] = item * c.n + r;
                            counts[row] += 1;
                        }
                    }
                    _ => emit(c, item, r, pre, post, base + r as usize, out),
                }
            };
            if c.replace == 1 {
                for r in 0..c.n {
                    let k = words.below(m);
                    put(r, k);
                }
            } else {
                // Robert Floyd's sampling without replacement, in draw order.
                let mut chosen = HashSet::with_capacity(c.n as usize);
                for (r, jj) in ((m - c.n)..m).enumerate() {
                    let t = words.below(jj + 1);
                    let k = if chosen.insert(t) {
                        t
                    } else {
                        chosen.insert(jj);
                        jj
                    };
                    put(r as u32, k);
                }
            }
        }
        CONSTRUCT_FIXED_TOTAL_NUMBER if count_mode => loop {
            // Each synapse's row, with probability ∝ the row's allowed partners.
            let i = words.below(c.np);
            let j = words.below(c.nq);
            if c.no_self == 1 && i64::from(j) == i64::from(i) + i64::from(c.self_delta) {
                continue;
            }
            counts[i as usize] += 1;
            break;
        },
        CONSTRUCT_FIXED_TOTAL_NUMBER => {
            // Row `item`'s partners, uniform among its allowed ones.
            let mut words = Words::new(item, 1, stream, kernel_stream::PURPOSE_CONNECT, key);
            let skip = self_in(i64::from(item) + i64::from(c.self_delta), c.nq);
            let m = c.nq - u32::from(skip.is_some());
            let base = offsets[local] as usize;
            for r in 0..counts[local] {
                let k = words.below(m);
                emit_r(r, item, candidate(k, skip), base + r as usize);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_is_accurate() {
        // sf_ln over (0, 1] at every 24-bit uniform the kernel can draw, sampled, and beyond.
        for k in (1..=(1u32 << 24)).step_by(997) {
            let x = k as f32 / 16_777_216.0;
            let err = (f64::from(sf_ln(x)) - f64::from(x).ln()).abs();
            assert!(err < 3e-7 * f64::from(x).ln().abs().max(1.0), "ln({x}): error {err}");
        }
        for x in [1e-30f32, 0.5, 1.0, 1.5, 2.0, 10.0, 1e6, 3e38] {
            let err = (f64::from(sf_ln(x)) - f64::from(x).ln()).abs();
            assert!(err < 3e-7 * f64::from(x).ln().abs().max(1.0), "ln({x}): error {err}");
        }
        for k in 0..20_000 {
            let x = k as f32 * 0.002 + 1e-6;
            let rel = (f64::from(sf_sqrt(x)) - f64::from(x).sqrt()).abs() / f64::from(x).sqrt();
            assert!(rel < 3e-7, "sqrt({x}): relative error {rel}");
        }
        assert_eq!(sf_sqrt(0.0), 0.0);
        for k in 0..(1u32 << 16) {
            let u = k as f32 / 65_536.0;
            let exact = (std::f64::consts::TAU * (f64::from(u) - 0.5)).cos();
            let err = (f64::from(sf_cos2pi(u)) - exact).abs();
            assert!(err < 1e-6, "cos2pi({u}): error {err}");
        }
    }
}
