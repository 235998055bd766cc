//! CSR assembly by the `construct` kernel: the static synapses of random connectors written
//! straight into the CSR where they will be read, without a trip through the host.
//!
//! For each projection the kernel runs three passes over its items (presynaptic rows;
//! FixedNumberPre: its targets), each re-drawing the same synapses from the counter-based
//! streams (`network::construct`):
//!
//! 1. **count** (FixedProbability, FixedTotalNumber, FixedNumberPre): each row's number of
//!    synapses;
//! 2. **stats**: each post position's number of synapses, and the range of the drawn weights
//!    and delays (atomic min/max of order-preserving keys) — the host checks the ranges
//!    against PyNN's rules, picks the fixed-point scales from `count × largest |weight|`
//!    (the rule both assembly paths use), and lays out `row_ptr`;
//! 3. **CSR**: each synapse's packed word and fixed-point weight at its slot (row start +
//!    the earlier projections' synapses of that row + its index in the row), in the engine's
//!    synapse buffers (split at row boundaries like any other CSR).
//!
//! A row's synapses come from one thread in draw order (FixedNumberPre: below), so the CSR is
//! the one host assembly builds, bit for bit (tests/assembly.rs). Delays become steps through
//! a table of f32 thresholds (`delay_thresholds`), so the kernel's `round(d / dt)` in f64 is
//! exact without f64 on the device. The per-synapse lists `connections()` and `set_weights`
//! use are decoded from the CSR when first needed ([`CsrRows`]).
//!
//! FixedNumberPre draws by target, so a row's synapses come from many threads: its CSR pass is
//! a keys pass (each synapse's key, target · n + draw index, at a free slot of its row by an
//! atomic cursor) and a pass over the rows that sorts each row's keys — the host's order — and
//! writes their synapses.
//!
//! Networks qualify when every projection is static and drawn by the kernel (FixedProbability,
//! FixedNumberPre, FixedNumberPost, FixedTotalNumber with replacement) with constant or
//! kernel-drawn weights and delays; anything else (and any rule broken, so that the error
//! names the synapse) is assembled on the host.

use super::build::{check_weight, BuiltPopulation};
use super::construct::{count_pass, plan, row_offsets, rows_of, stats_init, ConstructRunner, StatsJob};
use super::{BuildError, NetworkSpec};
use crate::abi::*;
use crate::cpu::construct::{construct, from_order_key, ConstructOut};
use crate::model::Param;

/// Where the static CSR is assembled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsrAssembly {
    /// By the `construct` kernel on the GPU back end when the network qualifies and the
    /// adapter is a GPU (on a CPU adapter such as llvmpipe its three passes cost more than
    /// host assembly); on the host otherwise.
    #[default]
    Auto,
    /// Always on the host.
    Host,
    /// By the `construct` kernel when the network qualifies (on the CPU back end: its mirror).
    Kernel,
}

impl std::str::FromStr for CsrAssembly {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(CsrAssembly::Auto),
            "host" => Ok(CsrAssembly::Host),
            "kernel" => Ok(CsrAssembly::Kernel),
            other => Err(format!("unknown CSR assembly '{other}': expected auto, host or kernel")),
        }
    }
}

/// A projection assembled by the kernel: its rows' and targets' counts and its ranges.
#[derive(Debug, Clone)]
pub(crate) struct KernelProjection {
    /// The dispatch over its rows (kind, views, draws; mode and slots set per pass).
    pub params: ConstructParams,
    /// First index of the pre view in its population.
    pub pre_first: u32,
    /// First index of the post view in its population.
    pub post_first: u32,
    /// Synapses per row (pre view position).
    pub row_counts: Vec<u32>,
    /// Synapses per post view position.
    pub post_counts: Vec<u32>,
    /// Synapses in all.
    pub synapses: u64,
    /// Largest |weight|, nA or µS (0 without synapses).
    pub reach: f64,
    /// The fixed-point weight of a constant weight is computed from this (nA or µS).
    pub w_const: Option<f64>,
    /// Fewest and most delay steps of its synapses.
    pub steps: (u32, u32),
}

/// Plans kernel assembly of `spec`: `Ok(None)` when some projection does not qualify or
/// breaks a rule (host assembly then builds the network, or reports the error with the
/// synapse that breaks it); errors only when the device fails.
pub(crate) fn plan_network(
    spec: &NetworkSpec,
    pops: &[BuiltPopulation],
    dt: f64,
    seed: u64,
    runner: &dyn ConstructRunner,
) -> Result<Option<Vec<KernelProjection>>, BuildError> {
    // Which projections qualify (no device work yet): their plans.
    let mut plans = Vec::with_capacity(spec.projections.len());
    for (ji, (proj, _)) in spec.projections.iter().enumerate() {
        let (Ok(pre_idx), Ok(post_idx)) = (proj.pre.indices(), proj.post.indices()) else { return Ok(None) };
        let post_spec = pops[proj.post.pop.index()].spec;
        if proj.synapse.is_dynamic() || !post_spec.receives_input || proj.synapse.validate(dt).is_err() {
            return Ok(None);
        }
        let delay = proj.synapse.delay().cloned().unwrap_or(Param::Const(dt));
        let weight = proj.synapse.weight();
        if matches!(weight, Param::Array(_)) || matches!(delay, Param::Array(_)) {
            return Ok(None);
        }
        let same = proj.pre.pop.index() == proj.post.pop.index();
        let Some(Ok(p)) = plan(ji, &proj.connector, weight, &delay, &pre_idx, &post_idx, same, seed) else { return Ok(None) };
        let firsts = (pre_idx.first().copied().unwrap_or(0) as u32, post_idx.first().copied().unwrap_or(0) as u32);
        plans.push((p, delay, firsts));
    }
    // The device passes: every projection's count pass in one submission, then every stats
    // pass in another (on a GPU: two round trips for the whole network).
    let device = |e: String| BuildError::invalid("projections (kernel assembly)", e);
    let count_jobs: Vec<ConstructParams> = plans.iter().filter_map(|(p, ..)| count_pass(p)).collect();
    let mut counted = runner.count_all(&count_jobs).map_err(device)?.into_iter();
    let mut rows = Vec::with_capacity(plans.len());
    for (ji, (p, ..)) in plans.iter().enumerate() {
        let this =
            if count_pass(p).is_some() { Some(counted.next().ok_or_else(|| device("a count pass is missing".into()))?) } else { None };
        let (c, row_counts) = rows_of(p, this);
        let label = &spec.projections[ji].1;
        let (offsets, synapses) =
            row_offsets(&row_counts).map_err(|e| BuildError::invalid(format!("projection '{label}'.connector"), e))?;
        rows.push((c, row_counts, offsets, synapses));
    }
    // FixedNumberPre with a constant weight and delay has nothing to learn from a stats pass
    // (n synapses per target).
    let needs_stats = |c: &ConstructParams, synapses: u64| {
        synapses > 0 && !(c.kind == CONSTRUCT_FIXED_NUMBER_PRE && c.w_kind == DIST_NONE && c.d_kind == DIST_NONE)
    };
    let jobs: Vec<StatsJob<'_>> = rows
        .iter()
        .filter(|(c, _, _, m)| needs_stats(c, *m))
        .map(|(c, row_counts, offsets, _)| StatsJob::new(*c, offsets, row_counts))
        .collect();
    let mut stats_out = runner.stats_all(&jobs).map_err(device)?.into_iter();
    let mut out = Vec::with_capacity(plans.len());
    for (ji, ((_, delay, (pre_first, post_first)), (c, row_counts, _, synapses))) in plans.iter().zip(rows).enumerate() {
        let mut stats = stats_init(c.nq);
        if needs_stats(&c, synapses) {
            stats = stats_out.next().ok_or_else(|| device("a stats pass is missing".into()))?;
        } else if synapses > 0 {
            stats[4..].fill(c.n);
        }
        match check(spec, pops, dt, ji, c, delay, row_counts, synapses, &stats) {
            Some(kp) => out.push(KernelProjection { pre_first: *pre_first, post_first: *post_first, ..kp }),
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// The host's checks of projection `ji`'s ranges (from `stats`); `None` when a rule is
/// broken (host assembly then reports it with the synapse).
#[allow(clippy::too_many_arguments)]
fn check(
    spec: &NetworkSpec,
    pops: &[BuiltPopulation],
    dt: f64,
    ji: usize,
    c: ConstructParams,
    delay: &Param,
    row_counts: Vec<u32>,
    synapses: u64,
    stats: &[u32],
) -> Option<KernelProjection> {
    let proj = &spec.projections[ji].0;
    let post_spec = pops[proj.post.pop.index()].spec;
    let weight = proj.synapse.weight();
    // The values' ranges: drawn (f32 widened, as host assembly sees them) or constant.
    let range = |kind: u32, lo: u32, hi: u32, constant: &Param| match (kind, constant) {
        (DIST_NONE, Param::Const(v)) => (*v, *v),
        _ => (f64::from(from_order_key(lo)), f64::from(from_order_key(hi))),
    };
    let (w_lo, w_hi) = range(c.w_kind, stats[0], stats[1], weight);
    let (d_lo, d_hi) = range(c.d_kind, stats[2], stats[3], delay);
    let (mut reach, mut steps) = (0.0, (u32::MAX, 0));
    if synapses > 0 {
        // The host rules on the extremes (weight signs and finiteness are monotone in w;
        // the delay rules in d): any break goes to host assembly, which names the synapse.
        if check_weight(post_spec, proj.receptor, w_lo).is_err() || check_weight(post_spec, proj.receptor, w_hi).is_err() {
            return None;
        }
        let ok = |d: f64| d.is_finite() && d >= dt * (1.0 - 1e-9) && steps_of(d, dt) <= f64::from(1u32 << 24);
        if !(ok(d_lo) && ok(d_hi)) {
            return None;
        }
        steps = (steps_of(d_lo, dt) as u32, steps_of(d_hi, dt) as u32);
        if steps.1 - steps.0 > MAX_THRESHOLDS {
            return None;
        }
        reach = w_lo.abs().max(w_hi.abs());
    }
    Some(KernelProjection {
        params: c,
        pre_first: 0,
        post_first: 0,
        row_counts,
        post_counts: stats[4..].to_vec(),
        synapses,
        reach,
        w_const: match weight {
            Param::Const(v) => Some(*v),
            _ => None,
        },
        steps,
    })
}

/// Most delay thresholds of one projection (the span of its delays in steps).
pub const MAX_THRESHOLDS: u32 = 1 << 16;

/// The CSR pass of one projection.
#[derive(Debug, Clone)]
pub struct CsrFill {
    /// The dispatch (mode CSR; items are the rows `0..np`; slot_base/split_len set per buffer).
    pub params: ConstructParams,
    /// Global presynaptic index of row 0.
    pub first_row: u32,
    /// Per row: CSR slot of its first synapse of this projection.
    pub offsets: Vec<u32>,
    /// Per row: its synapses of this projection.
    pub counts: Vec<u32>,
    /// Delay thresholds (f32 bits, ascending; empty for a constant delay or a single step count).
    pub thresholds: Vec<u32>,
}

/// Where a kernel-assembled projection's synapses lie in the CSR, until decoded.
#[derive(Debug, Clone, Default)]
pub struct CsrRows {
    /// Per pre view position: CSR slot of its first synapse.
    pub offsets: Vec<u32>,
    /// Per pre view position: its synapses.
    pub counts: Vec<u32>,
    /// Packed target of post view position 0.
    pub target_base: u32,
}

impl CsrRows {
    /// Synapses in all.
    pub fn len(&self) -> usize {
        self.counts.iter().map(|&c| c as usize).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The per-synapse lists in connection order (rows in order, each in draw order): CSR
    /// slots, (pre, post) view positions, delay steps — decoded from the packed words `syn`.
    pub fn decode(&self, syn: &[u32], target_bits: u32) -> (Vec<u32>, Vec<(u32, u32)>, Vec<u32>) {
        let m = self.len();
        let (mut slots, mut view_pos, mut delays) = (Vec::with_capacity(m), Vec::with_capacity(m), Vec::with_capacity(m));
        let mask = (1u32 << target_bits) - 1;
        for (a, (&o, &c)) in self.offsets.iter().zip(&self.counts).enumerate() {
            for slot in o..o + c {
                let word = syn[slot as usize];
                slots.push(slot);
                view_pos.push((a as u32, (word & mask) - self.target_base));
                delays.push(word >> target_bits);
            }
        }
        (slots, view_pos, delays)
    }
}

/// A delay's steps, as host assembly computes them: `round(d / dt)`.
pub fn steps_of(d_ms: f64, dt: f64) -> f64 {
    (d_ms / dt).round()
}

/// For each step count `s_min + 1 ..= s_max`, the smallest positive f32 `x` (as bits) with
/// `steps_of(x) ≥ s`: a drawn delay has `s_min` plus the number of these at or below it steps.
pub fn delay_thresholds(dt: f64, s_min: u32, s_max: u32) -> Vec<u32> {
    (s_min + 1..=s_max)
        .map(|s| {
            // Positive f32s are ordered as their bits; steps_of is monotone in x.
            let (mut lo, mut hi) = (0u32, 0x7F80_0000u32);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if steps_of(f64::from(f32::from_bits(mid)), dt) >= f64::from(s) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            lo
        })
        .collect()
}

/// The CSR passes on the host (the mirror of the kernel's): the packed words and fixed-point
/// weights of the CSR laid out by `row_ptr`. Rows are split into one chunk per thread (about
/// equal synapses each), each filled as the GPU fills one buffer of a split CSR.
pub fn fill_on_host(fills: &[CsrFill], row_ptr: &[u32]) -> (Vec<u32>, Vec<i32>) {
    let rows = row_ptr.len().saturating_sub(1);
    let n = u64::from(row_ptr.last().copied().unwrap_or(0));
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 16) as u64;
    let mut bounds: Vec<usize> = (0..=threads).map(|k| row_ptr[..rows].partition_point(|&p| u64::from(p) < n * k / threads)).collect();
    bounds[threads as usize] = rows;
    bounds.dedup();
    let parts = super::build::in_parallel(bounds.len() - 1, |k| {
        let (ra, rb) = (bounds[k] as u32, bounds[k + 1] as u32);
        let (base, len) = (row_ptr[ra as usize], row_ptr[rb as usize] - row_ptr[ra as usize]);
        let mut buf = vec![0u32; 2 * len as usize];
        for fill in fills {
            fill_rows(fill, ra, rb, base, len, &mut buf);
        }
        buf
    });
    let (mut syn, mut weight) = (Vec::with_capacity(n as usize), Vec::with_capacity(n as usize));
    for part in parts {
        let len = part.len() / 2;
        syn.extend_from_slice(&part[..len]);
        weight.extend(part[len..].iter().map(|&w| w as i32));
    }
    (syn, weight)
}

/// The CSR passes of `fill` into `buf`, the global rows `ra..rb` whose synapses are the slots
/// `base..base + len` (`len` packed words, then `len` weights): the mirror of
/// `GpuRunner::fill_csr` for one buffer.
fn fill_rows(fill: &CsrFill, ra: u32, rb: u32, base: u32, len: u32, buf: &mut Vec<u32>) {
    let np = fill.params.np;
    let (a, b) = (ra.saturating_sub(fill.first_row).min(np) as usize, rb.saturating_sub(fill.first_row).min(np) as usize);
    if fill.counts[a..b].iter().all(|&c| c == 0) {
        return;
    }
    let here = ConstructParams { slot_base: base, split_len: len, ..fill.params };
    let mut out = ConstructOut { pre: std::mem::take(buf), post: fill.thresholds.clone(), ..Default::default() };
    let offsets = &fill.offsets[a..b];
    if here.kind == CONSTRUCT_FIXED_NUMBER_PRE {
        // The keys pass over every target (a cursor per row of this chunk), then the rows sort.
        let keys =
            ConstructParams { mode: CONSTRUCT_MODE_KEYS, item_begin: 0, item_end: here.nq, row_begin: a as u32, row_end: b as u32, ..here };
        construct(&keys, offsets, &mut vec![0; b - a], &mut out);
    }
    let rows = ConstructParams { item_begin: a as u32, item_end: b as u32, ..here };
    construct(&rows, offsets, &mut fill.counts[a..b].to_vec(), &mut out);
    *buf = out.pre;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_give_the_steps_of_round_d_over_dt() {
        for dt in [0.1, 0.025, 0.05, 1.0 / 3.0] {
            let t = delay_thresholds(dt, 1, 80);
            assert_eq!(t.len(), 79);
            assert!(t.windows(2).all(|w| w[0] < w[1]));
            // Every f32 around every threshold gets the host's steps.
            for &b in &t {
                for x in [b - 2, b - 1, b, b + 1, b + 2] {
                    let d = f32::from_bits(x);
                    let want = steps_of(f64::from(d), dt);
                    let got = 1 + t.partition_point(|&th| f32::from_bits(th) <= d) as u32;
                    if (1.0..=80.0).contains(&want) {
                        assert_eq!(f64::from(got), want, "dt {dt}, d {d}");
                    }
                }
            }
        }
    }
}
