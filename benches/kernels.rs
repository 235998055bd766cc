//! Criterion benchmarks of one step per kernel (CPU mirrors, 4000 neurons as in COBA) and of
//! whole COBA steps on both back ends. `cargo bench --bench kernels`.

use criterion::{criterion_group, criterion_main, Criterion};
use spikeflow::abi::{NetInfo, PopInfo, StepParams, FLAG_APPEND_SPIKES, SPIKE_HEADER_WORDS, STATUS_WORDS};
use spikeflow::cpu::population::{Globals, PopBuffers, Scratch};
use spikeflow::cpu::propagate::PropagateBuffers;
use spikeflow::model::{if_cond_exp, if_curr_exp, spike_source_poisson, ParamTable};
use spikeflow::networks::{coba, izhikevich2003};
use spikeflow::prelude::*;
use spikeflow::random::{Rng, Stream};
use std::hint::black_box;

const N: usize = 4000;

fn table(spec: &'static spikeflow::model::ModelSpec) -> ParamTable {
    ParamTable { spec, values: spec.params.iter().map(|p| vec![p.default; N]).collect() }
}

fn pop_info() -> PopInfo {
    PopInfo {
        n: N as u32,
        n_total: N as u32,
        ring_len: 2,
        flags: FLAG_APPEND_SPIKES,
        stim_base: u32::MAX,
        rec_interval: 1,
        inv_scale_e: 1e-6,
        inv_scale_i: 1e-6,
        group_end: N as u32,
        spike_list_len: N as u32,
        ..Default::default()
    }
}

struct World {
    ring: Vec<i32>,
    spikes: Vec<u32>,
    record: Vec<u32>,
    rec_values: Vec<f32>,
    status: [u32; STATUS_WORDS],
    rec_map: Vec<u32>,
    stim: Vec<u32>,
}

impl World {
    fn new() -> Self {
        Self {
            ring: vec![0; 2 * 2 * N],
            spikes: vec![0; SPIKE_HEADER_WORDS + 2 * N],
            record: vec![0; 1],
            rec_values: vec![0.0; 1],
            status: [0, u32::MAX],
            rec_map: vec![u32::MAX; N],
            stim: vec![0],
        }
    }
    fn globals(&mut self, step: u32) -> Globals<'_> {
        Globals {
            step: StepParams::new(step, step),
            sub: 0,
            ring: &mut self.ring,
            spikes: &mut self.spikes,
            spike_record: &mut self.record,
            rec_map: &self.rec_map,
            rec_values: &mut self.rec_values,
            status: &mut self.status,
            stim: &self.stim,
        }
    }
}

fn integrate_benches(c: &mut Criterion) {
    let dt = 0.1;
    let mut world = World::new();
    let info = pop_info();
    for (name, spec, kparams, kernel) in [
        (
            "cpu/integrate_if_cond_exp/4000",
            &if_cond_exp::SPEC,
            if_cond_exp::derive(&table(&if_cond_exp::SPEC), dt),
            spikeflow::cpu::integrate_if_cond_exp as fn(&mut Globals, &mut PopBuffers),
        ),
        (
            "cpu/integrate_if_curr_exp/4000",
            &if_curr_exp::SPEC,
            if_curr_exp::derive(&table(&if_curr_exp::SPEC), dt),
            spikeflow::cpu::integrate_if_curr_exp,
        ),
        (
            "cpu/spike_source_poisson/4000",
            &spike_source_poisson::SPEC,
            spike_source_poisson::derive(&table(&spike_source_poisson::SPEC), dt),
            spikeflow::cpu::spike_source_poisson,
        ),
    ] {
        let mut rng = Rng::new(1, Stream::Connector { proj: 0 });
        let mut state: Vec<f32> =
            (0..spec.state.len() * N).map(|i| if i < N { -65.0 + 14.0 * rng.uniform() as f32 } else { 0.0 }).collect();
        let mut counters = vec![0u32; N];
        let mut scratch = Scratch::new(N);
        let extra = vec![0u32];
        let mut step = 0u32;
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut g = world.globals(step);
                let mut pb = PopBuffers {
                    pop: &info,
                    kparams: &kparams,
                    state: &mut state,
                    counters: &mut counters,
                    extra: &extra,
                    scratch: &mut scratch,
                };
                kernel(&mut g, &mut pb);
                step += 1;
                let p = (step & 1) as usize * 4;
                world.spikes[p + 3] = 0;
                black_box(&state);
            })
        });
    }
}

fn propagate_bench(c: &mut Criterion) {
    // 4000 presynaptic neurons with 80 synapses each (COBA's p = 0.02), 6 and 100 spikes a step.
    let mut rng = Rng::new(2, Stream::Connector { proj: 0 });
    let row_ptr: Vec<u32> = (0..=N as u32).map(|i| i * 80).collect();
    let target_bits = 32 - (2 * N as u32 - 1).leading_zeros();
    let syn: Vec<u32> = (0..N * 80).map(|_| (1 << target_bits) | rng.below(2 * N as u64) as u32).collect();
    let weight: Vec<i32> = (0..N * 80).map(|_| 1000).collect();
    let net = NetInfo {
        n_total: N as u32,
        ring_len: 2,
        target_bits,
        target_mask: (1 << target_bits) - 1,
        spike_list_len: N as u32,
        pad0: 0,
        pad1: 0,
        pad2: 0,
    };
    let bufs = PropagateBuffers { net: &net, row_ptr: &row_ptr, syn: &syn, weight: &weight };
    for spikes_per_step in [6usize, 100] {
        let mut spikes = vec![0u32; SPIKE_HEADER_WORDS + 2 * N];
        spikes[3] = spikes_per_step as u32;
        for s in 0..spikes_per_step {
            spikes[SPIKE_HEADER_WORDS + s] = (s * 37 % N) as u32;
        }
        let mut ring = vec![0i32; 2 * 2 * N];
        let mut status = [0u32, u32::MAX];
        c.bench_function(&format!("cpu/propagate/{spikes_per_step}x80"), |b| {
            b.iter(|| {
                spikeflow::cpu::propagate(&StepParams::new(0, 0), &spikes, &bufs, &mut ring, &mut status);
                ring.iter_mut().for_each(|x| *x = 0);
            })
        });
    }
}

fn coba_step_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("coba_4000_100_steps");
    group.sample_size(10);
    for backend in [Backend::Cpu, Backend::Gpu] {
        let mut sim = match Simulation::builder().seed(1).backend(backend).build() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping {backend}: {e}");
                continue;
            }
        };
        let net = coba(&mut sim, N).expect("coba");
        sim.record(net.exc, &["spikes"]).expect("record");
        sim.run(100.0).expect("warm-up"); // past the initial kick
        group.bench_function(backend.to_string(), |b| b.iter(|| sim.run(10.0).expect("run")));
    }
    group.finish();
}

/// The Izhikevich (2003) network (1000 cells, 1e6 synapses, noisy thalamic input, dt 1 ms):
/// 100 steps on either back end (issue 7's Izhikevich target is 1000 steps in ≤ 0.05 s).
fn izhikevich_step_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("izhikevich2003_100_steps");
    group.sample_size(10);
    for backend in [Backend::Cpu, Backend::Gpu] {
        let mut sim = match Simulation::builder().dt(1.0).seed(1).backend(backend).build() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("skipping {backend}: {e}");
                continue;
            }
        };
        let net = izhikevich2003(&mut sim).expect("izhikevich2003");
        sim.record(net.cells, &["spikes"]).expect("record");
        sim.run(100.0).expect("warm-up");
        group.bench_function(backend.to_string(), |b| b.iter(|| sim.run(100.0).expect("run")));
    }
    group.finish();
}

/// The `construct` kernel: PD14's largest kind of projection at scale 0.1 (FixedTotalNumber,
/// 1e5 synapses per iteration, normal-clipped weights and delays), by the host mirror on one
/// thread and by the kernel on the GPU back end's adapter.
fn construct_benches(c: &mut Criterion) {
    use spikeflow::model::Param;
    use spikeflow::network::construct::{execute, plan, ConstructRunner, HostRunner};
    let pre: Vec<usize> = (0..2068).collect();
    let post: Vec<usize> = (0..2068).collect();
    let w = Param::Random(RandomDistribution::normal_clipped(0.0878, 0.00878, 0.0, f64::INFINITY));
    let d = Param::Random(RandomDistribution::normal_clipped(1.5, 0.75, 0.1, f64::INFINITY));
    let p = plan(0, &Connector::fixed_total_number(100_000), &w, &d, &pre, &post, true, 1).expect("kernel-drawn").expect("valid");
    let mut group = c.benchmark_group("construct_fixed_total_number_1e5");
    group.sample_size(10);
    let host = HostRunner { threads: 1 };
    group.bench_function("cpu_1_thread", |b| b.iter(|| black_box(execute(&p, &host).expect("construct"))));
    match spikeflow::engine::GpuContext::new().and_then(|ctx| spikeflow::engine::construct::GpuRunner::new(&ctx)) {
        Ok(gpu) => {
            let gpu: &dyn ConstructRunner = &gpu;
            group.bench_function("gpu", |b| b.iter(|| black_box(execute(&p, gpu).expect("construct"))));
        }
        Err(e) => eprintln!("skipping gpu: {e}"),
    }
    group.finish();
}

criterion_group!(benches, integrate_benches, propagate_bench, coba_step_benches, izhikevich_step_benches, construct_benches);
criterion_main!(benches);
