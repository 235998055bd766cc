//! The CPU back end: one function per WGSL kernel, same name, same arithmetic, same buffers.
//! GPU threads become loop iterations; GPU atomics become plain integer adds, which give the
//! same sums because integer addition does not depend on order.

/// Defines the public kernel `$name(g, b)`: it runs the file's `body` compiled for AVX2 when
/// the CPU has it (8 lanes; FMA is not enabled, so no contraction changes a bit) and the
/// baseline build otherwise. Every CPU kernel with vectorised passes is declared with it.
macro_rules! simd_kernel {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub fn $name(g: &mut $crate::cpu::population::Globals, b: &mut $crate::cpu::population::PopBuffers) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2 (checked above); the body is plain safe Rust.
                unsafe { avx2(g, b) };
                return;
            }
            body(g, b);
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn avx2(g: &mut $crate::cpu::population::Globals, b: &mut $crate::cpu::population::PopBuffers) {
            body(g, b);
        }
    };
}

pub mod adex;
pub mod construct;
pub mod integrate_eif_cond_alpha_isfa_ista;
pub mod integrate_eif_cond_exp_isfa_ista;
pub mod integrate_hh_cond_exp;
pub mod integrate_hx_neuron;
pub mod integrate_if_cond_alpha;
pub mod integrate_if_cond_exp;
pub mod integrate_if_curr_alpha;
pub mod integrate_if_curr_exp;
pub mod integrate_izhikevich;
pub mod math;
pub mod plastic;
pub mod plastic_arrive;
pub mod plastic_post;
pub mod plastic_rate;
pub mod plastic_window;
pub mod poisson_input;
pub mod population;
pub mod propagate;
pub mod spike_source_array;
pub mod spike_source_poisson;

pub use integrate_eif_cond_alpha_isfa_ista::integrate_eif_cond_alpha_isfa_ista;
pub use integrate_eif_cond_exp_isfa_ista::integrate_eif_cond_exp_isfa_ista;
pub use integrate_hh_cond_exp::integrate_hh_cond_exp;
pub use integrate_hx_neuron::integrate_hx_neuron;
pub use integrate_if_cond_alpha::integrate_if_cond_alpha;
pub use integrate_if_cond_exp::integrate_if_cond_exp;
pub use integrate_if_curr_alpha::integrate_if_curr_alpha;
pub use integrate_if_curr_exp::integrate_if_curr_exp;
pub use integrate_izhikevich::integrate_izhikevich;
pub use plastic_arrive::plastic_arrive;
pub use plastic_post::plastic_post;
pub use plastic_rate::plastic_rate;
pub use plastic_window::plastic_window;
pub use propagate::propagate;
pub use spike_source_array::spike_source_array;
pub use spike_source_poisson::spike_source_poisson;

use crate::abi::{
    NetInfo, PlasticRule, PlasticState, PoissonInfo, PoissonInputEntry, PopInfo, StepParams, SPIKE_HEADER_WORDS, STATUS_WORDS,
};
use crate::backend::{kernel_groups, step_schedule, Engine, EngineError, Stage};
use crate::network::build::BuiltNetwork;
use crate::record::{ChunkData, ChunkLayout};
use plastic::PlasticBuffers;
use population::{Globals, PopBuffers, Scratch};
use propagate::PropagateBuffers;

type Kernel = fn(&mut Globals, &mut PopBuffers);

/// The CPU mirror of a model's kernel.
fn kernel_of(name: &str) -> Kernel {
    match name {
        "integrate_if_curr_exp" => integrate_if_curr_exp,
        "integrate_if_cond_exp" => integrate_if_cond_exp,
        "integrate_if_curr_alpha" => integrate_if_curr_alpha,
        "integrate_if_cond_alpha" => integrate_if_cond_alpha,
        "integrate_izhikevich" => integrate_izhikevich,
        "integrate_eif_cond_exp_isfa_ista" => integrate_eif_cond_exp_isfa_ista,
        "integrate_eif_cond_alpha_isfa_ista" => integrate_eif_cond_alpha_isfa_ista,
        "integrate_hh_cond_exp" => integrate_hh_cond_exp,
        "integrate_hx_neuron" => integrate_hx_neuron,
        "spike_source_poisson" => spike_source_poisson,
        "spike_source_array" => spike_source_array,
        // Every model's kernel is listed above; `tests/shaders.rs` checks the registry.
        other => unreachable!("no CPU kernel for {other}"),
    }
}

struct CpuPop {
    info: PopInfo,
    kernel: Kernel,
    kparams: Vec<f32>,
    state: Vec<f32>,
    counters: Vec<u32>,
    extra: Vec<u32>,
    scratch: Scratch,
}

/// Runs a built network with the CPU mirrors.
pub(crate) struct CpuEngine {
    pops: Vec<CpuPop>,
    /// The populations of each kernel group; the CPU runs a group's populations one by one,
    /// each with its own buffers (`PopInfo::group_first` = 0).
    groups: Vec<Vec<usize>>,
    schedule: Vec<Stage>,
    /// The spike list the next block writes.
    parity: u32,
    net: NetInfo,
    row_ptr: Vec<u32>,
    syn: Vec<u32>,
    weight: Vec<i32>,
    plastic: PlasticBuffers,
    rate_periods: Vec<u32>,
    ring: Vec<i32>,
    spikes: Vec<u32>,
    rec_map: Vec<u32>,
    stim: Vec<u32>,
    poisson: Vec<PoissonInputEntry>,
    poisson_info: PoissonInfo,
    layout: ChunkLayout,
}

impl CpuEngine {
    pub fn new(net: &BuiltNetwork, layout: ChunkLayout) -> Self {
        let infos = layout.pop_infos(net);
        let pops = net
            .pops
            .iter()
            .zip(infos)
            .map(|(p, info)| CpuPop {
                info,
                kernel: kernel_of(p.spec.kernel),
                kparams: p.kparams.clone(),
                state: p.state.clone(),
                counters: p.counters.clone(),
                extra: p.extra.clone(),
                scratch: Scratch { uniform_params: population::params_uniform(&p.kparams, p.n as usize), ..Scratch::new(p.n as usize) },
            })
            .collect();
        let n_total = net.n_total as usize;
        let mut spikes = vec![0u32; SPIKE_HEADER_WORDS + 2 * layout.spike_list_len(net) as usize];
        for p in 0..2 {
            spikes[p * 4 + 1] = 1;
            spikes[p * 4 + 2] = 1;
        }
        Self {
            pops,
            groups: kernel_groups(net).into_iter().map(|g| g.pops).collect(),
            schedule: step_schedule(net),
            parity: 0,
            net: NetInfo {
                n_total: net.n_total,
                ring_len: net.ring_len,
                target_bits: net.target_bits,
                target_mask: (1u32 << net.target_bits) - 1,
                spike_list_len: layout.spike_list_len(net),
                pad0: 0,
                pad1: 0,
                pad2: 0,
            },
            row_ptr: net.row_ptr.clone(),
            syn: net.syn.clone(),
            weight: net.weight.clone(),
            plastic: PlasticBuffers::new(net),
            rate_periods: net.plastic.rate_periods.clone(),
            ring: vec![0; net.ring_len as usize * 2 * n_total],
            spikes,
            rec_map: net.rec_map.clone(),
            stim: net.stim.clone(),
            poisson: net.poisson.clone(),
            poisson_info: net.poisson_info(),
            layout,
        }
    }
}

impl Engine for CpuEngine {
    fn run_chunk(&mut self, first_step: u32, steps: u32) -> Result<ChunkData, EngineError> {
        let mut spike_record = vec![0u32; steps as usize * self.layout.spike_words as usize];
        let mut rec_values = vec![0f32; self.layout.rec_floats as usize];
        let mut status = [0u32, u32::MAX];
        let prop = PropagateBuffers { net: &self.net, row_ptr: &self.row_ptr, syn: &self.syn, weight: &self.weight };
        // Blocks of up to `steps_per_dispatch` steps, as the GPU dispatches them.
        let end = first_step + steps;
        let mut step = first_step;
        while step < end {
            let n_sub = self.layout.steps_per_dispatch.min(end - step);
            let sp = StepParams::block(step, first_step, n_sub, self.parity);
            self.parity ^= 1;
            for stage in &self.schedule {
                match *stage {
                    // Step by step through the block; within a step, population by population
                    // (each GPU thread runs its neuron through the block: the same operations).
                    Stage::Integrate { group } => {
                        for sub in 0..n_sub {
                            for &pop in &self.groups[group] {
                                let p = &mut self.pops[pop];
                                let mut g = Globals {
                                    step: sp.sub_step(sub),
                                    sub,
                                    ring: &mut self.ring,
                                    spikes: &mut self.spikes,
                                    spike_record: &mut spike_record,
                                    rec_map: &self.rec_map,
                                    rec_values: &mut rec_values,
                                    status: &mut status,
                                    stim: &self.stim,
                                };
                                let mut b = PopBuffers {
                                    pop: &p.info,
                                    kparams: &p.kparams,
                                    state: &mut p.state,
                                    counters: &mut p.counters,
                                    extra: &p.extra,
                                    scratch: &mut p.scratch,
                                };
                                (p.kernel)(&mut g, &mut b);
                            }
                        }
                    }
                    Stage::PoissonInput => poisson_input::poisson_input(&sp, &self.poisson_info, &self.poisson, &mut self.ring),
                    Stage::Propagate => propagate(&sp, &self.spikes, &prop, &mut self.ring, &mut status),
                    Stage::PlasticWindow => plastic_window(&sp, &self.spikes, &mut self.plastic),
                    Stage::PlasticArrive => plastic_arrive(&sp, &self.spikes, &mut self.plastic, &mut self.ring, &mut status),
                    Stage::PlasticPost => plastic_post(&sp, &self.spikes, &mut self.plastic),
                    Stage::PlasticRate => {
                        if crate::network::plastic::rate_due(&self.rate_periods, step) {
                            plastic_rate(&sp, &mut self.plastic);
                        }
                    }
                }
            }
            step += n_sub;
        }
        let status: [u32; STATUS_WORDS] = status;
        Ok(ChunkData { first_step, steps, spike_record, rec_values, status })
    }

    fn write_population(&mut self, pop: usize, kparams: &[f32], extra: &[u32], counters: &[u32]) -> Result<(), EngineError> {
        let p = &mut self.pops[pop];
        p.kparams = kparams.to_vec();
        p.scratch.uniform_params = population::params_uniform(kparams, p.info.n as usize);
        p.extra = extra.to_vec();
        p.counters = counters.to_vec();
        Ok(())
    }

    fn read_population(&mut self, pop: usize) -> Result<(Vec<f32>, Vec<u32>), EngineError> {
        Ok((self.pops[pop].state.clone(), self.pops[pop].counters.clone()))
    }

    fn read_synapses(&mut self) -> Result<(Vec<i32>, Vec<PlasticState>), EngineError> {
        Ok((self.weight.clone(), self.plastic.state.clone()))
    }

    fn read_syn_words(&mut self) -> Result<Vec<u32>, EngineError> {
        Ok(self.syn.clone())
    }

    fn write_synapses(&mut self, weight: &[i32], plastic: &[PlasticState]) -> Result<(), EngineError> {
        self.weight = weight.to_vec();
        self.plastic.state = plastic.to_vec();
        Ok(())
    }

    fn write_rules(&mut self, rules: &[PlasticRule]) -> Result<(), EngineError> {
        self.plastic.rules = rules.to_vec();
        Ok(())
    }

    fn chunk_steps(&self) -> u32 {
        self.layout.steps
    }

    fn steps_per_dispatch(&self) -> u32 {
        self.layout.steps_per_dispatch
    }
}
