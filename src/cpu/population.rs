//! Mirror of `shaders/shared/population.wgsl`: the buffers a neuron kernel sees and its helpers.
#![allow(clippy::too_many_arguments)]

use super::math::{normal_irwin_hall, normal_irwin_hall_x8, LANES};
use crate::abi::*;
use crate::network::build::NONE;
use crate::network::current_source::kind;
use crate::random::kernel_stream;

/// Group 0: engine-wide buffers (same layout as the GPU's).
pub struct Globals<'a> {
    /// The parameters of the step being integrated: the block's `StepParams::sub_step(sub)`
    /// (what the shader's `this_step()` and `step_params.k + sub` give).
    pub step: StepParams,
    /// The step within the block (the shader's private `sub`).
    pub sub: u32,
    /// Delay ring, `[ring_len][2][n_total]`.
    pub ring: &'a mut [i32],
    /// Spike lists with their indirect-dispatch headers.
    pub spikes: &'a mut [u32],
    /// Spike-record bitmask of the chunk.
    pub spike_record: &'a mut [u32],
    /// Global neuron → record slot.
    pub rec_map: &'a [u32],
    /// Recorded samples of the chunk.
    pub rec_values: &'a mut [f32],
    /// Status words.
    pub status: &'a mut [u32; STATUS_WORDS],
    /// Current-source table.
    pub stim: &'a [u32],
}

/// Group 1: one population's buffers.
pub struct PopBuffers<'a> {
    /// Constants.
    pub pop: &'a PopInfo,
    /// `[K][n]` kernel parameters.
    pub kparams: &'a [f32],
    /// `[S][n]` state.
    pub state: &'a mut [f32],
    /// Per-neuron counters.
    pub counters: &'a mut [u32],
    /// Model table.
    pub extra: &'a [u32],
    /// Per-population scratch arrays of the CPU passes (no GPU counterpart).
    pub scratch: &'a mut Scratch,
}

/// Scratch arrays the CPU passes hand each other (a GPU thread keeps these in registers).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    /// v at the start of the step.
    pub v_old: Vec<f32>,
    /// External current of the step.
    pub i_ext: Vec<f32>,
    /// Whether every kernel-parameter row holds one value for all neurons (see
    /// [`params_uniform`]); kernels that know it read one value per row instead of `n`, which
    /// changes no operation and no bit. `false` is always correct.
    pub uniform_params: bool,
    /// Per-neuron flags a branch-free pass hands to the emission pass (1: spiked).
    pub flags: Vec<u32>,
    /// A per-neuron intermediate one pass hands the next (e.g. the argument of an `exp`).
    pub tmp: Vec<f32>,
}

impl Scratch {
    /// Scratch for `n` neurons.
    pub fn new(n: usize) -> Self {
        Self { v_old: vec![0.0; n], i_ext: vec![0.0; n], uniform_params: false, flags: vec![0; n], tmp: vec![0.0; n] }
    }
}

/// Whether each row of the `[K][n]` kernel parameters holds one value (bit for bit) for all
/// `n` neurons — the case of populations built from constant parameters.
pub fn params_uniform(kparams: &[f32], n: usize) -> bool {
    n > 0 && kparams.chunks_exact(n).all(|row| row.iter().all(|x| x.to_bits() == row[0].to_bits()))
}

/// Row value of neuron `i`: `row[0]` for uniform parameters (`U`), else `row[i]`.
#[inline(always)]
pub fn at<const U: bool>(row: &[f32], i: usize) -> f32 {
    if U {
        row[0]
    } else {
        row[i]
    }
}

impl PopBuffers<'_> {
    /// Kernel parameter `k` of neuron `i`.
    #[inline]
    pub fn kp(&self, k: usize, i: usize) -> f32 {
        self.kparams[k * self.pop.n as usize + i]
    }
}

/// Mirrors `reset_spike_counts`.
#[inline]
pub fn reset_spike_counts(g: &mut Globals, pop: &PopInfo) {
    if pop.flags & FLAG_RESET_COUNTS != 0 {
        let other = ((g.step.parity ^ 1) * 4) as usize;
        g.spikes[other] = 0;
        g.spikes[other + 3] = 0;
    }
}

/// Mirrors `input_base`.
#[inline]
pub fn input_base(g: &Globals, pop: &PopInfo) -> u32 {
    (g.step.step % pop.ring_len) * 2 * pop.n_total
}

/// Mirrors `take_input`.
#[inline]
pub fn take_input(g: &mut Globals, pop: &PopInfo, base: u32, gi: u32, channel: u32) -> f32 {
    let idx = (base + channel * pop.n_total + gi) as usize;
    let v = g.ring[idx];
    g.ring[idx] = 0;
    let inv = if channel == 1 { pop.inv_scale_i } else { pop.inv_scale_e };
    v as f32 * inv
}

/// Mirrors `emit_spike`.
#[inline]
pub fn emit_spike(g: &mut Globals, pop: &PopInfo, gi: u32) {
    if pop.flags & FLAG_APPEND_SPIKES != 0 {
        let p = g.step.parity as usize;
        let idx = g.spikes[p * 4 + 3];
        g.spikes[p * 4 + 3] += 1;
        g.spikes[SPIKE_HEADER_WORDS + p * pop.spike_list_len as usize + idx as usize] = gi | (g.sub << SPIKE_SUB_SHIFT);
        if idx < MAX_DISPATCH {
            g.spikes[p * 4] += 1;
        }
    }
    if pop.flags & FLAG_RECORD_SPIKES != 0 {
        g.spike_record[(g.step.k * pop.spike_words + (gi >> 5)) as usize] |= 1 << (gi & 31);
    }
}

/// Mirrors `sample_slot`.
#[inline]
pub fn sample_slot(g: &Globals, pop: &PopInfo) -> u32 {
    if pop.flags & FLAG_RECORD_VARS == 0 || !g.step.step.is_multiple_of(pop.rec_interval) {
        return NONE;
    }
    #[allow(clippy::manual_div_ceil)] // written as the shader writes it
    let first = (g.step.chunk_start + pop.rec_interval - 1) / pop.rec_interval;
    g.step.step / pop.rec_interval - first
}

/// Mirrors `record_sample`.
#[inline]
pub fn record_sample(g: &mut Globals, b: &PopBuffers, slot: u32, i: u32, gi: u32) {
    let pop = b.pop;
    if slot == NONE {
        return;
    }
    let r = g.rec_map[gi as usize];
    if r == NONE {
        return;
    }
    for v in 0..pop.rec_nvars {
        let var_index = (pop.rec_vars >> (8 * v)) & 0xFF;
        g.rec_values[(pop.rec_base + (slot * pop.rec_nvars + v) * pop.rec_neurons + r) as usize] =
            b.state[(var_index * pop.n + i) as usize];
    }
}

/// Mirrors `refractory_after_spike`.
#[inline]
pub fn refractory_after_spike(v_old: f32, v_new: f32, v_thresh: f32, n_refrac: f32) -> u32 {
    let mut f = 1.0f32;
    if v_new > v_old {
        f = ((v_thresh - v_old) / (v_new - v_old)).clamp(0.0, 1.0);
    }
    super::math::round_even(n_refrac - 1.0 + f).max(0.0) as u32
}

/// Mirrors `check_finite`.
#[inline]
pub fn check_finite(g: &mut Globals, x: f32, gi: u32) {
    if x.to_bits() & 0x7F80_0000 == 0x7F80_0000 {
        g.status[0] |= STATUS_NOT_FINITE;
        g.status[1] = g.status[1].min(gi);
    }
}

/// Mirrors `source_current`.
fn source_current(g: &Globals, pop: &PopInfo, r: usize, gi: u32) -> f32 {
    let stim = g.stim;
    let s = g.step.step;
    if stim[r] == kind::STEP {
        let n_points = stim[r + 5] as usize;
        let at = stim[r + 6] as usize;
        let mut amp = 0.0f32;
        for k in 0..n_points {
            if stim[at + 2 * k] > s {
                break;
            }
            amp = f32::from_bits(stim[at + 2 * k + 1]);
        }
        return amp;
    }
    if s < stim[r + 1] || s >= stim[r + 2] {
        return 0.0;
    }
    if stim[r] == kind::DC {
        return f32::from_bits(stim[r + 3]);
    }
    let interval_index = (s - stim[r + 1]) / stim[r + 5];
    let z = normal_irwin_hall([interval_index, gi, kernel_stream::NOISE | stim[r + 7]], [pop.key0, pop.key1]);
    f32::from_bits(stim[r + 3]) + f32::from_bits(stim[r + 4]) * z
}

/// Mirrors `external_current`.
#[inline]
pub fn external_current(g: &Globals, pop: &PopInfo, i: u32, gi: u32) -> f32 {
    if pop.stim_base == NONE {
        return 0.0;
    }
    let a = g.stim[(pop.stim_base + i) as usize];
    let b = g.stim[(pop.stim_base + i + 1) as usize];
    let mut total = 0.0f32;
    for j in a..b {
        total += source_current(g, pop, g.stim[j as usize] as usize, gi);
    }
    total
}

/// `record_sample` for every neuron (the first thing each GPU thread does).
pub fn record_all(g: &mut Globals, b: &PopBuffers, slot: u32) {
    if slot == NONE {
        return;
    }
    for i in 0..b.pop.n {
        record_sample(g, b, slot, i, b.pop.offset + i);
    }
}

/// `external_current` of every neuron into `out` (0.0 without sources, as the shader's
/// function returns).
///
/// Runs of 8 neurons whose only source is one and the same NoisyCurrentSource (the usual
/// "noise into a population") draw their 8 normals at once ([`normal_irwin_hall_x8`]); the
/// values and the sum (`0.0 + x`, the shader's loop over one source) are the scalar path's.
pub fn external_currents(g: &Globals, pop: &PopInfo, out: &mut [f32]) {
    let n = pop.n as usize;
    let out = &mut out[..n];
    if pop.stim_base == NONE {
        out.fill(0.0);
        return;
    }
    let mut i = 0;
    while i < n {
        if i + LANES <= n {
            if let Some(r) = shared_noisy_source(g, pop, i) {
                let stim = g.stim;
                let s = g.step.step;
                if s < stim[r + 1] || s >= stim[r + 2] {
                    out[i..i + LANES].fill(0.0 + 0.0);
                } else {
                    let interval_index = (s - stim[r + 1]) / stim[r + 5];
                    let gi0 = pop.offset + i as u32;
                    let z = normal_irwin_hall_x8(
                        [interval_index; LANES],
                        std::array::from_fn(|l| gi0 + l as u32),
                        [kind_noise_stream(stim[r + 7]); LANES],
                        [pop.key0, pop.key1],
                    );
                    let (mean, stdev) = (f32::from_bits(stim[r + 3]), f32::from_bits(stim[r + 4]));
                    for l in 0..LANES {
                        out[i + l] = 0.0 + (mean + stdev * z[l]);
                    }
                }
                i += LANES;
                continue;
            }
        }
        out[i] = external_current(g, pop, i as u32, pop.offset + i as u32);
        i += 1;
    }
}

/// The NoisyCurrentSource's counter word: `NOISE | source`.
#[inline]
fn kind_noise_stream(source: u32) -> u32 {
    kernel_stream::NOISE | source
}

/// The stimulus record shared by neurons `i..i + 8` when each has exactly that one source and
/// it is a NoisyCurrentSource.
fn shared_noisy_source(g: &Globals, pop: &PopInfo, i: usize) -> Option<usize> {
    let stim = g.stim;
    let at = pop.stim_base as usize + i;
    let first = stim[at] as usize;
    if stim[at + 1] as usize != first + 1 {
        return None;
    }
    let r = stim[first] as usize;
    if stim[r] != kind::NOISY {
        return None;
    }
    for l in 1..LANES {
        let (a, b) = (stim[at + l] as usize, stim[at + l + 1] as usize);
        if b != a + 1 || stim[a] as usize != r {
            return None;
        }
    }
    Some(r)
}

/// This step's excitatory and inhibitory input slots of the population.
pub fn input_slices<'r>(ring: &'r mut [i32], pop: &PopInfo, base: usize) -> (&'r mut [i32], &'r mut [i32]) {
    let (n, n_total, off) = (pop.n as usize, pop.n_total as usize, pop.offset as usize);
    let (e, i) = ring[base..base + 2 * n_total].split_at_mut(n_total);
    (&mut e[off..off + n], &mut i[off..off + n])
}

/// The threshold part of a LIF kernel: spike, refractory count, reset, finiteness check.
/// Inlined so that it is compiled with the calling kernel's target features (AVX2).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn threshold_and_reset(
    g: &mut Globals,
    pop: &PopInfo,
    v: &mut [f32],
    counters: &mut [u32],
    v_old: &[f32],
    v_thresh: &[f32],
    v_reset: &[f32],
    n_refrac: &[f32],
) {
    threshold_and_reset_u::<false>(g, pop, v, counters, v_old, v_thresh, v_reset, n_refrac);
}

/// [`threshold_and_reset`] with the parameter rows read through [`at`]`::<U>` (`U`: uniform
/// parameters, one value per row).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn threshold_and_reset_u<const U: bool>(
    g: &mut Globals,
    pop: &PopInfo,
    v: &mut [f32],
    counters: &mut [u32],
    v_old: &[f32],
    v_thresh: &[f32],
    v_reset: &[f32],
    n_refrac: &[f32],
) {
    let n = pop.n as usize;
    let m = if U { 1 } else { n };
    let (v, counters, v_old, v_thresh, v_reset, n_refrac) =
        (&mut v[..n], &mut counters[..n], &v_old[..n], &v_thresh[..m], &v_reset[..m], &n_refrac[..m]);
    // Blocks of 16 neurons are tested branch-free first (vectorized); the common block — all
    // below threshold and finite — costs one well-predicted branch. Neurons of a block that
    // needs work are then handled in index order, as before.
    const BLOCK: usize = 16;
    let mut start = 0;
    while start < n {
        let end = (start + BLOCK).min(n);
        let mut any = false;
        for (i, &x) in v.iter().enumerate().take(end).skip(start) {
            any |= (x >= at::<U>(v_thresh, i)) | (x.to_bits() & 0x7F80_0000 == 0x7F80_0000);
        }
        if any {
            for i in start..end {
                let x = v[i];
                if x >= at::<U>(v_thresh, i) || x.to_bits() & 0x7F80_0000 == 0x7F80_0000 {
                    let gi = pop.offset + i as u32;
                    if x >= at::<U>(v_thresh, i) {
                        counters[i] = refractory_after_spike(v_old[i], x, at::<U>(v_thresh, i), at::<U>(n_refrac, i));
                        v[i] = at::<U>(v_reset, i);
                        emit_spike(g, pop, gi);
                    }
                    check_finite(g, v[i], gi);
                }
            }
        }
        start = end;
    }
}
