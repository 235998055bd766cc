//! The GPU back end: buffers, explicit bind-group and pipeline layouts, the step schedule
//! recorded into command buffers (many steps per submission), and bulk readback.
//!
//! Every buffer must fit in one storage binding (`max_storage_buffer_binding_size`), except the
//! static synapses: when they do not fit, they are split at row boundaries (each presynaptic
//! neuron's CSR row wholly in one buffer) across up to [`MAX_SYN_BUFFERS`] buffers, each holding
//! its packed synapses followed by their weights (8 bytes per synapse), and `propagate` picks the
//! buffer of each spike's row from a small table ([`SynSplit`]). Only a row larger than one
//! binding, or a network needing more buffers, is refused with [`EngineError::BufferTooLarge`].

pub mod construct;
pub mod context;
mod plastic;

pub use context::GpuContext;

use crate::abi::*;
use crate::backend::{kernel_groups, step_schedule, Engine, EngineError, Stage};
use crate::network::build::BuiltNetwork;
use crate::record::{ChunkData, ChunkLayout};
use crate::shaders;
use plastic::GpuPlastic;
use std::collections::HashMap;
use wgpu::util::DeviceExt;

/// Most storage buffers the static synapses are split across (bindings `syn0..syn3` of
/// `shaders/propagate.wgsl`).
pub const MAX_SYN_BUFFERS: usize = 4;

/// Where the static synapses lie across the buffers `syn0..syn3` (uniform of `propagate`).
/// Buffer `k` holds rows `row_end[k-1]..row_end[k]` (`row_end[-1]` = 0), i.e. global synapses
/// `syn_base[k]..syn_base[k] + syn_len[k]`: `syn_len[k]` packed synapses, then their weights.
/// Unused buffers have `row_end = u32::MAX` and no synapses.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct SynSplit {
    /// One past the last presynaptic row of each buffer.
    pub row_end: [u32; MAX_SYN_BUFFERS],
    /// Global index of each buffer's first synapse.
    pub syn_base: [u32; MAX_SYN_BUFFERS],
    /// Synapses in each buffer.
    pub syn_len: [u32; MAX_SYN_BUFFERS],
}

impl SynSplit {
    /// Split the CSR rows `row_ptr` (n_rows + 1 entries) into the fewest buffers of at most
    /// `limit` bytes each (8 bytes per synapse), greedily at row boundaries.
    ///
    /// Errors with [`EngineError::BufferTooLarge`] on `spikeflow.synapses` when one row alone
    /// exceeds the limit or more than [`MAX_SYN_BUFFERS`] buffers would be needed.
    pub fn new(row_ptr: &[u32], limit: u64) -> Result<Self, EngineError> {
        let rows = row_ptr.len().saturating_sub(1);
        let total = row_ptr.last().copied().unwrap_or(0);
        let cap = limit / SYN_BYTES;
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut r0 = 0;
        while r0 < rows && row_ptr[r0] < total {
            let s0 = u64::from(row_ptr[r0]);
            // The last row boundary within `cap` synapses of this buffer's first synapse.
            let r1 = row_ptr.partition_point(|&p| u64::from(p) <= s0 + cap) - 1;
            if r1 == r0 {
                let len = u64::from(row_ptr[r0 + 1]) - s0;
                return Err(EngineError::BufferTooLarge {
                    buffer: format!(
                        "spikeflow.synapses (the row of presynaptic neuron {r0}, {len} synapses of {SYN_BYTES} bytes, cannot be split)"
                    ),
                    bytes: len * SYN_BYTES,
                    limit,
                });
            }
            ranges.push((r0, r1));
            r0 = r1;
        }
        if ranges.len() > MAX_SYN_BUFFERS {
            return Err(EngineError::BufferTooLarge {
                buffer: format!(
                    "spikeflow.synapses (split at row boundaries it needs {} buffers, at most {MAX_SYN_BUFFERS} are bound)",
                    ranges.len()
                ),
                bytes: u64::from(total) * SYN_BYTES,
                limit,
            });
        }
        let mut split =
            SynSplit { row_end: [u32::MAX; MAX_SYN_BUFFERS], syn_base: [total; MAX_SYN_BUFFERS], syn_len: [0; MAX_SYN_BUFFERS] };
        let n = ranges.len();
        for (k, &(a, b)) in ranges.iter().enumerate() {
            // The last buffer also takes any rows after the last synapse (and beyond).
            split.row_end[k] = if k + 1 == n { u32::MAX } else { b as u32 };
            split.syn_base[k] = row_ptr[a];
            split.syn_len[k] = row_ptr[b] - row_ptr[a];
        }
        Ok(split)
    }

    /// Buffers in use (at least one).
    pub fn n_buffers(&self) -> usize {
        self.syn_len.iter().rposition(|&l| l > 0).map_or(1, |k| k + 1)
    }
}

/// Bytes of one static synapse on the GPU: packed target/delay and weight.
const SYN_BYTES: u64 = 8;

/// One buffer of static synapses: `len` packed synapses from global index `base`, then their weights.
struct SynBuffer {
    buffer: wgpu::Buffer,
    base: usize,
    len: usize,
}

/// Layout helpers: one entry per binding, written out explicitly.
fn storage(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

fn uniform(binding: u32, dynamic: bool, size: u64) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: dynamic,
            min_binding_size: wgpu::BufferSize::new(size),
        },
        count: None,
    }
}

/// A compute pipeline of kernel `name` (entry point `main`) with an explicit layout.
fn create_pipeline(device: &wgpu::Device, name: &'static str, layout: &wgpu::PipelineLayout) -> Result<wgpu::ComputePipeline, EngineError> {
    let src = shaders::source(name).map_err(|e| EngineError::Gpu(e.to_string()))?;
    let module =
        device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(name), source: wgpu::ShaderSource::Wgsl(src.into()) });
    Ok(device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&format!("spikeflow.{name}")),
        layout: Some(layout),
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    }))
}

/// One population inside its kernel group: neurons `first..first + n` of the group's dispatch.
struct Member {
    first: u32,
    n: u32,
    /// Rows of its state (`[S][n]`) and kernel parameters (`[K][n]`).
    state_rows: usize,
    kparam_rows: usize,
}

/// A kernel group ([`kernel_groups`]): one dispatch over its populations, whose parameters,
/// state and counters share buffers laid out `[row][n]` over the group's `n` neurons.
struct GpuGroup {
    kernel: &'static str,
    n: u32,
    /// Population index → member, for the populations of this group.
    members: Vec<(usize, Member)>,
    kparams: wgpu::Buffer,
    state: wgpu::Buffer,
    counters: wgpu::Buffer,
    /// The population's table (groups whose kernel reads one have a single population).
    extra: wgpu::Buffer,
    /// The members' `PopInfo`s (storage array, group 1 binding 0).
    info: wgpu::Buffer,
    /// Its `GroupInfo` (uniform, binding 5).
    group: wgpu::Buffer,
    /// The Poisson inputs reaching its neurons (binding 6; [`group_poisson_entries`]).
    poisson: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    label: String,
}

impl GpuGroup {
    fn member(&self, pop: usize) -> &Member {
        &self.members.iter().find(|(p, _)| *p == pop).expect("population of this group").1
    }
}

/// Interleave the members' `[rows][n_m]` arrays, member m from column `first_m`, into one
/// `[rows][n]` array over the group (padding columns zero).
fn group_rows<T: Copy + Default>(parts: &[(&[T], u32, u32)], rows: usize, n: u32) -> Vec<T> {
    let n = n as usize;
    let mut out = vec![T::default(); rows * n];
    for &(data, nm, first) in parts {
        let (nm, first) = (nm as usize, first as usize);
        for r in 0..rows {
            out[r * n + first..r * n + first + nm].copy_from_slice(&data[r * nm..(r + 1) * nm]);
        }
    }
    out
}

/// A kernel group's Poisson-input table: for each member population (global neurons
/// `offset..offset + n`, in group order) the entries of `table` that reach it, clipped to it, in
/// table order, and that population's range of the result. One entry of `n = 0` when no entry
/// reaches the group (a storage binding cannot be empty). The group's integrate kernel adds
/// their events in `take_input` (`shaders/shared/poisson_input.wgsl`).
pub(crate) fn group_poisson_entries(table: &[PoissonInputEntry], members: &[(u32, u32)]) -> (Vec<PoissonInputEntry>, Vec<(u32, u32)>) {
    let mut out = Vec::new();
    let mut ranges = Vec::with_capacity(members.len());
    for &(offset, n) in members {
        let begin = out.len() as u32;
        out.extend(table.iter().filter_map(|e| {
            let (a, b) = (e.first.max(offset), (e.first + e.n).min(offset + n));
            (a < b).then(|| PoissonInputEntry { first: a, n: b - a, ..*e })
        }));
        ranges.push((begin, out.len() as u32));
    }
    if out.is_empty() {
        out.push(PoissonInputEntry::default());
    }
    (out, ranges)
}

/// The GPU's schedule of a block: [`step_schedule`] without [`Stage::PoissonInput`], whose
/// events each integrate thread draws for its own neuron as it takes its input (one dispatch
/// fewer per block; the same integer sums as the CPU back end's separate pass).
pub fn gpu_schedule(net: &BuiltNetwork) -> Vec<Stage> {
    step_schedule(net).into_iter().filter(|s| *s != Stage::PoissonInput).collect()
}

/// Runs a built network's kernels on a wgpu device.
pub(crate) struct GpuEngine {
    /// Seconds its creation spent compiling pipelines, and in the CSR passes of kernel
    /// assembly (submitted and finished on the device).
    pub build_times: (f64, f64),
    ctx: GpuContext,
    layout: ChunkLayout,
    schedule: Vec<Stage>,
    /// The spike list the next block writes.
    parity: u32,
    groups: Vec<GpuGroup>,
    /// The kernel group of each population.
    group_of: Vec<usize>,
    pipelines: HashMap<&'static str, wgpu::ComputePipeline>,
    pop_layout: wgpu::BindGroupLayout,
    step_params: wgpu::Buffer,
    spikes: wgpu::Buffer,
    spike_record: wgpu::Buffer,
    rec_values: wgpu::Buffer,
    status: wgpu::Buffer,
    global_bg: wgpu::BindGroup,
    propagate_bg: Option<wgpu::BindGroup>,
    /// Static synapses and their fixed-point weights (read and written between runs), split
    /// across up to [`MAX_SYN_BUFFERS`] buffers; empty without static synapses.
    syn_buffers: Vec<SynBuffer>,
    plastic: Option<GpuPlastic>,
}

/// Bytes of a buffer holding `len` elements of 4 bytes (at least 16: no empty bindings).
fn bytes_of(len: usize) -> u64 {
    (len as u64 * 4).max(16)
}

impl GpuEngine {
    pub fn new(ctx: GpuContext, net: &BuiltNetwork, mut layout: ChunkLayout) -> Result<Self, EngineError> {
        let device = &ctx.device;
        let max_binding = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
        let check = |label: &str, bytes: u64| -> Result<(), EngineError> {
            if bytes > max_binding {
                Err(EngineError::BufferTooLarge { buffer: label.to_string(), bytes, limit: max_binding })
            } else {
                Ok(())
            }
        };
        let n_total = net.n_total as usize;
        // Blocks of several steps need spike lists of several steps' spikes: fewer steps per
        // dispatch when two such lists would not fit one binding.
        let spike_words = |layout: &ChunkLayout| SPIKE_HEADER_WORDS + 2 * layout.spike_list_len(net) as usize;
        while layout.steps_per_dispatch > 1 && bytes_of(spike_words(&layout)) > max_binding {
            layout.steps_per_dispatch -= 1;
        }
        check("spikeflow.spikes", bytes_of(spike_words(&layout)))?;
        let ring_len = net.ring_len as usize * 2 * n_total;
        check("spikeflow.ring", bytes_of(ring_len))?;
        let syn_split = if net.n_static_synapses() > 0 { Some(SynSplit::new(&net.row_ptr, max_binding)?) } else { None };
        check("spikeflow.row_ptr", bytes_of(net.row_ptr.len()))?;
        check("spikeflow.spike_record", bytes_of(layout.steps as usize * layout.spike_words as usize))?;
        check("spikeflow.rec_values", bytes_of(layout.rec_floats as usize))?;
        check("spikeflow.stim", bytes_of(net.stim.len()))?;
        for p in &net.pops {
            check(&format!("spikeflow.{}.kparams", p.label), bytes_of(p.kparams.len()))?;
            check(&format!("spikeflow.{}.state", p.label), bytes_of(p.state.len()))?;
            check(&format!("spikeflow.{}.extra", p.label), bytes_of(p.extra.len()))?;
        }

        let usage_rw = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        // At least 16 bytes (no empty bindings); larger contents are uploaded without a copy.
        let init = |label: &str, contents: &[u8], usage: wgpu::BufferUsages| {
            let padded;
            let contents = if contents.len() >= 16 {
                contents
            } else {
                padded = [contents, &[0u8; 16][contents.len()..]].concat();
                &padded[..]
            };
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage })
        };
        let zeroed = |label: &str, bytes: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size: bytes.max(16), usage, mapped_at_creation: false })
        };

        // Engine-wide buffers.
        let step_params = zeroed(
            "spikeflow.step_params",
            u64::from(layout.steps) * STEP_PARAMS_STRIDE,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let ring = zeroed("spikeflow.ring", bytes_of(ring_len), usage_rw);
        let mut spike_init = vec![0u32; spike_words(&layout)];
        for p in 0..2 {
            spike_init[p * 4 + 1] = 1;
            spike_init[p * 4 + 2] = 1;
        }
        let spikes = init("spikeflow.spikes", bytemuck::cast_slice(&spike_init), usage_rw | wgpu::BufferUsages::INDIRECT);
        let spike_record = zeroed("spikeflow.spike_record", bytes_of(layout.steps as usize * layout.spike_words as usize), usage_rw);
        let rec_map = init("spikeflow.rec_map", bytemuck::cast_slice(&net.rec_map), usage_rw);
        let rec_values = zeroed("spikeflow.rec_values", bytes_of(layout.rec_floats as usize), usage_rw);
        let status = init("spikeflow.status", bytemuck::cast_slice(&[0u32, u32::MAX]), usage_rw);
        let stim = init("spikeflow.stim", bytemuck::cast_slice(&net.stim), usage_rw);

        // Layouts.
        let global_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("spikeflow.layout.global"),
            entries: &[
                uniform(0, true, std::mem::size_of::<StepParams>() as u64),
                storage(1, false),
                storage(2, false),
                storage(3, false),
                storage(4, true),
                storage(5, false),
                storage(6, false),
                storage(7, true),
            ],
        });
        let pop_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("spikeflow.layout.population"),
            entries: &[
                storage(0, true),
                storage(1, true),
                storage(2, false),
                storage(3, false),
                storage(4, true),
                uniform(5, false, std::mem::size_of::<GroupInfo>() as u64),
                storage(6, true),
            ],
        });
        let propagate_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("spikeflow.layout.propagate"),
            entries: &[
                uniform(0, true, std::mem::size_of::<StepParams>() as u64),
                uniform(1, false, std::mem::size_of::<NetInfo>() as u64),
                storage(2, true),
                storage(3, true),
                storage(4, true),
                storage(5, true),
                storage(6, true),
                storage(7, true),
                storage(8, false),
                storage(9, false),
                uniform(10, false, std::mem::size_of::<SynSplit>() as u64),
            ],
        });
        let pop_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("spikeflow.pipeline_layout.population"),
            bind_group_layouts: &[Some(&global_layout), Some(&pop_layout)],
            immediate_size: 0,
        });
        let propagate_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("spikeflow.pipeline_layout.propagate"),
            bind_group_layouts: &[Some(&propagate_layout)],
            immediate_size: 0,
        });

        // Pipelines: one per kernel the network uses.
        let t_pipelines = std::time::Instant::now();
        let mut pipelines = HashMap::new();
        let mut make = |name: &'static str, layout: &wgpu::PipelineLayout| -> Result<(), EngineError> {
            if !pipelines.contains_key(name) {
                pipelines.insert(name, create_pipeline(device, name, layout)?);
            }
            Ok(())
        };
        for p in &net.pops {
            make(p.spec.kernel, &pop_pipeline_layout)?;
        }
        if net.n_static_synapses() > 0 {
            make("propagate", &propagate_pipeline_layout)?;
        }
        let pipelines_s = t_pipelines.elapsed().as_secs_f64();
        let mut csr_s = 0.0;
        let global_bg = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("spikeflow.bind.global"),
            layout: &global_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &step_params,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<StepParams>() as u64),
                    }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: ring.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: spikes.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: spike_record.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: rec_map.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: rec_values.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 6, resource: status.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 7, resource: stim.as_entire_binding() },
            ],
        });

        let mut syn_buffers = Vec::new();
        let propagate_bg = if let Some(split) = syn_split {
            let net_info = NetInfo {
                n_total: net.n_total,
                ring_len: net.ring_len,
                target_bits: net.target_bits,
                target_mask: (1u32 << net.target_bits) - 1,
                spike_list_len: layout.spike_list_len(net),
                pad0: 0,
                pad1: 0,
                pad2: 0,
            };
            let net_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("spikeflow.net_info"),
                contents: bytemuck::bytes_of(&net_info),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let row_ptr = init("spikeflow.row_ptr", bytemuck::cast_slice(&net.row_ptr), usage_rw);
            let split_buf = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("spikeflow.syn_split"),
                contents: bytemuck::bytes_of(&split),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            // Host assembly: packed synapses, then their weights, written straight into the
            // mapped buffer (no host copy of the two halves: 8 bytes per synapse at PD14's 3e8).
            // Kernel assembly: the `construct` kernel writes them (below).
            let pending = net.csr_pending();
            for k in 0..split.n_buffers() {
                let (base, len) = (split.syn_base[k] as usize, split.syn_len[k] as usize);
                let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(&format!("spikeflow.synapses.{k}")),
                    size: bytes_of(2 * len),
                    usage: usage_rw,
                    mapped_at_creation: !pending,
                });
                if !pending {
                    {
                        let mut view = buffer.get_mapped_range_mut(..).map_err(|e| EngineError::Gpu(e.to_string()))?;
                        view.slice(..4 * len).copy_from_slice(bytemuck::cast_slice(&net.syn[base..base + len]));
                        view.slice(4 * len..8 * len).copy_from_slice(bytemuck::cast_slice(&net.weight[base..base + len]));
                    }
                    buffer.unmap();
                }
                syn_buffers.push(SynBuffer { buffer, base, len });
            }
            if pending {
                let t_csr = std::time::Instant::now();
                let runner = construct::GpuRunner::new(&ctx)?;
                let targets: Vec<construct::CsrBuffer<'_>> = syn_buffers
                    .iter()
                    .enumerate()
                    .map(|(k, s)| construct::CsrBuffer {
                        buffer: &s.buffer,
                        base: s.base as u32,
                        len: s.len as u32,
                        row_begin: if k == 0 { 0 } else { split.row_end[k - 1] },
                        row_end: split.row_end[k],
                    })
                    .collect();
                for fill in &net.csr_fills {
                    runner.fill_csr(fill, &targets)?;
                }
                // The build is done when the synapses are written (and any device error is
                // reported by the build, not by the first run).
                device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| EngineError::Gpu(e.to_string()))?;
                ctx.take_error()?;
                csr_s = t_csr.elapsed().as_secs_f64();
            }
            let syn = |k: usize| syn_buffers.get(k).unwrap_or(&syn_buffers[0]).buffer.as_entire_binding();
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("spikeflow.bind.propagate"),
                layout: &propagate_layout,
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                            buffer: &step_params,
                            offset: 0,
                            size: wgpu::BufferSize::new(std::mem::size_of::<StepParams>() as u64),
                        }),
                    },
                    wgpu::BindGroupEntry { binding: 1, resource: net_buf.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: spikes.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 3, resource: row_ptr.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 4, resource: syn(0) },
                    wgpu::BindGroupEntry { binding: 5, resource: syn(1) },
                    wgpu::BindGroupEntry { binding: 6, resource: syn(2) },
                    wgpu::BindGroupEntry { binding: 7, resource: syn(3) },
                    wgpu::BindGroupEntry { binding: 8, resource: ring.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 9, resource: status.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 10, resource: split_buf.as_entire_binding() },
                ],
            });
            Some(bind_group)
        } else {
            None
        };
        let plastic = GpuPlastic::new(
            device,
            net,
            plastic::Shared { step_params: &step_params, spikes: &spikes, ring: &ring, status: &status },
            &check,
        )?;

        // Kernel groups: each one dispatch over its populations' concatenated buffers.
        let infos = layout.pop_infos(net);
        let mut groups = Vec::new();
        let mut group_of = vec![0; net.pops.len()];
        for (g, kg) in kernel_groups(net).into_iter().enumerate() {
            let ps: Vec<_> = kg.pops.iter().map(|&i| &net.pops[i]).collect();
            // Consecutive populations: thread i is global neuron offset + i.
            let offset = ps[0].offset;
            let firsts: Vec<u32> = ps.iter().map(|p| p.offset - offset).collect();
            let n: u32 = firsts.last().copied().unwrap_or(0) + ps.last().map_or(0, |p| p.n);
            let group_info = GroupInfo { offset, n, n_total: net.n_total, ring_len: net.ring_len };
            let rows = |len: usize, p_n: u32| if p_n == 0 { 0 } else { len / p_n as usize };
            let (kparam_rows, state_rows) = (rows(ps[0].kparams.len(), ps[0].n), rows(ps[0].state.len(), ps[0].n));
            let (table, poisson_ranges) = group_poisson_entries(&net.poisson, &ps.iter().map(|p| (p.offset, p.n)).collect::<Vec<_>>());
            let mut members = Vec::with_capacity(ps.len());
            let mut member_infos = Vec::with_capacity(ps.len());
            for (m, (&i, p)) in kg.pops.iter().zip(&ps).enumerate() {
                let first = firsts[m];
                group_of[i] = g;
                members.push((i, Member { first, n: p.n, state_rows, kparam_rows }));
                let (poisson_begin, poisson_end) = poisson_ranges[m];
                member_infos.push(PopInfo { group_first: first, group_end: first + p.n, poisson_begin, poisson_end, ..infos[i] });
            }
            let label = ps.iter().map(|p| p.label.as_str()).collect::<Vec<_>>().join("+");
            let l = |what: &str| format!("spikeflow.{label}.{what}");
            let at = ps.iter().zip(&firsts);
            let kparams = group_rows(&at.clone().map(|(p, &f)| (&p.kparams[..], p.n, f)).collect::<Vec<_>>(), kparam_rows, n);
            let state = group_rows(&at.clone().map(|(p, &f)| (&p.state[..], p.n, f)).collect::<Vec<_>>(), state_rows, n);
            let counters = group_rows(&at.map(|(p, &f)| (&p.counters[..], p.n, f)).collect::<Vec<_>>(), 1, n);
            check(&l("kparams"), bytes_of(kparams.len()))?;
            check(&l("state"), bytes_of(state.len()))?;
            let extra: &[u32] = if ps.len() == 1 { &ps[0].extra } else { &[0] };
            let info = init(&l("info"), bytemuck::cast_slice(&member_infos), wgpu::BufferUsages::STORAGE);
            let group_buf = init(&l("group"), bytemuck::bytes_of(&group_info), wgpu::BufferUsages::UNIFORM);
            let kparams = init(&l("kparams"), bytemuck::cast_slice(&kparams), usage_rw);
            let state = init(&l("state"), bytemuck::cast_slice(&state), usage_rw);
            let counters = init(&l("counters"), bytemuck::cast_slice(&counters), usage_rw);
            let extra = init(&l("extra"), bytemuck::cast_slice(extra), usage_rw);
            check(&l("poisson_inputs"), (table.len() * std::mem::size_of::<PoissonInputEntry>()) as u64)?;
            let poisson = init(&l("poisson_inputs"), bytemuck::cast_slice(&table), wgpu::BufferUsages::STORAGE);
            let bind_group =
                Self::pop_bind_group(device, &pop_layout, &label, [&info, &kparams, &state, &counters, &extra, &group_buf, &poisson]);
            groups.push(GpuGroup {
                kernel: kg.kernel,
                n,
                members,
                kparams,
                state,
                counters,
                extra,
                info,
                group: group_buf,
                poisson,
                bind_group,
                label,
            });
        }
        ctx.take_error()?;
        Ok(Self {
            build_times: (pipelines_s, csr_s),
            schedule: gpu_schedule(net),
            parity: 0,
            ctx,
            layout,
            groups,
            group_of,
            pipelines,
            pop_layout,
            step_params,
            spikes,
            spike_record,
            rec_values,
            status,
            global_bg,
            propagate_bg,
            syn_buffers,
            plastic,
        })
    }

    /// The group-1 bind group of a kernel group: its `PopInfo` table, kernel parameters, state,
    /// counters, table and `GroupInfo`, in binding order.
    fn pop_bind_group(device: &wgpu::Device, layout: &wgpu::BindGroupLayout, label: &str, buffers: [&wgpu::Buffer; 7]) -> wgpu::BindGroup {
        let entries: Vec<_> =
            buffers.iter().enumerate().map(|(k, b)| wgpu::BindGroupEntry { binding: k as u32, resource: b.as_entire_binding() }).collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(&format!("spikeflow.{label}.bind")), layout, entries: &entries })
    }

    /// Copy `sources` (buffer, bytes from its start) to mappable buffers, submit `encoder`, wait, and read.
    fn submit_and_read(&self, encoder: wgpu::CommandEncoder, sources: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u8>>, EngineError> {
        let sources: Vec<_> = sources.iter().map(|&(buf, bytes)| (buf, 0, bytes)).collect();
        self.submit_and_read_at(encoder, &sources)
    }

    /// Copy `sources` (buffer, byte offset, bytes) to mappable buffers, submit `encoder`, wait, and read.
    fn submit_and_read_at(
        &self,
        encoder: wgpu::CommandEncoder,
        sources: &[(&wgpu::Buffer, u64, u64)],
    ) -> Result<Vec<Vec<u8>>, EngineError> {
        read_back(&self.ctx, encoder, sources)
    }
}

/// Copy `sources` (buffer, byte offset, bytes) to mappable buffers, submit `encoder`, wait, and read.
pub(crate) fn read_back(
    ctx: &GpuContext,
    mut encoder: wgpu::CommandEncoder,
    sources: &[(&wgpu::Buffer, u64, u64)],
) -> Result<Vec<Vec<u8>>, EngineError> {
    let device = &ctx.device;
    let staging: Vec<Option<wgpu::Buffer>> = sources
        .iter()
        .map(|&(buf, offset, bytes)| {
            (bytes > 0).then(|| {
                let s = device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("spikeflow.readback"),
                    size: bytes,
                    usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                });
                encoder.copy_buffer_to_buffer(buf, offset, &s, 0, bytes);
                s
            })
        })
        .collect();
    ctx.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    for (k, s) in staging.iter().enumerate() {
        if let Some(s) = s {
            let tx = tx.clone();
            s.map_async(wgpu::MapMode::Read, .., move |r| {
                let _ = tx.send((k, r));
            });
        }
    }
    drop(tx);
    device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| EngineError::Gpu(e.to_string()))?;
    for (k, r) in rx.iter() {
        r.map_err(|e| EngineError::Gpu(format!("mapping readback buffer {k}: {e}")))?;
    }
    ctx.take_error()?;
    let mut out = Vec::with_capacity(staging.len());
    for s in &staging {
        match s {
            Some(s) => {
                let data = s.get_mapped_range(..).map_err(|e| EngineError::Gpu(e.to_string()))?.to_vec();
                s.unmap();
                out.push(data);
            }
            None => out.push(Vec::new()),
        }
    }
    Ok(out)
}

impl Engine for GpuEngine {
    fn run_chunk(&mut self, first_step: u32, steps: u32) -> Result<ChunkData, EngineError> {
        let steps = steps.min(self.layout.steps);
        // Blocks of up to `steps_per_dispatch` steps; block b's parameters sit in the slot of
        // its first step, with the spike list alternating block by block.
        let mut blocks = Vec::new();
        let mut k = 0;
        while k < steps {
            let n_sub = self.layout.steps_per_dispatch.min(steps - k);
            blocks.push(StepParams::block(first_step + k, first_step, n_sub, self.parity));
            self.parity ^= 1;
            k += n_sub;
        }
        let mut params = vec![0u8; steps as usize * STEP_PARAMS_STRIDE as usize];
        for sp in &blocks {
            let at = sp.k as usize * STEP_PARAMS_STRIDE as usize;
            params[at..at + std::mem::size_of::<StepParams>()].copy_from_slice(bytemuck::bytes_of(sp));
        }
        self.ctx.queue.write_buffer(&self.step_params, 0, &params);

        let record_bytes = u64::from(steps) * u64::from(self.layout.spike_words) * 4;
        let mut encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.chunk") });
        if record_bytes > 0 {
            encoder.clear_buffer(&self.spike_record, 0, Some(record_bytes));
        }
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("spikeflow.steps"), timestamp_writes: None });
            for sp in &blocks {
                let offset = [(u64::from(sp.k) * STEP_PARAMS_STRIDE) as u32];
                let parity = sp.parity;
                for stage in &self.schedule {
                    match *stage {
                        Stage::Integrate { group } => {
                            let g = &self.groups[group];
                            pass.set_pipeline(&self.pipelines[g.kernel]);
                            pass.set_bind_group(0, &self.global_bg, &offset);
                            pass.set_bind_group(1, &g.bind_group, &[]);
                            let groups = g.n.div_ceil(WORKGROUP_SIZE);
                            pass.dispatch_workgroups(groups.min(MAX_DISPATCH), groups.div_ceil(MAX_DISPATCH), 1);
                        }
                        // Drawn by the integrate kernels in `take_input` (not in the schedule).
                        Stage::PoissonInput => {}
                        Stage::Propagate => {
                            if let Some(bg) = &self.propagate_bg {
                                pass.set_pipeline(&self.pipelines["propagate"]);
                                pass.set_bind_group(0, bg, &offset);
                                pass.dispatch_workgroups_indirect(&self.spikes, u64::from(parity) * 16);
                            }
                        }
                        Stage::PlasticWindow | Stage::PlasticArrive | Stage::PlasticPost | Stage::PlasticRate => {
                            if let Some(p) = &self.plastic {
                                p.dispatch(&mut pass, *stage, sp.step, &offset);
                            }
                        }
                    }
                }
            }
        }
        let rec_bytes = u64::from(self.layout.rec_floats) * 4;
        let out = self.submit_and_read(encoder, &[(&self.spike_record, record_bytes), (&self.rec_values, rec_bytes), (&self.status, 8)])?;
        let status_words: Vec<u32> = bytemuck::pod_collect_to_vec(&out[2]);
        Ok(ChunkData {
            first_step,
            steps,
            spike_record: bytemuck::pod_collect_to_vec(&out[0]),
            rec_values: bytemuck::pod_collect_to_vec(&out[1]),
            status: [status_words[0], status_words[1]],
        })
    }

    fn write_population(&mut self, pop: usize, kparams: &[f32], extra: &[u32], counters: &[u32]) -> Result<(), EngineError> {
        let device = &self.ctx.device;
        let queue = &self.ctx.queue;
        let g = &mut self.groups[self.group_of[pop]];
        let m = g.member(pop);
        let (first, nm, n) = (m.first as u64, m.n as usize, g.n as u64);
        if nm > 0 {
            for (r, row) in kparams.chunks_exact(nm).take(m.kparam_rows).enumerate() {
                queue.write_buffer(&g.kparams, (r as u64 * n + first) * 4, bytemuck::cast_slice(row));
            }
            queue.write_buffer(&g.counters, first * 4, bytemuck::cast_slice(&counters[..nm.min(counters.len())]));
        }
        // Only a kernel that reads its table has one, and its group is the population alone.
        if g.members.len() == 1 {
            let extra_bytes = bytes_of(extra.len());
            if extra_bytes != g.extra.size() {
                let mut data = bytemuck::cast_slice::<u32, u8>(extra).to_vec();
                data.resize(extra_bytes as usize, 0);
                g.extra = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(&format!("spikeflow.{}.extra", g.label)),
                    contents: &data,
                    usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
                });
                g.bind_group = Self::pop_bind_group(
                    device,
                    &self.pop_layout,
                    &g.label,
                    [&g.info, &g.kparams, &g.state, &g.counters, &g.extra, &g.group, &g.poisson],
                );
            } else if !extra.is_empty() {
                queue.write_buffer(&g.extra, 0, bytemuck::cast_slice(extra));
            }
        }
        self.ctx.take_error()
    }

    fn read_population(&mut self, pop: usize) -> Result<(Vec<f32>, Vec<u32>), EngineError> {
        let g = &self.groups[self.group_of[pop]];
        let m = g.member(pop);
        if m.n == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        let (first, nm, n) = (u64::from(m.first), u64::from(m.n), u64::from(g.n));
        // One copy per state row and one for the counters, each this population's part.
        let mut sources: Vec<_> = (0..m.state_rows as u64).map(|r| (&g.state, (r * n + first) * 4, nm * 4)).collect();
        sources.push((&g.counters, first * 4, nm * 4));
        let encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.read_population") });
        let mut out = self.submit_and_read_at(encoder, &sources)?;
        let counters: Vec<u32> = bytemuck::pod_collect_to_vec(&out.pop().unwrap_or_default());
        let state: Vec<f32> = bytemuck::pod_collect_to_vec(&out.concat());
        Ok((state, counters))
    }

    fn read_synapses(&mut self) -> Result<(Vec<i32>, Vec<PlasticState>), EngineError> {
        let encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.read_synapses") });
        // Each synapse buffer's weights follow its packed synapses.
        let weights = self.syn_buffers.iter().map(|s| (&s.buffer, s.len as u64 * 4, s.len as u64 * 4));
        let state = self.plastic.as_ref().map(|p| (&p.state, 0, (p.n_synapses() * std::mem::size_of::<PlasticState>()) as u64));
        let sources: Vec<_> = weights.chain(state).collect();
        let mut out = self.submit_and_read_at(encoder, &sources)?;
        let state = if state.is_some() { out.pop().unwrap_or_default() } else { Vec::new() };
        Ok((bytemuck::pod_collect_to_vec(&out.concat()), bytemuck::pod_collect_to_vec(&state)))
    }

    fn read_syn_words(&mut self) -> Result<Vec<u32>, EngineError> {
        let encoder = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.read_syn_words") });
        let words: Vec<_> = self.syn_buffers.iter().map(|s| (&s.buffer, 0, s.len as u64 * 4)).collect();
        let out = self.submit_and_read_at(encoder, &words)?;
        Ok(bytemuck::pod_collect_to_vec(&out.concat()))
    }

    fn write_synapses(&mut self, weight: &[i32], plastic: &[PlasticState]) -> Result<(), EngineError> {
        if !weight.is_empty() {
            for s in &self.syn_buffers {
                let part = weight.get(s.base..s.base + s.len).ok_or_else(|| {
                    EngineError::Gpu(format!("write_synapses: {} weights given, the network has {}", weight.len(), s.base + s.len))
                })?;
                self.ctx.queue.write_buffer(&s.buffer, s.len as u64 * 4, bytemuck::cast_slice(part));
            }
        }
        if let (Some(p), false) = (&self.plastic, plastic.is_empty()) {
            self.ctx.queue.write_buffer(&p.state, 0, bytemuck::cast_slice(plastic));
        }
        self.ctx.take_error()
    }

    fn write_rules(&mut self, rules: &[PlasticRule]) -> Result<(), EngineError> {
        if let (Some(p), false) = (&self.plastic, rules.is_empty()) {
            self.ctx.queue.write_buffer(&p.rules, 0, bytemuck::cast_slice(rules));
        }
        self.ctx.take_error()
    }

    fn chunk_steps(&self) -> u32 {
        self.layout.steps
    }

    fn steps_per_dispatch(&self) -> u32 {
        self.layout.steps_per_dispatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_entries_are_clipped_to_each_population() {
        let e = |first, n, channel| PoissonInputEntry { first, n, channel, w_fixed: 7, ..Default::default() };
        let table = [e(0, 10, 0), e(60, 40, 1), e(30, 5, 0), e(100, 20, 0)];
        // Populations at 32..64 and 64..96: the third entry clipped to 32..35 in the first, the
        // second split into 60..64 and 64..96.
        let (got, ranges) = group_poisson_entries(&table, &[(32, 32), (64, 32)]);
        assert_eq!(got, vec![e(60, 4, 1), e(32, 3, 0), e(64, 32, 1)]);
        assert_eq!(ranges, vec![(0, 2), (2, 3)]);
        // No entry reaches 10..30: one empty entry keeps the binding non-empty, no ranges.
        let (got, ranges) = group_poisson_entries(&table, &[(10, 20)]);
        assert_eq!((got, ranges), (vec![PoissonInputEntry::default()], vec![(0, 0)]));
    }
}
