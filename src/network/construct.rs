//! Counter-based construction of random connectors: which projections qualify, how their
//! connector and distributions become `construct` kernel dispatches, and how the kernel's
//! output becomes the (pre, post, weight, delay) lists the build merges into the CSR.
//!
//! A projection qualifies when its connector is FixedProbability, FixedNumberPre,
//! FixedNumberPost or FixedTotalNumber with replacement, both views are contiguous ranges of
//! their populations, and its weight and delay are constants, arrays or one of the
//! distributions the kernel draws (uniform, uniform_int, normal, normal_clipped,
//! normal_clipped_to_boundary, exponential, lognormal). Its synapses are then the same on
//! both back ends and whichever runs the draws: the host mirror (`cpu::construct`, items split
//! over the host's cores) or the GPU (`shaders/construct.wgsl`, one thread per item). Other
//! projections (AllToAll, OneToOne, FromList, FixedTotalNumber without replacement, gamma
//! distributions, scattered views) are drawn on the host from sequential streams.
//!
//! Random weights and delays are drawn in f32 (the GPU's precision) and widened to f64; a
//! normal deviate comes from Box–Muller on 24-bit uniforms, so its tails end at 5.8σ.

use super::connectors::{Connector, ConnectorError, Generated};
use crate::abi::*;
use crate::cpu::construct::{construct, ConstructOut};
use crate::model::Param;
use crate::random::{seed_key, RandomDistribution};

/// Runs `construct` dispatches: the host mirror or a GPU.
pub trait ConstructRunner: Sync {
    /// Count mode over `c.item_begin..c.item_end`: each item's number of synapses
    /// (FixedProbability), or each row's (FixedTotalNumber over synapse items, FixedNumberPre
    /// over postsynaptic items: `c.np` counts).
    fn count(&self, c: &ConstructParams) -> Result<Vec<u32>, String>;
    /// Fill mode over the items; `offsets` (FixedProbability, FixedTotalNumber) gives each
    /// item's first output slot, `counts` (FixedTotalNumber) each item's number of synapses,
    /// `m` is the number of synapses.
    fn fill(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32], m: usize) -> Result<ConstructOut, String>;
    /// Stats mode over the items `c.item_begin..c.item_end` (rows; FixedNumberPre: targets)
    /// with `offsets`, `counts` as for `fill` (empty for FixedNumberPre/Post): `[min w, max w,
    /// min d, max d]` as order keys, then the synapses per post position (`c.nq`).
    fn stats(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32]) -> Result<Vec<u32>, String>;
    /// [`count`](Self::count) for several dispatches (a GPU submits them together and reads
    /// them back at once).
    fn count_all(&self, cs: &[ConstructParams]) -> Result<Vec<Vec<u32>>, String> {
        cs.iter().map(|c| self.count(c)).collect()
    }
    /// [`stats`](Self::stats) for several dispatches, each with its `offsets` and `counts`.
    fn stats_all(&self, jobs: &[StatsJob<'_>]) -> Result<Vec<Vec<u32>>, String> {
        jobs.iter().map(|j| self.stats(&j.params, j.offsets, j.counts)).collect()
    }
}

/// One stats dispatch of [`ConstructRunner::stats_all`].
#[derive(Debug, Clone, Copy)]
pub struct StatsJob<'a> {
    /// The dispatch (mode set by the runner).
    pub params: ConstructParams,
    /// Each item's first slot (FixedProbability, FixedTotalNumber; else empty).
    pub offsets: &'a [u32],
    /// Each item's synapses (FixedTotalNumber; else empty).
    pub counts: &'a [u32],
}

impl<'a> StatsJob<'a> {
    /// The stats pass of `params` (as [`rows_of`] gives it) with its rows' `offsets` and
    /// `counts`: FixedNumberPre/Post re-draw their items without the row tables.
    pub fn new(params: ConstructParams, offsets: &'a [u32], counts: &'a [u32]) -> Self {
        if matches!(params.kind, CONSTRUCT_FIXED_NUMBER_PRE | CONSTRUCT_FIXED_NUMBER_POST) {
            Self { params, offsets: &[], counts: &[] }
        } else {
            Self { params, offsets, counts }
        }
    }
}

/// Merges stats words `b` into `a` (min, max, min, max, then sums).
pub fn merge_stats(a: &mut [u32], b: &[u32]) {
    a[0] = a[0].min(b[0]);
    a[1] = a[1].max(b[1]);
    a[2] = a[2].min(b[2]);
    a[3] = a[3].max(b[3]);
    add_counts(&mut a[4..], &b[4..]);
}

/// Stats words before any synapse, for `nq` post positions.
pub fn stats_init(nq: u32) -> Vec<u32> {
    let mut s = crate::cpu::construct::STATS_INIT.to_vec();
    s.resize(4 + nq as usize, 0);
    s
}

/// The host mirror, items split over up to `threads` of the host's cores.
#[derive(Debug, Clone, Copy)]
pub struct HostRunner {
    /// Threads to use.
    pub threads: usize,
}

impl Default for HostRunner {
    fn default() -> Self {
        Self { threads: std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, 16) }
    }
}

impl HostRunner {
    /// Item ranges, one per thread.
    fn chunks(&self, c: &ConstructParams) -> Vec<(u32, u32)> {
        let n = c.item_end - c.item_begin;
        let t = (self.threads as u32).clamp(1, n.max(1));
        (0..t)
            .map(|k| {
                (
                    c.item_begin + (u64::from(n) * u64::from(k) / u64::from(t)) as u32,
                    c.item_begin + (u64::from(n) * u64::from(k + 1) / u64::from(t)) as u32,
                )
            })
            .collect()
    }

    /// `f` on each thread's items (`c` narrowed to them, in `mode`; their local range), in
    /// item order.
    fn map_chunks<T: Send>(
        &self,
        c: &ConstructParams,
        mode: u32,
        f: impl Fn(&ConstructParams, std::ops::Range<usize>) -> T + Sync,
    ) -> Vec<T> {
        let f = &f;
        std::thread::scope(|s| {
            let handles: Vec<_> = self
                .chunks(c)
                .into_iter()
                .map(|(a, b)| {
                    let cc = ConstructParams { item_begin: a, item_end: b, mode, ..*c };
                    s.spawn(move || f(&cc, (a - c.item_begin) as usize..(b - c.item_begin) as usize))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("construct thread")).collect()
        })
    }
}

/// Adds counts `b` to `a`, element by element.
pub fn add_counts(a: &mut [u32], b: &[u32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

impl ConstructRunner for HostRunner {
    fn count(&self, c: &ConstructParams) -> Result<Vec<u32>, String> {
        if matches!(c.kind, CONSTRUCT_FIXED_TOTAL_NUMBER | CONSTRUCT_FIXED_NUMBER_PRE) {
            // Per-thread row histograms, summed.
            let mut rows = vec![0u32; c.np as usize];
            for part in self.map_chunks(c, CONSTRUCT_MODE_COUNT, |cc, _| {
                let mut rows = vec![0u32; c.np as usize];
                construct(cc, &[], &mut rows, &mut ConstructOut::default());
                rows
            }) {
                add_counts(&mut rows, &part);
            }
            return Ok(rows);
        }
        Ok(self
            .map_chunks(c, CONSTRUCT_MODE_COUNT, |cc, items| {
                let mut counts = vec![0u32; items.len()];
                construct(cc, &[], &mut counts, &mut ConstructOut::default());
                counts
            })
            .concat())
    }

    fn fill(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32], m: usize) -> Result<ConstructOut, String> {
        // Each thread fills its own output (slots relative to its first item), then the parts
        // are concatenated in item order: the slots are consecutive by construction.
        let parts = self.map_chunks(c, CONSTRUCT_MODE_FILL, |cc, items| {
            let (first, len) = slots(c, offsets, items.start, items.end, m);
            let (offs, mut cnts) = batch_tables(offsets, counts, items.start, items.end, first);
            let mut out = ConstructOut::with_len(len);
            construct(cc, &offs, &mut cnts, &mut out);
            out
        });
        let mut out = ConstructOut::default();
        for p in parts {
            out.pre.extend(p.pre);
            out.post.extend(p.post);
            out.w.extend(p.w);
            out.d.extend(p.d);
        }
        Ok(out)
    }

    fn stats(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32]) -> Result<Vec<u32>, String> {
        // Rows split over the threads, each with its own stats, merged.
        let parts = self.map_chunks(c, CONSTRUCT_MODE_STATS, |cc, items| {
            let (offs, mut cnts) = batch_tables(offsets, counts, items.start, items.end, 0);
            let mut out = ConstructOut { stats: stats_init(c.nq), ..Default::default() };
            construct(cc, &offs, &mut cnts, &mut out);
            out.stats
        });
        let mut all = stats_init(c.nq);
        for p in parts {
            merge_stats(&mut all, &p);
        }
        Ok(all)
    }
}

/// The offsets (relative to the batch's first slot `first`) and counts of local items `la..lb`.
pub fn batch_tables(offsets: &[u32], counts: &[u32], la: usize, lb: usize, first: usize) -> (Vec<u32>, Vec<u32>) {
    let offs = if offsets.is_empty() { Vec::new() } else { offsets[la..lb].iter().map(|&o| o - first as u32).collect() };
    let cnts = if counts.is_empty() { Vec::new() } else { counts[la..lb].to_vec() };
    (offs, cnts)
}

/// First output slot and number of slots of local items `la..lb`.
pub fn slots(c: &ConstructParams, offsets: &[u32], la: usize, lb: usize, m: usize) -> (usize, usize) {
    match c.kind {
        CONSTRUCT_FIXED_PROBABILITY | CONSTRUCT_FIXED_TOTAL_NUMBER => {
            let first = offsets.get(la).map_or(m, |&o| o as usize);
            let end = offsets.get(lb).map_or(m, |&o| o as usize);
            (first, end - first)
        }
        _ => (la * c.n as usize, (lb - la) * c.n as usize),
    }
}

/// The kernel's distribution kind and parameters for a weight or delay, `None` when the
/// kernel cannot draw it (the projection is then built on the host).
fn dist(p: &Param) -> Option<(u32, [f32; 4])> {
    let d = match p {
        Param::Const(_) | Param::Array(_) => return Some((DIST_NONE, [0.0; 4])),
        Param::Random(d) => d,
    };
    d.validate().ok()?;
    let f = |x: f64| x as f32;
    Some(match *d {
        RandomDistribution::Uniform { low, high } => (DIST_UNIFORM, [f(low), f(high - low), 0.0, 0.0]),
        RandomDistribution::Normal { mu, sigma } => (DIST_NORMAL, [f(mu), f(sigma), 0.0, 0.0]),
        RandomDistribution::NormalClipped { mu, sigma, low, high } => (DIST_NORMAL_CLIPPED, [f(mu), f(sigma), f(low), f(high)]),
        RandomDistribution::NormalClippedToBoundary { mu, sigma, low, high } => {
            (DIST_NORMAL_CLIPPED_TO_BOUNDARY, [f(mu), f(sigma), f(low), f(high)])
        }
        RandomDistribution::Exponential { beta } => (DIST_EXPONENTIAL, [f(beta), 0.0, 0.0, 0.0]),
        RandomDistribution::UniformInt { low, high } => {
            let lim = 1i64 << 24;
            if low.abs() >= lim || high.abs() >= lim || high - low + 1 > lim {
                return None;
            }
            (DIST_UNIFORM_INT, [low as f32, f32::from_bits((high - low + 1) as u32), 0.0, 0.0])
        }
        RandomDistribution::Lognormal { mu, sigma } => (DIST_LOGNORMAL, [f(mu), f(sigma), 0.0, 0.0]),
        RandomDistribution::Gamma { .. } => return None,
    })
}

/// `Some(first)` when `idx` is `first, first + 1, …`.
fn contiguous(idx: &[usize]) -> Option<usize> {
    let first = idx.first().copied().unwrap_or(0);
    idx.iter().enumerate().all(|(k, &i)| i == first + k).then_some(first)
}

/// A projection's construction by the `construct` kernel.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The dispatch over all items (modes and item ranges are set per dispatch).
    pub params: ConstructParams,
    /// Number of items.
    pub items: u32,
}

/// The plan of projection `proj` (index `ji`) between views `pre_idx`, `post_idx`, or `None`
/// when it is drawn on the host. Connector parameter errors are those of the host path.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    ji: usize,
    connector: &Connector,
    weight: &Param,
    delay: &Param,
    pre_idx: &[usize],
    post_idx: &[usize],
    same_population: bool,
    seed: u64,
) -> Option<Result<Plan, ConnectorError>> {
    let (ps, qs) = (contiguous(pre_idx)?, contiguous(post_idx)?);
    let (np, nq) = (pre_idx.len(), post_idx.len());
    if np >= 1 << 31 || nq >= 1 << 31 || ji >= 1 << 24 {
        return None;
    }
    let (w_kind, w_p) = dist(weight)?;
    let (d_kind, d_p) = dist(delay)?;
    let key = seed_key(seed);
    let self_delta = ps as i64 - qs as i64;
    let base = ConstructParams {
        proj: ji as u32,
        np: np as u32,
        nq: nq as u32,
        self_delta: i32::try_from(self_delta).ok()?,
        key0: key[0],
        key1: key[1],
        w_kind,
        d_kind,
        w_p,
        d_p,
        ..Default::default()
    };
    let invalid = |field: &str, rule: String, value: String| ConnectorError::Invalid {
        connector: connector.name(),
        field: field.into(),
        rule,
        value,
    };
    // Positions of the pre view whose own neuron is in the post view (self pairs).
    let has_self = |i: usize| (i as i64 + self_delta) >= 0 && ((i as i64 + self_delta) as usize) < nq;
    let (params, items) = match *connector {
        Connector::FixedProbability { p_connect, allow_self_connections } => {
            if !(0.0..=1.0).contains(&p_connect) {
                return Some(Err(invalid("p_connect", "must be in [0, 1]".into(), p_connect.to_string())));
            }
            // A row draws about p·nq words, 4 per block; blocks must stay below 2^24 (the
            // counter word's low 24 bits), so rows far longer than that go to the host.
            if p_connect < 1.0 && p_connect * nq as f64 > f64::from(1u32 << 24) {
                return None;
            }
            let c = ConstructParams {
                kind: CONSTRUCT_FIXED_PROBABILITY,
                no_self: u32::from(same_population && !allow_self_connections),
                p: p_connect as f32,
                inv_log_q: (1.0 / (1.0 - p_connect).ln()) as f32,
                ..base
            };
            (c, np)
        }
        Connector::FixedNumberPre { n, allow_self_connections, with_replacement }
        | Connector::FixedNumberPost { n, allow_self_connections, with_replacement } => {
            let by_post = matches!(connector, Connector::FixedNumberPre { .. });
            let no_self = same_population && !allow_self_connections;
            let (items, size) = if by_post { (nq, np) } else { (np, nq) };
            // Words per item ≈ n (plus rare rejections); blocks of 4 below 2^24.
            if n >= 1 << 24 || (items as u64) * (n as u64) >= 1 << 40 {
                return None;
            }
            // The host path's errors, for the first item that fails.
            for item in 0..items {
                let self_here = no_self && if by_post { has_self_post(item, self_delta, np) } else { has_self(item) };
                let m = size - usize::from(self_here);
                if n > 0 && m == 0 {
                    return Some(Err(invalid("n", "needs at least one allowed partner".into(), n.to_string())));
                }
                if !with_replacement && n > m {
                    return Some(Err(invalid("n", format!("must be ≤ {m} allowed partners without replacement"), n.to_string())));
                }
                if !no_self && item > 0 {
                    break; // every item has the same m
                }
            }
            let c = ConstructParams {
                kind: if by_post { CONSTRUCT_FIXED_NUMBER_PRE } else { CONSTRUCT_FIXED_NUMBER_POST },
                no_self: u32::from(no_self),
                n: n as u32,
                replace: u32::from(with_replacement),
                ..base
            };
            (c, items)
        }
        Connector::FixedTotalNumber { n, allow_self_connections, with_replacement: true } => {
            // Rows draw ~n/np partners each, 4 words a block, blocks below 2^24.
            if n >= 1 << 31 || (n >= 1 << 25 && n / np.max(1) > 1 << 20) {
                return None;
            }
            let no_self = same_population && !allow_self_connections;
            let self_pairs = if no_self { (0..np).filter(|&i| has_self(i)).count() as u64 } else { 0 };
            if (np as u64) * (nq as u64) == self_pairs && n > 0 {
                return Some(Err(invalid("n", "needs at least one allowed (pre, post) pair".into(), n.to_string())));
            }
            (ConstructParams { kind: CONSTRUCT_FIXED_TOTAL_NUMBER, no_self: u32::from(no_self), ..base }, n)
        }
        _ => return None,
    };
    Some(Ok(Plan { params: ConstructParams { item_begin: 0, item_end: items as u32, ..params }, items: items as u32 }))
}

/// Whether post position `j`'s own neuron is in the pre view.
fn has_self_post(j: usize, self_delta: i64, np: usize) -> bool {
    let i = j as i64 - self_delta;
    i >= 0 && (i as usize) < np
}

/// What the kernel drew for one projection: pairs grouped by presynaptic position, and the
/// drawn weights and delays in the same order (`None` where the host supplies them).
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    /// The connections.
    pub gen: Generated,
    /// Drawn weights.
    pub w: Option<Vec<f64>>,
    /// Drawn delays, ms.
    pub d: Option<Vec<f64>>,
}

/// Runs `plan` on `runner` and orders the result by presynaptic position (stable).
pub fn execute(plan: &Plan, runner: &dyn ConstructRunner) -> Result<Drawn, String> {
    let c = plan.params;
    let (c, offsets, counts, m) = match c.kind {
        CONSTRUCT_FIXED_PROBABILITY | CONSTRUCT_FIXED_TOTAL_NUMBER => {
            let (c, counts) = row_counts(plan, runner)?;
            let (offsets, m) = row_offsets(&counts)?;
            // FixedProbability's fill re-draws each row's count itself.
            let counts = if c.kind == CONSTRUCT_FIXED_TOTAL_NUMBER { counts } else { Vec::new() };
            (c, offsets, counts, m as usize)
        }
        _ => (c, Vec::new(), Vec::new(), plan.items as usize * c.n as usize),
    };
    if m == 0 {
        return Ok(empty(&c));
    }
    let out = runner.fill(&c, &offsets, &counts, m)?;
    // Row-wise connectors are grouped by pre already; FixedNumberPre is sorted (stably) by pre.
    let row_wise = c.kind != CONSTRUCT_FIXED_NUMBER_PRE;
    let order: Option<Vec<u32>> = (!row_wise).then(|| stable_order_by(&out.pre, c.np as usize));
    let pick = |v: &[u32]| -> Vec<u32> { order.as_ref().map_or_else(|| v.to_vec(), |o| o.iter().map(|&k| v[k as usize]).collect()) };
    let pickf = |v: &[f32]| -> Vec<f64> {
        order.as_ref().map_or_else(|| v.iter().map(|&x| f64::from(x)).collect(), |o| o.iter().map(|&k| f64::from(v[k as usize])).collect())
    };
    let (pre, post) = (pick(&out.pre), pick(&out.post));
    let pairs = pre.into_iter().zip(post).collect();
    Ok(Drawn {
        gen: Generated { pairs, weights: None, delays: None },
        w: (c.w_kind != DIST_NONE).then(|| pickf(&out.w)),
        d: (c.d_kind != DIST_NONE).then(|| pickf(&out.d)),
    })
}

/// The plan `plan` over its items (presynaptic rows; FixedNumberPre: its targets) and each
/// row's number of synapses: counted by `runner` (FixedTotalNumber over its n synapses, each
/// drawing its row; FixedNumberPre over its targets), or n each (FixedNumberPost).
pub fn row_counts(plan: &Plan, runner: &dyn ConstructRunner) -> Result<(ConstructParams, Vec<u32>), String> {
    let counted = count_pass(plan).map(|c| runner.count(&c)).transpose()?;
    Ok(rows_of(plan, counted))
}

/// The count pass `plan` needs (`None`: its row counts are known without one).
pub fn count_pass(plan: &Plan) -> Option<ConstructParams> {
    let c = plan.params;
    let needed = match c.kind {
        CONSTRUCT_FIXED_PROBABILITY => c.p > 0.0 && c.np > 0 && c.nq > 0,
        CONSTRUCT_FIXED_TOTAL_NUMBER => plan.items > 0,
        CONSTRUCT_FIXED_NUMBER_PRE => c.n > 0 && c.nq > 0,
        _ => false,
    };
    needed.then_some(c)
}

/// [`row_counts`] from the result of [`count_pass`] (`counted`, when it needs one).
pub fn rows_of(plan: &Plan, counted: Option<Vec<u32>>) -> (ConstructParams, Vec<u32>) {
    let c = plan.params;
    let rows = match (c.kind, counted) {
        (_, Some(rows)) => rows,
        (CONSTRUCT_FIXED_NUMBER_POST, None) => vec![c.n; c.np as usize],
        (_, None) => vec![0u32; c.np as usize],
    };
    // FixedTotalNumber counted over its synapses; its other passes run over the rows.
    let c = if c.kind == CONSTRUCT_FIXED_TOTAL_NUMBER { ConstructParams { item_begin: 0, item_end: c.np, ..c } } else { c };
    (c, rows)
}

/// Each row's first slot (the prefix sums of `counts`) and the number of synapses.
pub fn row_offsets(counts: &[u32]) -> Result<(Vec<u32>, u64), String> {
    let mut offsets = Vec::with_capacity(counts.len());
    let mut total = 0u64;
    for &k in counts {
        offsets.push(u32::try_from(total).map_err(|_| "more than 2^32 synapses in one projection".to_string())?);
        total += u64::from(k);
    }
    Ok((offsets, total))
}

fn empty(c: &ConstructParams) -> Drawn {
    Drawn { gen: Generated::default(), w: (c.w_kind != DIST_NONE).then(Vec::new), d: (c.d_kind != DIST_NONE).then(Vec::new) }
}

/// The permutation that sorts `keys` (< `n`) stably: a counting sort, O(len + n).
pub(crate) fn stable_order_by(keys: &[u32], n: usize) -> Vec<u32> {
    let mut start = vec![0u32; n + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; keys.len()];
    for (s, &k) in keys.iter().enumerate() {
        let slot = &mut start[k as usize];
        order[*slot as usize] = s as u32;
        *slot += 1;
    }
    order
}
