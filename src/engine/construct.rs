//! Runs the `construct` kernel (`shaders/construct.wgsl`) on the GPU: random connectors and
//! their random weights and delays, one thread per item, in batches that fit one storage
//! binding each (outputs, and the per-item hash sets of sampling without replacement). The
//! result is bit for bit the host mirror's (`cpu::construct`).

use super::{bytes_of, read_back, storage, GpuContext};
use crate::abi::*;
use crate::backend::EngineError;
use crate::cpu::construct::{table_size, ConstructOut};
use crate::network::assemble::CsrFill;
use crate::network::construct::{add_counts, batch_tables, slots, stats_init, ConstructRunner, StatsJob};
use wgpu::util::DeviceExt;

/// Most workgroups of one dispatch.
const MAX_GROUPS: u32 = 65_535;

/// One of the engine's static synapse buffers, for [`GpuRunner::fill_csr`].
pub struct CsrBuffer<'a> {
    /// The buffer: `len` packed words, then `len` weights.
    pub buffer: &'a wgpu::Buffer,
    /// Global CSR slot of its first synapse.
    pub base: u32,
    /// Synapses in it.
    pub len: u32,
    /// First global presynaptic row in it.
    pub row_begin: u32,
    /// One past its last row.
    pub row_end: u32,
}

/// The `construct` kernel on one device: its layouts and module, and one pipeline per
/// (connector, mode) used so far — `KIND` and `MODE` are the shader's override constants, so
/// each pipeline holds only the code its dispatches run (compiled faster, fewer registers).
#[derive(Debug)]
pub(crate) struct Compiled {
    layout: wgpu::BindGroupLayout,
    pipeline_layout: wgpu::PipelineLayout,
    module: wgpu::ShaderModule,
    pipelines: std::sync::Mutex<std::collections::HashMap<(u32, u32), wgpu::ComputePipeline>>,
}

/// The `construct` pipelines on a device.
pub struct GpuRunner {
    ctx: GpuContext,
    compiled: std::sync::Arc<Compiled>,
    /// Most synapses of one batch (each output array within one binding).
    max_batch: usize,
}

impl GpuRunner {
    /// The kernel on `ctx`'s device (compiled on first use there).
    pub fn new(ctx: &GpuContext) -> Result<Self, EngineError> {
        let compiled = match ctx.construct.get() {
            Some(compiled) => compiled.clone(),
            None => {
                let compiled = std::sync::Arc::new(Self::compile(ctx)?);
                ctx.construct.get_or_init(|| compiled).clone()
            }
        };
        let limit = ctx.limits.max_storage_buffer_binding_size as usize;
        let max_batch = (limit / 4).min(1 << 24);
        Ok(Self { ctx: ctx.clone(), compiled, max_batch })
    }

    /// The kernel's bind group layout and module (pipelines come per dispatch kind).
    fn compile(ctx: &GpuContext) -> Result<Compiled, EngineError> {
        let device = &ctx.device;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("spikeflow.construct.layout"),
            entries: &[
                storage(0, true),
                storage(1, true),
                storage(2, false),
                storage(3, false),
                storage(4, false),
                storage(5, false),
                storage(6, false),
                storage(7, false),
                storage(8, false),
            ],
        });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("spikeflow.construct.pipeline_layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let src = crate::shaders::source("construct").map_err(|e| EngineError::Gpu(e.to_string()))?;
        let module = device
            .create_shader_module(wgpu::ShaderModuleDescriptor { label: Some("construct"), source: wgpu::ShaderSource::Wgsl(src.into()) });
        ctx.take_error()?;
        Ok(Compiled { layout, pipeline_layout: pl, module, pipelines: Default::default() })
    }

    /// The pipeline of connector `kind` in `mode`, compiled on first use on this device.
    fn pipeline(&self, kind: u32, mode: u32) -> Result<wgpu::ComputePipeline, EngineError> {
        let c = &self.compiled;
        let mut pipelines = c.pipelines.lock().map_err(|_| EngineError::Gpu("construct pipeline cache poisoned".into()))?;
        if let Some(p) = pipelines.get(&(kind, mode)) {
            return Ok(p.clone());
        }
        let p = self.ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(&format!("spikeflow.construct.{kind}.{mode}")),
            layout: Some(&c.pipeline_layout),
            module: &c.module,
            entry_point: Some("main"),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &[("KIND", f64::from(kind)), ("MODE", f64::from(mode))],
                ..Default::default()
            },
            cache: None,
        });
        self.ctx.take_error()?;
        pipelines.insert((kind, mode), p.clone());
        Ok(p)
    }

    /// At most `synapses` per dispatch (tests use small batches to exercise the batching).
    pub fn with_max_batch(mut self, synapses: usize) -> Self {
        self.max_batch = synapses.clamp(1, self.max_batch);
        self
    }

    /// One fill-mode dispatch over `c`'s items with outputs of `m` synapses (`counts` are the
    /// items' counts where the kind needs them).
    fn dispatch(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32], m: usize) -> Result<ConstructOut, EngineError> {
        let device = &self.ctx.device;
        let out = |label: &str, len: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes_of(len),
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        let offsets_buf = self.buffer("spikeflow.construct.offsets", offsets);
        let counts = self.buffer("spikeflow.construct.counts", counts);
        let (wl, dl) = (if c.w_kind == DIST_NONE { 0 } else { m }, if c.d_kind == DIST_NONE { 0 } else { m });
        let (pre, post) = (out("spikeflow.construct.pre", m), out("spikeflow.construct.post", m));
        let (w, d) = (out("spikeflow.construct.w", wl), out("spikeflow.construct.d", dl));
        let dummy = out("spikeflow.construct.unused", 0);
        let scratch = self.scratch(c, (c.item_end - c.item_begin) as usize);
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.construct") });
        self.record(&mut encoder, c, [&offsets_buf, &counts, &pre, &post, &w, &d, &dummy, &scratch])?;
        let b = |len: usize| len as u64 * 4;
        let data = read_back(&self.ctx, encoder, &[(&pre, 0, b(m)), (&post, 0, b(m)), (&w, 0, b(wl)), (&d, 0, b(dl))])?;
        let u = |v: &Vec<u8>| -> Vec<u32> { bytemuck::pod_collect_to_vec(v) };
        let f = |v: &Vec<u8>| -> Vec<f32> {
            if v.is_empty() {
                vec![0.0; m]
            } else {
                bytemuck::pod_collect_to_vec(v)
            }
        };
        Ok(ConstructOut { pre: u(&data[0]), post: u(&data[1]), w: f(&data[2]), d: f(&data[3]), stats: Vec::new() })
    }

    /// The bind group of one dispatch: `params` at binding 0, `buffers` at bindings 1–8.
    fn bind_group(&self, params: &wgpu::Buffer, buffers: [&wgpu::Buffer; 8]) -> wgpu::BindGroup {
        let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() }];
        entries.extend(
            buffers.iter().enumerate().map(|(k, b)| wgpu::BindGroupEntry { binding: k as u32 + 1, resource: b.as_entire_binding() }),
        );
        self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("spikeflow.construct.bind_group"),
            layout: &self.compiled.layout,
            entries: &entries,
        })
    }

    /// A storage buffer holding `data` (at least 16 bytes).
    fn buffer(&self, label: &str, data: &[u32]) -> wgpu::Buffer {
        let mut contents: Vec<u8> = bytemuck::cast_slice(data).to_vec();
        contents.resize(bytes_of(data.len()) as usize, 0);
        self.ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: &contents,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        })
    }

    /// The scratch binding for `items` items of `c` (uninitialised: each thread clears its
    /// own hash set), 16 bytes when `c` needs none.
    fn scratch(&self, c: &ConstructParams, items: usize) -> wgpu::Buffer {
        self.scratch_words(items * table_words(c))
    }

    /// A scratch binding of `words` words (at least 16 bytes).
    fn scratch_words(&self, words: usize) -> wgpu::Buffer {
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("spikeflow.construct.scratch"),
            size: bytes_of(words),
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        })
    }

    /// Item ranges within `a..b` of at most `MAX_GROUPS` workgroups whose hash sets fit one
    /// binding.
    fn scratch_batches(&self, c: &ConstructParams, a: u32, b: u32) -> Result<Vec<(u32, u32)>, EngineError> {
        let max_items = self.max_scratch_items(c)?;
        Ok((a..b).step_by(max_items as usize).map(|x| (x, (x + max_items).min(b))).collect())
    }

    /// Each dispatch's item batches, and one scratch binding that fits the largest of them
    /// (shared by all: dispatches in one submission run one after the other).
    fn batches_and_scratch(&self, cs: &[ConstructParams]) -> Result<(Vec<Batches>, wgpu::Buffer), EngineError> {
        let batches = cs.iter().map(|c| self.scratch_batches(c, c.item_begin, c.item_end)).collect::<Result<Vec<_>, _>>()?;
        let words = cs.iter().zip(&batches).map(|(c, b)| table_words(c) * b.first().map_or(0, |&(x, y)| (y - x) as usize)).max();
        Ok((batches, self.scratch_words(words.unwrap_or(0))))
    }

    /// Most items of one dispatch of `c`: `MAX_GROUPS` workgroups, and hash sets within one
    /// binding.
    fn max_scratch_items(&self, c: &ConstructParams) -> Result<u32, EngineError> {
        let per = table_words(c);
        let max_items = (MAX_GROUPS * WORKGROUP_SIZE) as usize;
        if per == 0 {
            return Ok(max_items as u32);
        }
        if per > self.max_batch {
            return Err(EngineError::BufferTooLarge {
                buffer: "spikeflow.construct.scratch".into(),
                bytes: per as u64 * 4,
                limit: self.max_batch as u64 * 4,
            });
        }
        Ok(max_items.min(self.max_batch / per) as u32)
    }

    /// Records one dispatch of `c` (its items) with `buffers` at bindings 1–8.
    fn record(&self, encoder: &mut wgpu::CommandEncoder, c: &ConstructParams, buffers: [&wgpu::Buffer; 8]) -> Result<(), EngineError> {
        let pipeline = self.pipeline(c.kind, c.mode)?;
        let params = self.ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("spikeflow.construct.params"),
            contents: bytemuck::bytes_of(c),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let bind_group = self.bind_group(&params, buffers);
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("spikeflow.construct"), timestamp_writes: None });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups((c.item_end - c.item_begin).div_ceil(WORKGROUP_SIZE), 1, 1);
        Ok(())
    }

    /// The CSR pass of `fill` into the engine's synapse buffers: each buffer holds the rows
    /// `row_begin..row_end` (global), i.e. slots `base..base + len` (packed words, then weights).
    ///
    /// FixedNumberPre's synapses of one row come from many threads (one per target): a keys
    /// pass over the targets puts each synapse's key (target · n + draw) in a free slot of its
    /// row (an atomic cursor per row), then the CSR pass over the rows sorts each row's keys
    /// and writes the synapses — the host's order, whatever order the atomics gave.
    pub fn fill_csr(&self, fill: &CsrFill, buffers: &[CsrBuffer<'_>]) -> Result<(), EngineError> {
        let np = fill.params.np;
        let by_post = fill.params.kind == CONSTRUCT_FIXED_NUMBER_PRE;
        let mut encoder =
            self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.construct.csr") });
        let thresholds = self.buffer("spikeflow.construct.thresholds", &fill.thresholds);
        let dummy = self.buffer("spikeflow.construct.unused", &[]);
        for buf in buffers {
            // This buffer's rows of the projection.
            let a = buf.row_begin.saturating_sub(fill.first_row).min(np);
            let b = buf.row_end.saturating_sub(fill.first_row).min(np);
            if fill.counts[a as usize..b as usize].iter().all(|&c| c == 0) {
                continue;
            }
            let here = ConstructParams { slot_base: buf.base, split_len: buf.len, ..fill.params };
            if by_post {
                let keys =
                    ConstructParams { mode: CONSTRUCT_MODE_KEYS, item_begin: 0, item_end: here.nq, row_begin: a, row_end: b, ..here };
                let offsets = self.buffer("spikeflow.construct.offsets", &fill.offsets[a as usize..b as usize]);
                let cursors = self.buffer("spikeflow.construct.cursors", &vec![0; (b - a) as usize]);
                let (batches, scratch) = self.batches_and_scratch(std::slice::from_ref(&keys))?;
                for &(x, y) in &batches[0] {
                    let c = ConstructParams { item_begin: x, item_end: y, ..keys };
                    self.record(&mut encoder, &c, [&offsets, &cursors, buf.buffer, &thresholds, &dummy, &dummy, &dummy, &scratch])?;
                }
            }
            let rows = ConstructParams { mode: CONSTRUCT_MODE_CSR, item_begin: a, item_end: b, ..here };
            let (batches, scratch) = self.batches_and_scratch(std::slice::from_ref(&rows))?;
            for &(x, y) in &batches[0] {
                let (la, lb) = (x as usize, y as usize);
                if fill.counts[la..lb].iter().all(|&c| c == 0) {
                    continue;
                }
                let offsets = self.buffer("spikeflow.construct.offsets", &fill.offsets[la..lb]);
                let counts = self.buffer("spikeflow.construct.counts", &fill.counts[la..lb]);
                let c = ConstructParams { item_begin: x, item_end: y, ..rows };
                self.record(&mut encoder, &c, [&offsets, &counts, buf.buffer, &thresholds, &dummy, &dummy, &dummy, &scratch])?;
            }
        }
        self.ctx.queue.submit([encoder.finish()]);
        self.ctx.take_error()
    }

    /// Item batches of at most `MAX_GROUPS` workgroups and `max_batch` synapses.
    fn batches(&self, c: &ConstructParams, offsets: &[u32], m: usize) -> Result<Vec<(u32, u32)>, EngineError> {
        let max_items = self.max_scratch_items(c)?;
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
        Ok(self.count_all(std::slice::from_ref(c))?.remove(0))
    }

    fn stats(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32]) -> Result<Vec<u32>, String> {
        Ok(self.stats_all(&[StatsJob { params: *c, offsets, counts }])?.remove(0))
    }

    fn count_all(&self, cs: &[ConstructParams]) -> Result<Vec<Vec<u32>>, String> {
        // Every dispatch in one submission, every count read back at once.
        let cs: Vec<ConstructParams> = cs.iter().map(|c| ConstructParams { mode: CONSTRUCT_MODE_COUNT, ..*c }).collect();
        let (batches, scratch) = self.batches_and_scratch(&cs).map_err(|e| e.to_string())?;
        let dummy = self.buffer("spikeflow.construct.unused", &[]);
        let no_offsets = self.buffer("spikeflow.construct.offsets", &[]);
        let mut encoder =
            self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.construct.count") });
        // Per dispatch: its counts buffer and length (one count per item, or per row).
        let mut outputs = Vec::new();
        for (c, batches) in cs.iter().zip(&batches) {
            for &(a, b) in batches {
                let len = if counts_rows(c) { c.np as usize } else { (b - a) as usize };
                let counts = self.buffer("spikeflow.construct.counts", &vec![0; len]);
                let cc = ConstructParams { item_begin: a, item_end: b, ..*c };
                self.record(&mut encoder, &cc, [&no_offsets, &counts, &dummy, &dummy, &dummy, &dummy, &dummy, &scratch])
                    .map_err(|e| e.to_string())?;
                outputs.push((counts, len));
            }
        }
        let sources: Vec<_> = outputs.iter().map(|(buf, len)| (buf, 0, *len as u64 * 4)).collect();
        let mut data = read_back(&self.ctx, encoder, &sources).map_err(|e| e.to_string())?.into_iter();
        let mut all = Vec::with_capacity(cs.len());
        for (c, batches) in cs.iter().zip(&batches) {
            let mut counts =
                if counts_rows(c) { vec![0u32; c.np as usize] } else { Vec::with_capacity((c.item_end - c.item_begin) as usize) };
            for _ in batches {
                let part: Vec<u32> = data.next().map(|d| bytemuck::pod_collect_to_vec(&d)).unwrap_or_default();
                if counts_rows(c) {
                    add_counts(&mut counts, &part);
                } else {
                    counts.extend(part);
                }
            }
            all.push(counts);
        }
        Ok(all)
    }

    fn stats_all(&self, jobs: &[StatsJob<'_>]) -> Result<Vec<Vec<u32>>, String> {
        // Every dispatch in one submission, each job's stats words read back at once.
        let cs: Vec<ConstructParams> = jobs.iter().map(|j| ConstructParams { mode: CONSTRUCT_MODE_STATS, ..j.params }).collect();
        let (batches, scratch) = self.batches_and_scratch(&cs).map_err(|e| e.to_string())?;
        let dummy = self.buffer("spikeflow.construct.unused", &[]);
        let mut encoder =
            self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("spikeflow.construct.stats") });
        let mut outputs = Vec::with_capacity(jobs.len());
        for ((c, job), batches) in cs.iter().zip(jobs).zip(&batches) {
            let words = stats_init(c.nq);
            let stats = self.buffer("spikeflow.construct.stats", &words);
            for &(a, b) in batches {
                let (la, lb) = ((a - c.item_begin) as usize, (b - c.item_begin) as usize);
                let (offs, cnts) = batch_tables(job.offsets, job.counts, la, lb, 0);
                let (offs, cnts) = (self.buffer("spikeflow.construct.offsets", &offs), self.buffer("spikeflow.construct.counts", &cnts));
                let cc = ConstructParams { item_begin: a, item_end: b, ..*c };
                self.record(&mut encoder, &cc, [&offs, &cnts, &dummy, &dummy, &dummy, &dummy, &stats, &scratch])
                    .map_err(|e| e.to_string())?;
            }
            outputs.push((stats, words.len()));
        }
        let sources: Vec<_> = outputs.iter().map(|(buf, len)| (buf, 0, *len as u64 * 4)).collect();
        let data = read_back(&self.ctx, encoder, &sources).map_err(|e| e.to_string())?;
        Ok(data.iter().map(|d| bytemuck::pod_collect_to_vec(d)).collect())
    }

    fn fill(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32], m: usize) -> Result<ConstructOut, String> {
        let mut out = ConstructOut::default();
        for (a, b) in self.batches(c, offsets, m).map_err(|e| e.to_string())? {
            let (la, lb) = ((a - c.item_begin) as usize, (b - c.item_begin) as usize);
            let (first, len) = slots(c, offsets, la, lb, m);
            let (offs, cnts) = batch_tables(offsets, counts, la, lb, first);
            let cc = ConstructParams { item_begin: a, item_end: b, mode: CONSTRUCT_MODE_FILL, ..*c };
            let part = self.dispatch(&cc, &offs, &cnts, len).map_err(|e| e.to_string())?;
            out.pre.extend(part.pre);
            out.post.extend(part.post);
            out.w.extend(part.w);
            out.d.extend(part.d);
        }
        Ok(out)
    }
}

/// Item ranges of one dispatch's batches.
type Batches = Vec<(u32, u32)>;

/// Whether count mode counts per presynaptic row (`np` counts) rather than per item.
fn counts_rows(c: &ConstructParams) -> bool {
    matches!(c.kind, CONSTRUCT_FIXED_TOTAL_NUMBER | CONSTRUCT_FIXED_NUMBER_PRE)
}

/// Scratch words per item of `c`: the hash set of sampling without replacement (its items
/// draw their partners; not FixedNumberPre's rows in CSR mode, which only sort).
fn table_words(c: &ConstructParams) -> usize {
    let draws = match c.kind {
        CONSTRUCT_FIXED_NUMBER_POST => true,
        CONSTRUCT_FIXED_NUMBER_PRE => c.mode != CONSTRUCT_MODE_CSR,
        _ => false,
    };
    if draws && c.replace == 0 {
        table_size(c.n) as usize
    } else {
        0
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

    fn fill(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32], m: usize) -> Result<ConstructOut, String> {
        self.get()?.fill(c, offsets, counts, m)
    }

    fn stats(&self, c: &ConstructParams, offsets: &[u32], counts: &[u32]) -> Result<Vec<u32>, String> {
        self.get()?.stats(c, offsets, counts)
    }

    fn count_all(&self, cs: &[ConstructParams]) -> Result<Vec<Vec<u32>>, String> {
        self.get()?.count_all(cs)
    }

    fn stats_all(&self, jobs: &[StatsJob<'_>]) -> Result<Vec<Vec<u32>>, String> {
        self.get()?.stats_all(jobs)
    }
}
