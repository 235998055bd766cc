//! Plastic synapses on the device: what is stored, which kernel does what, and when.
//!
//! Projections whose synapse type has dynamics ([`StdpMechanism`](super::StdpMechanism),
//! [`TsodyksMarkramSynapse`](super::TsodyksMarkramSynapse),
//! [`AntiHebbianSynapse`](super::AntiHebbianSynapse)) do not go into the static CSR that `propagate` walks. They form a
//! second CSR over global presynaptic indices, the **plastic CSR**, which is delivered at
//! arrival time by its own kernels.
//!
//! # Stored
//!
//! * per plastic synapse (24 bytes): `meta = (packed, rule)` — the packed word has the static
//!   format `delay << target_bits | channel·n_total + post`, rows are sorted by it, so by
//!   delay — and a [`PlasticState`] `{weight, last, a, b}`: the fixed-point weight, the step at
//!   which the last presynaptic spike reached the synapse, and the presynaptic STDP trace just
//!   after it (`a`), or Tsodyks–Markram's `u` and `R` (`a`, `b`);
//! * per STDP synapse, its index in the **postsynaptic index** `post_ptr/post_syn`: for each
//!   global neuron, the plastic-CSR positions of its incoming STDP synapses (built once here);
//! * per (rule, neuron) a [`NeuronTrace`] `{value after the last spike, its step}`: the
//!   postsynaptic STDP trace of each neuron of the target population, and the rate traces
//!   (Hz) of both populations of a rate-rule projection; traces are decayed analytically to
//!   the time a kernel needs (`value·exp(−(t − last)·dt/tau)`), never stepped;
//! * per plastic projection a [`PlasticRule`] (kind, flags, constants in kernel units), which
//!   the host rewrites to switch learning on or off between runs;
//! * a **spike history**: for the last `hist_len = max plastic delay + 1` steps, the spikes of
//!   neurons that have plastic rows (`[hist_len]` counts, then `[hist_len][n_total]` ids), and
//!   the schedule buffer: the indirect-dispatch triples of `plastic_arrive` and
//!   `plastic_post`, the distinct plastic delays (**delay classes**) and the prefix sums of the
//!   history counts per class.
//!
//! Populations that are postsynaptic to a learning rule put their spikes in the spike list
//! (`FLAG_APPEND_SPIKES`) even without outgoing synapses.
//!
//! # When (see [`crate::backend::step_schedule`])
//!
//! After `Integrate` and `Propagate` of step s (spikes of step s are stamped t = (s+1)·dt):
//!
//! 1. `plastic_window` (one workgroup): spikes of step s − d arrive at the synapses of delay d
//!    at T = s + 1, so for each delay class d it takes the history count of step s − d,
//!    writes their prefix sums (a workgroup scan) and the dispatch sizes of the next two
//!    kernels, and clears this step's history count.
//! 2. `plastic_arrive` (indirect): the arrivals at T. Each (spike of step s − d, class d)
//!    item gets `arrive_threads` threads — a power of two near the mean segment length, fixed
//!    at build, so short segments (many delays) share a workgroup and long ones (one delay,
//!    long rows) get up to all 64 threads. For each synapse of the spike's row segment with
//!    that delay (found by binary search in the delay-sorted row): STDP decays its
//!    presynaptic trace to T and
//!    adds 1 (all-to-all) or sets it to 1 (nearest); if learning is on, depression
//!    `Δw = −A−·(w_max − w_min)·y` (additive) or `−A−·(w − w_min)·y` (multiplicative) with y the
//!    postsynaptic trace at T, *before* any postsynaptic spike stamped T; Tsodyks–Markram
//!    updates u and R. The weight after the update (STDP, as NEST and PyNN's Brian 2 back end
//!    transmit it), `w·u·R` (Tsodyks–Markram) or w (rate rule) is added into ring slot T + e
//!    (e: the synapse's dendritic delay), which the target integrates at step s + 1 + e — the
//!    same arrival time as a static synapse of that delay. y is the postsynaptic trace of the
//!    synapse's dendritic class. The same kernel appends step s's spikes of neurons with
//!    plastic rows or incoming STDP synapses to the history (`atomicAdd` order; nothing
//!    depends on it).
//! 3. `plastic_post` (indirect, `post_threads` threads per item, a power of two near the mean
//!    STDP in-degree): items are the spikes of step s (dendritic class 0) and then the
//!    (spike of step s − e, class e) pairs of the history. For each, potentiation of the
//!    neuron's incoming STDP synapses of that class (a segment of its postsynaptic-index row,
//!    found by binary search), `Δw = A+·(w_max − w_min)·x` or `A+·(w_max − w)·x` with x the
//!    synapse's presynaptic trace at T (it includes an arrival at T: Δt = 0 potentiates);
//!    then one thread updates the neuron's trace of that class (decay and +1, or 1 for
//!    nearest) and, for class 0, its rate traces (decay and +1000/tau).
//! 4. `plastic_rate` (every `interval` steps, one thread per rate-rule synapse):
//!    `Δw = −eta·interval/1000 · r_pre(T)·r_post(T)`.
//!
//! Cost per step: the window scans are O(classes); each spike of a neuron with plastic rows
//! costs one binary search per axonal class over its lifetime plus its synapses; each
//! postsynaptic spike costs one binary search per dendritic class plus its incoming STDP
//! synapses; the rate rule is dense over its synapses every `interval`. Memory: 24 bytes per
//! plastic synapse, 4 per STDP synapse (the postsynaptic index), 8 per trace (STDP: one per
//! target neuron and dendritic class), `hist_len·(n_total + 1)` words of history.
//!
//! # Determinism and precision
//!
//! Each synapse's state is written by exactly one thread per kernel (one arrival per synapse
//! per step, one postsynaptic spike per neuron per step), kernels run in schedule order, the
//! ring is integer, and the f32 arithmetic uses only +, × and spikeflow's `sf_exp` with
//! integer↔float conversions that are exact or correctly rounded; products that feed a sum pass
//! through an opaque identity (`fence`) so that no shader compiler fuses or refactors them
//! (Mesa rewrites inexact float expressions; see the Izhikevich kernel); the CPU mirrors
//! (`cpu::plastic_*`) do the same operations in the same order, so both back ends give the same
//! weights to the bit. Weights are i32 fixed point in the scale of their target
//! (population, channel); for learning rules the scale is chosen with `max(|w_min|, |w_max|)`
//! per synapse, so any weight the rule can reach fits and no ring slot can overflow. A weight
//! change is computed in f32, clamped to the room left in `[w_min, w_max]`, rounded to the
//! nearest integer and added: the resolution is 1/scale (≈ 2^-30 of the largest summed
//! input), changes below half a unit are lost. The bounds' fixed-point images are rounded
//! inwards, so stored weights never leave `[w_min, w_max]`. Traces are f32 (relative error
//! ~1e-7 from `sf_exp`); a decay over more than 60 time constants is taken as 0, which keeps
//! every product a normal float (no device may flush a subnormal differently).

use super::synapses::{Pairing, SynapseType, WeightDependence};
use crate::abi::*;
use crate::network::build::NONE;

/// The plastic part of a built network: the arrays of the plastic kernels.
#[derive(Debug, Clone, Default)]
pub struct PlasticNet {
    /// Plastic CSR row pointers over global presynaptic indices (`n_total + 1`, or empty when
    /// there is no plastic synapse).
    pub row_ptr: Vec<u32>,
    /// `(packed, rule)` per synapse, rows sorted by packed word (delay first).
    pub meta: Vec<u32>,
    /// Per-synapse state.
    pub state: Vec<PlasticState>,
    /// Postsynaptic index: row pointers over global postsynaptic indices (`n_total + 1`).
    pub post_ptr: Vec<u32>,
    /// Postsynaptic index: plastic-CSR positions of each neuron's incoming STDP synapses.
    pub post_syn: Vec<u32>,
    /// `(plastic-CSR position, global presynaptic index)` of each rate-rule synapse.
    pub rate_syn: Vec<u32>,
    /// One rule per plastic projection.
    pub rules: Vec<PlasticRule>,
    /// Neuron traces (initially zero).
    pub traces: Vec<NeuronTrace>,
    /// Distinct axonal delays (steps) of plastic synapses, ascending.
    pub delay_classes: Vec<u32>,
    /// Distinct dendritic delays (steps) of plastic synapses, ascending, starting with 0.
    pub dend_classes: Vec<u32>,
    /// Steps of spike history (largest axonal or dendritic plastic delay + 1).
    pub hist_len: u32,
    /// Distinct update periods (steps) of rate rules.
    pub rate_periods: Vec<u32>,
    /// Threads of `plastic_arrive` per arriving item (see [`PlasticInfo::arrive_threads`]).
    pub arrive_threads: u32,
    /// Threads of `plastic_post` per spike (see [`PlasticInfo::post_threads`]).
    pub post_threads: u32,
}

impl PlasticNet {
    /// Plastic synapses in total.
    pub fn n_synapses(&self) -> usize {
        self.state.len()
    }

    /// Whether the network has plastic synapses (and the plastic kernels run).
    pub fn is_active(&self) -> bool {
        !self.state.is_empty()
    }

    /// Whether `plastic_post` has work: STDP synapses or neuron traces.
    pub fn has_post_work(&self) -> bool {
        !self.post_syn.is_empty() || !self.traces.is_empty()
    }

    /// Rate-rule synapses.
    pub fn n_rate(&self) -> usize {
        self.rate_syn.len() / 2
    }

    /// Whether a rate rule updates at the end of `step` (at T = step + 1).
    pub fn rate_due(&self, step: u32) -> bool {
        rate_due(&self.rate_periods, step)
    }

    /// The kernels' constants.
    pub fn info(&self, n_total: u32, ring_len: u32, target_bits: u32) -> PlasticInfo {
        PlasticInfo {
            n_total,
            ring_len,
            target_bits,
            target_mask: (1u32 << target_bits) - 1,
            hist_len: self.hist_len,
            n_classes: self.delay_classes.len() as u32,
            n_rules: self.rules.len() as u32,
            n_rate: self.n_rate() as u32,
            arrive_threads: self.arrive_threads,
            post_threads: self.post_threads,
            n_dclasses: self.dend_classes.len() as u32,
            pad1: 0,
        }
    }

    /// Initial contents of the schedule buffer: header, axonal delay classes, their prefix
    /// sums, dendritic classes, their prefix sums.
    pub fn sched_init(&self) -> Vec<u32> {
        let mut s = vec![0u32; PLASTIC_SCHED_HEADER_WORDS];
        s[1] = 1;
        s[2] = 1;
        s[6] = 1;
        s[7] = 1;
        s.extend(&self.delay_classes);
        s.extend(std::iter::repeat_n(0, self.delay_classes.len() + 1));
        s.extend(&self.dend_classes);
        s.extend(std::iter::repeat_n(0, self.dend_classes.len() + 1));
        s
    }

    /// Words of the spike history: `hist_len` counts, then `hist_len` lists of `n_total`.
    pub fn hist_words(&self, n_total: u32) -> usize {
        self.hist_len as usize * (1 + n_total as usize)
    }
}

/// Threads to give a job of `mean` serial iterations: a power of two in 1..=64 (a 64-thread
/// workgroup is split among `64 / threads` jobs).
fn threads_for(mean: f64) -> u32 {
    (mean.ceil().max(1.0) as u32).next_power_of_two().min(WORKGROUP_SIZE)
}

/// Whether a rate rule with one of `periods` (steps) updates at the end of `step`.
pub fn rate_due(periods: &[u32], step: u32) -> bool {
    let t = u64::from(step) + 1;
    periods.iter().any(|&p| t % u64::from(p) == 0)
}

/// One plastic projection's synapses as the builder hands them over.
pub(crate) struct PlasticProjection<'a> {
    /// The synapse type (with the rule parameters).
    pub synapse: &'a SynapseType,
    /// Global pre and post indices, fixed-point weights, delays in steps, per synapse.
    pub pre: &'a [u32],
    /// Global postsynaptic index per synapse.
    pub post: &'a [u32],
    /// Fixed-point weight per synapse.
    pub weight: &'a [i32],
    /// Delay in steps per synapse.
    pub delay: &'a [u32],
    /// Input channel (0 excitatory, 1 inhibitory).
    pub channel: u32,
    /// Fixed-point scale of the target (population, channel).
    pub scale: f64,
    /// (offset, n) of the pre and post populations.
    pub pre_pop: (u32, u32),
    /// (offset, n) of the postsynaptic population.
    pub post_pop: (u32, u32),
}

/// The fixed-point image of a weight: `round(w·scale)`.
pub(crate) fn fixed(w: f64, scale: f64) -> i32 {
    (w * scale).round_ties_even() as i32
}

/// The fixed-point images of weight bounds, rounded inwards so that every stored weight lies
/// in `[w_min, w_max]` itself: `(ceil(w_min·scale), floor(w_max·scale))`.
pub(crate) fn fixed_bounds(w_min: f64, w_max: f64, scale: f64) -> (i32, i32) {
    let lo = (w_min * scale).ceil() as i32;
    (lo, ((w_max * scale).floor() as i32).max(lo))
}

/// The fixed-point image of weight `w` of a synapse type: `round(w·scale)`, kept within the
/// inward-rounded bounds of a learning rule (a change of less than one unit).
pub(crate) fn fixed_weight(synapse: &SynapseType, w: f64, scale: f64) -> i32 {
    let f = fixed(w, scale);
    match synapse.bounds() {
        Some((w_min, w_max)) => {
            let (lo, hi) = fixed_bounds(w_min, w_max, scale);
            f.clamp(lo, hi)
        }
        None => f,
    }
}

/// The dendritic part of a plastic synapse's delay of `delay` steps:
/// `round(dendritic_delay_fraction · delay)` (ties to even) for STDP, 0 for the other rules.
/// The axonal part is the rest (0 when the whole delay is dendritic).
pub(crate) fn dendritic_steps(synapse: &SynapseType, delay: u32) -> u32 {
    match synapse {
        SynapseType::Stdp(s) => ((s.dendritic_delay_fraction * f64::from(delay)).round_ties_even() as u32).min(delay),
        _ => 0,
    }
}

/// The rule of one plastic projection, in kernel units; trace entries are allocated from
/// `*traces`.
fn rule_of(p: &PlasticProjection, dt: f64, n_dclasses: u32, traces: &mut u32) -> PlasticRule {
    let mut alloc = |n: u32| {
        let at = *traces;
        *traces += n;
        at
    };
    let mut r = PlasticRule {
        flags: RULE_FLAG_ENABLED,
        pre_offset: p.pre_pop.0,
        pre_n: p.pre_pop.1,
        post_offset: p.post_pop.0,
        post_n: p.post_pop.1,
        pre_trace: NONE,
        post_trace: NONE,
        ..Default::default()
    };
    match p.synapse {
        SynapseType::Stdp(s) => {
            let t = &s.timing_dependence;
            let (w_min, w_max) = s.weight_dependence.bounds();
            (r.w_min, r.w_max) = fixed_bounds(w_min, w_max, p.scale);
            let span = f64::from(r.w_max) - f64::from(r.w_min);
            match s.weight_dependence {
                WeightDependence::Additive { .. } => {
                    r.kind = RULE_STDP_ADDITIVE;
                    r.a_plus = (t.a_plus * span) as f32;
                    r.a_minus = (t.a_minus * span) as f32;
                }
                WeightDependence::Multiplicative { .. } => {
                    r.kind = RULE_STDP_MULTIPLICATIVE;
                    r.a_plus = t.a_plus as f32;
                    r.a_minus = t.a_minus as f32;
                }
            }
            if t.pairing == Pairing::Nearest {
                r.flags |= RULE_FLAG_NEAREST;
            }
            r.c_plus = (dt / t.tau_plus) as f32;
            r.c_minus = (dt / t.tau_minus) as f32;
            r.post_trace = alloc(p.post_pop.1 * n_dclasses);
        }
        SynapseType::TsodyksMarkram(s) => {
            r.kind = RULE_TSODYKS_MARKRAM;
            r.tm_u = s.u as f32;
            r.c_rec = (dt / s.tau_rec) as f32;
            r.c_facil = if s.tau_facil > 0.0 { (dt / s.tau_facil) as f32 } else { 0.0 };
        }
        SynapseType::AntiHebbian(s) => {
            r.kind = RULE_ANTI_HEBBIAN;
            (r.w_min, r.w_max) = fixed_bounds(s.w_min, s.w_max, p.scale);
            r.rate_inc = (1000.0 / s.tau) as f32;
            r.c_rate = (dt / s.tau) as f32;
            r.rate_eta = (s.eta * s.interval / 1000.0 * p.scale) as f32;
            r.period = ((s.interval / dt).round() as u32).max(1);
            r.pre_trace = alloc(p.pre_pop.1);
            r.post_trace = alloc(p.post_pop.1);
        }
        SynapseType::Static(_) => unreachable!("static projections are not plastic"),
    }
    r
}

/// Build the plastic CSR, the postsynaptic index, the rules and the trace table. Returns the
/// plastic net and, per projection, each synapse's position in the plastic CSR.
pub(crate) fn build_plastic(projections: &[PlasticProjection], n_total: u32, target_bits: u32, dt: f64) -> (PlasticNet, Vec<Vec<u32>>) {
    let total: usize = projections.iter().map(|p| p.weight.len()).sum();
    if total == 0 {
        return (PlasticNet::default(), projections.iter().map(|_| Vec::new()).collect());
    }
    // Each synapse's delay split into its axonal and dendritic parts (steps).
    let dendritic: Vec<Vec<u32>> = projections.iter().map(|p| p.delay.iter().map(|&d| dendritic_steps(p.synapse, d)).collect()).collect();
    let dend_classes: Vec<u32> =
        std::iter::once(0).chain(dendritic.iter().flatten().copied()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let class_of = |e: u32| dend_classes.binary_search(&e).expect("every dendritic delay is a class") as u32;
    let mut n_traces = 0u32;
    let rules: Vec<PlasticRule> = projections.iter().map(|p| rule_of(p, dt, dend_classes.len() as u32, &mut n_traces)).collect();

    // Order: by presynaptic neuron, then packed word (axonal delay, channel, target), then
    // projection and connection order, so that each row's delay classes are contiguous.
    struct Entry {
        pre: u32,
        packed: u32,
        proj: u32,
        k: u32,
        dclass: u32,
    }
    let mut entries = Vec::with_capacity(total);
    for (ji, (p, dend)) in projections.iter().zip(&dendritic).enumerate() {
        for (k, &e) in dend.iter().enumerate() {
            let packed = ((p.delay[k] - e) << target_bits) | (p.channel * n_total + p.post[k]);
            entries.push(Entry { pre: p.pre[k], packed, proj: ji as u32, k: k as u32, dclass: class_of(e) });
        }
    }
    entries.sort_unstable_by_key(|e| (e.pre, e.packed, e.proj, e.k));

    let mut row_ptr = vec![0u32; n_total as usize + 1];
    let mut meta = Vec::with_capacity(2 * total);
    let mut state = Vec::with_capacity(total);
    let mut slots: Vec<Vec<u32>> = projections.iter().map(|p| vec![0; p.weight.len()]).collect();
    let mut classes = std::collections::BTreeSet::new();
    let mut segments = 0usize;
    for (j, e) in entries.iter().enumerate() {
        if j == 0 || (entries[j - 1].pre, entries[j - 1].packed >> target_bits) != (e.pre, e.packed >> target_bits) {
            segments += 1;
        }
        row_ptr[e.pre as usize + 1] += 1;
        meta.push(e.packed);
        meta.push(e.proj | (e.dclass << PLASTIC_DCLASS_SHIFT));
        let p = &projections[e.proj as usize];
        let mut s = PlasticState { weight: p.weight[e.k as usize], ..Default::default() };
        if rules[e.proj as usize].kind == RULE_TSODYKS_MARKRAM {
            s.b = 1.0; // R_0 = 1, u_0 = 0: the first spike sees u = U, R = 1
        }
        state.push(s);
        slots[e.proj as usize][e.k as usize] = j as u32;
        classes.insert(e.packed >> target_bits);
    }
    for i in 0..n_total as usize {
        row_ptr[i + 1] += row_ptr[i];
    }

    // Postsynaptic index of the STDP synapses, and the rate-rule list.
    let mut post_ptr = vec![0u32; n_total as usize + 1];
    let mut by_post: Vec<(u32, u32, u32)> = Vec::new();
    let mut rate_syn = Vec::new();
    let target_mask = (1u32 << target_bits) - 1;
    for (j, e) in entries.iter().enumerate() {
        let kind = rules[e.proj as usize].kind;
        let post = (e.packed & target_mask) % n_total;
        if kind == RULE_STDP_ADDITIVE || kind == RULE_STDP_MULTIPLICATIVE {
            by_post.push((post, e.dclass, j as u32));
            post_ptr[post as usize + 1] += 1;
        } else if kind == RULE_ANTI_HEBBIAN {
            rate_syn.push(j as u32);
            rate_syn.push(e.pre);
        }
    }
    by_post.sort_unstable();
    let posts_with_stdp = by_post.iter().enumerate().filter(|(k, p)| *k == 0 || by_post[k - 1].0 != p.0).count();
    // (Each neuron's row is sorted by dendritic class: plastic_post finds a class's segment by
    // binary search.)
    let post_threads = threads_for(by_post.len() as f64 / posts_with_stdp.max(1) as f64);
    for i in 0..n_total as usize {
        post_ptr[i + 1] += post_ptr[i];
    }
    let post_syn = by_post.into_iter().map(|(_, _, j)| j).collect();

    let delay_classes: Vec<u32> = classes.into_iter().collect();
    let hist_len = delay_classes.last().copied().unwrap_or(0).max(dend_classes.last().copied().unwrap_or(0)) + 1;
    let mut rate_periods: Vec<u32> = rules.iter().filter(|r| r.kind == RULE_ANTI_HEBBIAN).map(|r| r.period).collect();
    rate_periods.sort_unstable();
    rate_periods.dedup();
    let net = PlasticNet {
        row_ptr,
        meta,
        state,
        post_ptr,
        post_syn,
        rate_syn,
        rules,
        traces: vec![NeuronTrace::default(); n_traces as usize],
        delay_classes,
        dend_classes,
        hist_len,
        rate_periods,
        arrive_threads: threads_for(total as f64 / segments as f64),
        post_threads,
    };
    (net, slots)
}
