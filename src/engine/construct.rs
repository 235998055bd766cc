//! Runs the `construct` kernel (`shaders/construct.wgsl`) on the GPU: random connectors and
//! their random weights and delays, one thread per item, in batches that fit one storage
//! binding each. The result is bit for bit the host mirror's (`cpu::construct`).

use super::{bytes_of, read_back, storage, uniform, GpuContext};
use crate::abi::*;
use crate::backend::EngineError;
use crate::cpu::construct::ConstructOut;
use crate::network::construct::{slots, ConstructRunner};
use wgpu::util::DeviceExt;

/// Most workgroups of one dispatch.
const MAX_GROUPS: u32 = 65_535;

/// The `construct` pipeline on a device.
pub struct GpuRunner {
    ctx: GpuContext,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
    /// Most synapses of one batch (each output array within one binding).
    max_batch: usize,
}

impl GpuRunner {
    /// Compile the kernel on `ctx`'s device.
    pub fn new(ctx: &GpuContext) -> Result<Self, EngineError> {
        let device = &ctx.device;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("spikeflow.construct.layout"),
            entries: &[
                uniform(0, false, std::mem::size_of::<ConstructParams>() as u64),
                storage(1, true),
                storage(2, false),
                storage(3, false),
                storage(4, false),
                storage(5, false),
                storage(6, false),
            ],
        });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("spikeflow.construct.pipeline_layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = super::create_pipeline(device, "construct", &pl)?;
        ctx.take_error()?;
        let limit = ctx.limits.max_storage_buffer_binding_size as usize;
        let max_batch = (limit / 4).min(1 << 24);
        Ok(Self { ctx: ctx.clone(), layout, pipeline, max_batch })
    }

    /// At most `synapses` per dispatch (tests use small batches to exercise the batching).
    pub fn with_max_batch(mut self, synapses: usize) -> Self {
        self.max_batch = synapses.clamp(1, self.max_batch);
        self
    }

    /// One dispatch over `c`'s items with outputs of `m` synapses; returns (counts, outputs).
    fn dispatch(&self, c: &ConstructParams, offsets: &[u32], m: usize) -> Result<(Vec<u32>, ConstructOut), EngineError> {
        let device = &self.ctx.device;
        let items = (c.item_end - c.item_begin) as usize;
        let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("spikeflow.construct.params"),
            contents: bytemuck::bytes_of(c),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let init = |label: &str, data: &[u32]| {
            let mut contents: Vec<u8> = bytemuck::cast_slice(data).to_vec();
            contents.resize(bytes_of(data.len()) as usize, 0);
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: &contents,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            })
        };
        let out = |label: &str, len: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes_of(len),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        let count_mode = c.mode == CONSTRUCT_MODE_COUNT;
        let offsets_buf = init("spikeflow.construct.offsets", offsets);
        let counts = out("spikeflow.construct.counts", if count_mode { items } else { 0 });
        let m_out = if count_mode { 0 } else { m };
        let pre = out("spikeflow.construct.pre", m_out);
        let post = out("spikeflow.construct.post", m_out);
        let w = out("spikeflow.construct.w", if c.w_kind == DIST_NONE { 0 } else { m_out });
        let d = out("spikeflow.construct.d", if c.d_kind == DIST_NONE { 0 } else { m_out });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("spikeflow.construct.bind_group"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: offsets_buf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: counts.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: pre.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: post.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 5, resource: w.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 6, resource: d.as_entire_binding() },
            ],
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.construct") });
        {
            let mut pass =
                encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("spikeflow.construct"), timestamp_writes: None });
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups((items as u32).div_ceil(WORKGROUP_SIZE), 1, 1);
        }
        let b = |len: usize| len as u64 * 4;
        let data = if count_mode {
            read_back(&self.ctx, encoder, &[(&counts, 0, b(items))])?
        } else {
            let wl = if c.w_kind == DIST_NONE { 0 } else { m };
            let dl = if c.d_kind == DIST_NONE { 0 } else { m };
            read_back(&self.ctx, encoder, &[(&pre, 0, b(m)), (&post, 0, b(m)), (&w, 0, b(wl)), (&d, 0, b(dl))])?
        };
        let u = |v: &Vec<u8>| -> Vec<u32> { bytemuck::pod_collect_to_vec(v) };
        let f = |v: &Vec<u8>, len: usize| -> Vec<f32> {
            if v.is_empty() {
                vec![0.0; len]
            } else {
                bytemuck::pod_collect_to_vec(v)
            }
        };
        if count_mode {
            Ok((u(&data[0]), ConstructOut::default()))
        } else {
            Ok((Vec::new(), ConstructOut { pre: u(&data[0]), post: u(&data[1]), w: f(&data[2], m), d: f(&data[3], m) }))
        }
    }

    /// Item batches of at most `MAX_GROUPS` workgroups and `max_batch` synapses.
    fn batches(&self, c: &ConstructParams, offsets: &[u32], m: usize) -> Result<Vec<(u32, u32)>, EngineError> {
        let max_items = MAX_GROUPS * WORKGROUP_SIZE;
        let mut out = Vec::new();
        let mut a = c.item_begin;
        while a < c.item_end {
            let mut b = (a + max_items).min(c.item_end);
            loop {
                let (_, len) = slots(c, offsets, (a - c.item_begin) as usize, (b - c.item_begin) as usize, m);
                if len <= self.max_batch || b == a + 1 {
                    if len > self.max_batch {
                        return Err(EngineError::BufferTooLarge {
                            buffer: "spikeflow.construct.pre".into(),
                            bytes: len as u64 * 4,
                            limit: self.max_batch as u64 * 4,
                        });
                    }
                    break;
                }
                b = a + (b - a) / 2;
            }
            out.push((a, b));
            a = b;
        }
        Ok(out)
    }
}

impl ConstructRunner for GpuRunner {
    fn count(&self, c: &ConstructParams) -> Result<Vec<u32>, String> {
        let mut counts = Vec::with_capacity((c.item_end - c.item_begin) as usize);
        let max_items = MAX_GROUPS * WORKGROUP_SIZE;
        let mut a = c.item_begin;
        while a < c.item_end {
            let b = (a + max_items).min(c.item_end);
            let cc = ConstructParams { item_begin: a, item_end: b, mode: CONSTRUCT_MODE_COUNT, ..*c };
            counts.extend(self.dispatch(&cc, &[], 0).map_err(|e| e.to_string())?.0);
            a = b;
        }
        Ok(counts)
    }

    fn fill(&self, c: &ConstructParams, offsets: &[u32], m: usize) -> Result<ConstructOut, String> {
        let mut out = ConstructOut::default();
        for (a, b) in self.batches(c, offsets, m).map_err(|e| e.to_string())? {
            let (la, lb) = ((a - c.item_begin) as usize, (b - c.item_begin) as usize);
            let (first, len) = slots(c, offsets, la, lb, m);
            let offs: Vec<u32> = if offsets.is_empty() { Vec::new() } else { offsets[la..lb].iter().map(|&o| o - first as u32).collect() };
            let cc = ConstructParams { item_begin: a, item_end: b, mode: CONSTRUCT_MODE_FILL, ..*c };
            let (_, part) = self.dispatch(&cc, &offs, len).map_err(|e| e.to_string())?;
            out.pre.extend(part.pre);
            out.post.extend(part.post);
            out.w.extend(part.w);
            out.d.extend(part.d);
        }
        Ok(out)
    }
}

/// A [`GpuRunner`] compiled on first use (networks without random connectors never need it).
pub struct LazyGpuRunner {
    ctx: GpuContext,
    runner: std::sync::OnceLock<Result<GpuRunner, String>>,
}

impl LazyGpuRunner {
    /// For `ctx`'s device.
    pub fn new(ctx: &GpuContext) -> Self {
        Self { ctx: ctx.clone(), runner: std::sync::OnceLock::new() }
    }

    fn get(&self) -> Result<&GpuRunner, String> {
        self.runner.get_or_init(|| GpuRunner::new(&self.ctx).map_err(|e| e.to_string())).as_ref().map_err(Clone::clone)
    }
}

impl ConstructRunner for LazyGpuRunner {
    fn count(&self, c: &ConstructParams) -> Result<Vec<u32>, String> {
        self.get()?.count(c)
    }

    fn fill(&self, c: &ConstructParams, offsets: &[u32], m: usize) -> Result<ConstructOut, String> {
        self.get()?.fill(c, offsets, m)
    }
}
