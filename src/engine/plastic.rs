//! The plastic-synapse kernels on the GPU: their buffers, explicit bind-group layouts,
//! pipelines and dispatches (design: [`crate::network::plastic`]).

use super::{bytes_of, create_pipeline, storage, uniform};
use crate::abi::*;
use crate::backend::{EngineError, Stage};
use crate::network::build::BuiltNetwork;
use crate::network::plastic::rate_due;
use wgpu::util::DeviceExt;

/// Buffers the plastic kernels share with the rest of the engine.
pub(super) struct Shared<'a> {
    pub step_params: &'a wgpu::Buffer,
    pub spikes: &'a wgpu::Buffer,
    pub ring: &'a wgpu::Buffer,
    pub status: &'a wgpu::Buffer,
}

struct Kernel {
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
}

/// The plastic synapses' buffers and the four kernels.
pub(super) struct GpuPlastic {
    /// Per-synapse state (read and written between runs).
    pub state: wgpu::Buffer,
    /// Rules (rewritten between runs).
    pub rules: wgpu::Buffer,
    n_synapses: usize,
    n_rate: u32,
    rate_periods: Vec<u32>,
    sched: wgpu::Buffer,
    window: Kernel,
    arrive: Kernel,
    post: Option<Kernel>,
    rate: Option<Kernel>,
}

fn step_entry(buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset: 0,
            size: wgpu::BufferSize::new(std::mem::size_of::<StepParams>() as u64),
        }),
    }
}

impl GpuPlastic {
    /// Upload `net`'s plastic synapses and create the kernels; `None` without plastic synapses.
    /// `check` refuses buffers beyond the device's binding limit.
    pub fn new(
        device: &wgpu::Device,
        net: &BuiltNetwork,
        shared: Shared,
        check: &dyn Fn(&str, u64) -> Result<(), EngineError>,
    ) -> Result<Option<Self>, EngineError> {
        let p = &net.plastic;
        if !p.is_active() {
            return Ok(None);
        }
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let init = |label: &str, contents: &[u8], usage: wgpu::BufferUsages| -> Result<wgpu::Buffer, EngineError> {
            check(label, bytes_of(contents.len().div_ceil(4)))?;
            let mut data = contents.to_vec();
            data.resize(data.len().max(16), 0);
            Ok(device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents: &data, usage }))
        };
        let info = p.info(net.n_total, net.ring_len, net.target_bits);
        let info = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("spikeflow.plastic.info"),
            contents: bytemuck::bytes_of(&info),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let sched = init("spikeflow.plastic.sched", bytemuck::cast_slice(&p.sched_init()), usage | wgpu::BufferUsages::INDIRECT)?;
        let hist = init("spikeflow.plastic.hist", bytemuck::cast_slice(&vec![0u32; p.hist_words(net.n_total)]), usage)?;
        let row_ptr = init("spikeflow.plastic.row_ptr", bytemuck::cast_slice(&p.row_ptr), usage)?;
        let meta = init("spikeflow.plastic.meta", bytemuck::cast_slice(&p.meta), usage)?;
        let state = init("spikeflow.plastic.state", bytemuck::cast_slice(&p.state), usage)?;
        let post_ptr = init("spikeflow.plastic.post_ptr", bytemuck::cast_slice(&p.post_ptr), usage)?;
        let post_syn = init("spikeflow.plastic.post_syn", bytemuck::cast_slice(&p.post_syn), usage)?;
        let rate_syn = init("spikeflow.plastic.rate_syn", bytemuck::cast_slice(&p.rate_syn), usage)?;
        let rules = init("spikeflow.plastic.rules", bytemuck::cast_slice(&p.rules), usage)?;
        let traces = init("spikeflow.plastic.traces", bytemuck::cast_slice(&p.traces), usage)?;

        // One explicit layout per kernel: bindings 0 and 1 are the step parameters (dynamic
        // offset) and the PlasticInfo, then the kernel's buffers as (read_only, buffer).
        let kernel = |name: &'static str, buffers: &[(bool, &wgpu::Buffer)]| -> Result<Kernel, EngineError> {
            let mut entries = vec![
                uniform(0, true, std::mem::size_of::<StepParams>() as u64),
                uniform(1, false, std::mem::size_of::<PlasticInfo>() as u64),
            ];
            entries.extend(buffers.iter().enumerate().map(|(k, (read_only, _))| storage(k as u32 + 2, *read_only)));
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(&format!("spikeflow.layout.{name}")),
                entries: &entries,
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(&format!("spikeflow.pipeline_layout.{name}")),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let mut bind = vec![step_entry(shared.step_params), wgpu::BindGroupEntry { binding: 1, resource: info.as_entire_binding() }];
            bind.extend(
                buffers
                    .iter()
                    .enumerate()
                    .map(|(k, (_, b))| wgpu::BindGroupEntry { binding: k as u32 + 2, resource: b.as_entire_binding() }),
            );
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&format!("spikeflow.bind.{name}")),
                layout: &layout,
                entries: &bind,
            });
            Ok(Kernel { pipeline: create_pipeline(device, name, &pipeline_layout)?, bind_group })
        };
        let window = kernel("plastic_window", &[(true, shared.spikes), (false, &sched), (false, &hist)])?;
        let arrive = kernel(
            "plastic_arrive",
            &[
                (true, shared.spikes),
                (true, &sched),
                (false, &hist),
                (true, &row_ptr),
                (true, &meta),
                (false, &state),
                (true, &rules),
                (true, &traces),
                (false, shared.ring),
                (false, shared.status),
                (true, &post_ptr),
            ],
        )?;
        let post = if p.has_post_work() {
            Some(kernel(
                "plastic_post",
                &[
                    (true, shared.spikes),
                    (true, &post_ptr),
                    (true, &post_syn),
                    (true, &meta),
                    (false, &state),
                    (true, &rules),
                    (false, &traces),
                    (true, &sched),
                    (true, &hist),
                ],
            )?)
        } else {
            None
        };
        let rate = if p.n_rate() > 0 {
            Some(kernel("plastic_rate", &[(true, &rate_syn), (true, &meta), (false, &state), (true, &rules), (true, &traces)])?)
        } else {
            None
        };
        Ok(Some(Self {
            state,
            rules,
            n_synapses: p.n_synapses(),
            n_rate: p.n_rate() as u32,
            rate_periods: p.rate_periods.clone(),
            sched,
            window,
            arrive,
            post,
            rate,
        }))
    }

    /// Plastic synapses.
    pub fn n_synapses(&self) -> usize {
        self.n_synapses
    }

    /// Record `stage` of `step` (step parameters at dynamic `offset`).
    pub fn dispatch(&self, pass: &mut wgpu::ComputePass, stage: Stage, step: u32, offset: &[u32]) {
        let bind = |pass: &mut wgpu::ComputePass, k: &Kernel| {
            pass.set_pipeline(&k.pipeline);
            pass.set_bind_group(0, &k.bind_group, offset);
        };
        match stage {
            Stage::PlasticWindow => {
                bind(pass, &self.window);
                pass.dispatch_workgroups(1, 1, 1);
            }
            Stage::PlasticArrive => {
                bind(pass, &self.arrive);
                pass.dispatch_workgroups_indirect(&self.sched, 0);
            }
            Stage::PlasticPost => {
                if let Some(k) = &self.post {
                    bind(pass, k);
                    pass.dispatch_workgroups_indirect(&self.sched, 5 * 4);
                }
            }
            Stage::PlasticRate => {
                if let Some(k) = &self.rate {
                    if rate_due(&self.rate_periods, step) {
                        bind(pass, k);
                        let groups = self.n_rate.div_ceil(WORKGROUP_SIZE);
                        pass.dispatch_workgroups(groups.min(MAX_DISPATCH), groups.div_ceil(MAX_DISPATCH), 1);
                    }
                }
            }
            Stage::Integrate { .. } | Stage::Propagate | Stage::PoissonInput => {}
        }
    }
}
