//! Recording: the per-chunk buffers the kernels fill (spike bitmask, sampled state), their
//! decoding on the host, and the results handed to users as PyNN/Neo-like segments.

use crate::abi::{PopInfo, FLAG_APPEND_SPIKES, FLAG_RECORD_SPIKES, FLAG_RECORD_VARS, FLAG_RESET_COUNTS, MAX_RECORDED_VARS};
use crate::network::build::{BuiltNetwork, NONE};
use serde::Serialize;

/// How one chunk (one queue submission) lays out its recording buffers.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkLayout {
    /// Most steps in one chunk.
    pub steps: u32,
    /// Words of one bitmask row (all neurons), or 0 when no population records spikes.
    pub spike_words: u32,
    /// Floats of the record buffer.
    pub rec_floats: u32,
    /// Each population's first float in the record buffer.
    pub rec_base: Vec<u32>,
    /// Steps one dispatch advances ([`crate::backend::steps_per_dispatch`]).
    pub steps_per_dispatch: u32,
}

impl ChunkLayout {
    /// Fit at most `max_steps` steps so that each recording buffer stays under `max_bytes`;
    /// dispatches advance up to `max_per_dispatch` steps, as the network allows.
    pub fn new(net: &BuiltNetwork, max_steps: u32, max_bytes: u64, max_per_dispatch: u32) -> Self {
        let steps_per_dispatch = crate::backend::steps_per_dispatch(net, max_per_dispatch);
        let spikes = net.pops.iter().any(|p| p.record.spikes);
        let spike_words = if spikes { net.spike_words() } else { 0 };
        let per_step_bytes = u64::from(spike_words) * 4;
        let mut steps = max_steps.max(1);
        if let Some(fit) = max_bytes.checked_div(per_step_bytes) {
            steps = steps.min(fit.max(1) as u32);
        }
        loop {
            let (bases, total) = Self::rec_regions(net, steps);
            if total * 4 <= max_bytes || steps == 1 {
                return Self { steps, spike_words, rec_floats: total as u32, rec_base: bases, steps_per_dispatch };
            }
            steps = steps.div_ceil(2);
        }
    }

    fn rec_regions(net: &BuiltNetwork, steps: u32) -> (Vec<u32>, u64) {
        let mut total = 0u64;
        let mut bases = Vec::with_capacity(net.pops.len());
        for p in &net.pops {
            bases.push(total as u32);
            if !p.record.vars.is_empty() {
                let samples = u64::from(steps.div_ceil(p.record.interval));
                total += samples * p.record.vars.len() as u64 * p.record.neurons.len() as u64;
            }
        }
        (bases, total)
    }

    /// Words of one of the two spike lists: every neuron may spike in every step of a block.
    pub fn spike_list_len(&self, net: &BuiltNetwork) -> u32 {
        self.steps_per_dispatch * net.n_total
    }

    /// The kernels' per-population constants.
    pub fn pop_infos(&self, net: &BuiltNetwork) -> Vec<PopInfo> {
        net.pops
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut flags = 0;
                if p.record.spikes {
                    flags |= FLAG_RECORD_SPIKES;
                }
                if p.has_outgoing {
                    flags |= FLAG_APPEND_SPIKES;
                }
                if i == 0 {
                    flags |= FLAG_RESET_COUNTS;
                }
                if !p.record.vars.is_empty() {
                    flags |= FLAG_RECORD_VARS;
                }
                let rec_vars = p.record.vars.iter().take(MAX_RECORDED_VARS).enumerate().fold(0u32, |acc, (k, &v)| acc | (v << (8 * k)));
                PopInfo {
                    offset: p.offset,
                    n: p.n,
                    n_total: net.n_total,
                    ring_len: net.ring_len,
                    spike_words: self.spike_words,
                    flags,
                    rec_base: self.rec_base[i],
                    rec_neurons: p.record.neurons.len() as u32,
                    rec_nvars: p.record.vars.len() as u32,
                    rec_interval: p.record.interval.max(1),
                    rec_vars,
                    stim_base: p.stim_base,
                    inv_scale_e: p.inv_scale[0],
                    inv_scale_i: p.inv_scale[1],
                    key0: net.key[0],
                    key1: net.key[1],
                    group_first: 0,
                    group_end: p.n,
                    spike_list_len: self.spike_list_len(net),
                    _pad: 0,
                    poisson_begin: 0,
                    poisson_end: 0,
                    _pad1: 0,
                    _pad2: 0,
                }
            })
            .collect()
    }
}

/// What one chunk produced, as pulled from the GPU (or written by the CPU back end).
#[derive(Debug, Clone, Default)]
pub struct ChunkData {
    /// First step.
    pub first_step: u32,
    /// Steps run.
    pub steps: u32,
    /// Spike bitmask, `steps × spike_words`.
    pub spike_record: Vec<u32>,
    /// Sampled state.
    pub rec_values: Vec<f32>,
    /// Status words.
    pub status: [u32; 2],
}

/// Everything recorded of one population so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct PopRecorder {
    /// Emission steps per neuron (spike time = (step + 1)·dt).
    pub spike_steps: Vec<Vec<u32>>,
    /// Samples, each `[var][recorded neuron]`.
    pub samples: Vec<f32>,
    /// Number of samples.
    pub n_samples: usize,
}

/// Decodes chunks into per-population records.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder {
    pub pops: Vec<PopRecorder>,
}

impl Recorder {
    pub fn new(net: &BuiltNetwork) -> Self {
        Self {
            pops: net
                .pops
                .iter()
                .map(|p| PopRecorder {
                    spike_steps: if p.record.spikes { vec![Vec::new(); p.n as usize] } else { Vec::new() },
                    ..Default::default()
                })
                .collect(),
        }
    }

    /// Append one chunk's data.
    pub fn absorb(&mut self, net: &BuiltNetwork, layout: &ChunkLayout, chunk: &ChunkData) {
        let w = layout.spike_words as usize;
        for (pi, p) in net.pops.iter().enumerate() {
            let rec = &mut self.pops[pi];
            if p.record.spikes {
                let first_word = (p.offset / 32) as usize;
                let n_words = (p.n as usize).div_ceil(32);
                for k in 0..chunk.steps as usize {
                    let row = &chunk.spike_record[k * w + first_word..k * w + first_word + n_words];
                    for (wi, &word) in row.iter().enumerate() {
                        let mut bits = word;
                        while bits != 0 {
                            let b = bits.trailing_zeros() as usize;
                            bits &= bits - 1;
                            let local = wi * 32 + b;
                            if local < p.n as usize {
                                rec.spike_steps[local].push(chunk.first_step + k as u32);
                            }
                        }
                    }
                }
            }
            if !p.record.vars.is_empty() {
                let interval = p.record.interval;
                let per_sample = p.record.vars.len() * p.record.neurons.len();
                let first = chunk.first_step.div_ceil(interval);
                let end = chunk.first_step + chunk.steps; // exclusive
                let last_excl = end.div_ceil(interval);
                for slot in 0..last_excl.saturating_sub(first) as usize {
                    let at = layout.rec_base[pi] as usize + slot * per_sample;
                    rec.samples.extend_from_slice(&chunk.rec_values[at..at + per_sample]);
                    rec.n_samples += 1;
                }
            }
        }
    }
}

/// A spike train of one neuron (times in ms, end-of-step convention).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpikeTrain {
    /// Index of the neuron in its population.
    pub source_index: usize,
    /// Spike times, ms.
    pub times: Vec<f64>,
}

/// Samples of one state variable of several neurons (PyNN's AnalogSignal).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalogSignal {
    /// Variable name (`v`, `gsyn_exc`, ...).
    pub name: String,
    /// Unit (`mV`, `uS`, `nA`).
    pub units: String,
    /// Sampling period, ms.
    pub sampling_period: f64,
    /// Time of the first sample, ms.
    pub t_start: f64,
    /// Neuron index of each channel.
    pub channel_index: Vec<usize>,
    /// `data[channel][sample]`.
    pub data: Vec<Vec<f32>>,
}

impl AnalogSignal {
    /// Sample times, ms.
    pub fn times(&self) -> Vec<f64> {
        let n = self.data.first().map_or(0, Vec::len);
        (0..n).map(|k| self.t_start + k as f64 * self.sampling_period).collect()
    }

    /// The trace of neuron `index` (its position in the population), if recorded.
    pub fn trace(&self, index: usize) -> Option<&[f32]> {
        self.channel_index.iter().position(|&c| c == index).map(|k| self.data[k].as_slice())
    }
}

/// What a population recorded over all runs so far (PyNN's Segment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    /// Population label.
    pub population: String,
    /// Start, ms.
    pub t_start: f64,
    /// End of the simulated time, ms.
    pub t_stop: f64,
    /// One train per recorded neuron of the view.
    pub spiketrains: Vec<SpikeTrain>,
    /// One signal per recorded variable.
    pub analogsignals: Vec<AnalogSignal>,
}

impl Segment {
    /// Total spikes.
    pub fn spike_count(&self) -> usize {
        self.spiketrains.iter().map(|s| s.times.len()).sum()
    }

    /// Mean rate over trains and time, Hz.
    pub fn mean_rate(&self) -> f64 {
        let dur = self.t_stop - self.t_start;
        if self.spiketrains.is_empty() || dur <= 0.0 {
            return 0.0;
        }
        self.spike_count() as f64 / self.spiketrains.len() as f64 / (dur / 1000.0)
    }

    /// The signal of variable `name`.
    pub fn signal(&self, name: &str) -> Option<&AnalogSignal> {
        self.analogsignals.iter().find(|a| a.name == name)
    }

    /// Mean coefficient of variation of the inter-spike intervals over trains with ≥ 3 spikes.
    pub fn cv_isi(&self) -> Option<f64> {
        let cvs: Vec<f64> = self
            .spiketrains
            .iter()
            .filter(|s| s.times.len() >= 3)
            .map(|s| {
                let isi: Vec<f64> = s.times.windows(2).map(|w| w[1] - w[0]).collect();
                let m = isi.iter().sum::<f64>() / isi.len() as f64;
                let v = isi.iter().map(|x| (x - m).powi(2)).sum::<f64>() / isi.len() as f64;
                v.sqrt() / m
            })
            .collect();
        (!cvs.is_empty()).then(|| cvs.iter().sum::<f64>() / cvs.len() as f64)
    }
}

/// Assemble a population's segment for the neurons `view` (indices in the population).
pub(crate) fn segment(
    net: &BuiltNetwork,
    rec: &PopRecorder,
    pop: usize,
    view: &[usize],
    spikes_of: &dyn Fn(usize) -> bool,
    vars_of: &dyn Fn(usize, usize) -> bool,
    t_stop: f64,
) -> Segment {
    let p = &net.pops[pop];
    let dt = net.dt;
    let spiketrains = if p.record.spikes {
        view.iter()
            .filter(|&&i| spikes_of(i))
            .map(|&i| SpikeTrain { source_index: i, times: rec.spike_steps[i].iter().map(|&s| f64::from(s + 1) * dt).collect() })
            .collect()
    } else {
        Vec::new()
    };
    let mut analogsignals = Vec::new();
    let nrec = p.record.neurons.len();
    let nv = p.record.vars.len();
    for (v, &var) in p.record.vars.iter().enumerate() {
        let spec = p.spec.state[var as usize];
        let mut channel_index = Vec::new();
        let mut data = Vec::new();
        for &i in view {
            let slot = net.rec_map[(p.offset as usize) + i];
            if slot == NONE || !vars_of(var as usize, i) {
                continue;
            }
            channel_index.push(i);
            data.push((0..rec.n_samples).map(|s| rec.samples[s * nv * nrec + v * nrec + slot as usize]).collect());
        }
        analogsignals.push(AnalogSignal {
            name: spec.name.to_string(),
            units: spec.unit.to_string(),
            sampling_period: f64::from(p.record.interval) * dt,
            t_start: 0.0,
            channel_index,
            data,
        });
    }
    Segment { population: p.label.clone(), t_start: 0.0, t_stop, spiketrains, analogsignals }
}
