//! # spikeflow
//!
//! Spiking neural networks in WGSL compute shaders through wgpu, with a PyNN-shaped API, a CPU
//! back end that mirrors every kernel, and bit-reproducible runs.
//!
//! ```no_run
//! use spikeflow::prelude::*;
//!
//! # fn main() -> Result<(), spikeflow::Error> {
//! let mut sim = Simulation::builder().dt(0.1).seed(42).backend(Backend::Cpu).build()?;
//! let cells = IfCurrExp { i_offset: 0.1.into(), tau_m: 10.0.into(), ..Default::default() };
//! let pop = sim.create(Population::new(100, cells).label("pop1"))?;
//! let noise = sim.create(Population::new(20, SpikeSourcePoisson { rate: 50.0.into(), ..Default::default() }))?;
//! sim.connect(Projection::new(noise, pop, Connector::fixed_probability(0.5), StaticSynapse::new(0.5, 1.0)))?;
//! sim.record(pop, &["spikes", "v"])?;
//! sim.run(100.0)?;
//! let seg = sim.get_data(pop)?;
//! println!("{} spikes, mean rate {:.1} Hz", seg.spike_count(), seg.mean_rate());
//! # Ok(())
//! # }
//! ```
//!
//! Units are PyNN's: ms, mV, nA, nF, µS, Hz. See ARCHITECTURE.md for how one step flows
//! through the system.

#![warn(missing_docs)]

pub mod abi;
pub mod backend;
pub mod bench_report;
pub mod brainscales;
pub mod cpu;
pub mod engine;
pub mod model;
pub mod modelfile;
pub mod network;
pub mod networks;
pub mod output;
pub mod plot;
pub mod random;
pub mod record;
pub mod shaders;
mod sim;
pub mod stats;

pub use backend::{Backend, EngineError};
pub use model::{
    CellType, EifCondAlphaIsfaIsta, EifCondExpIsfaIsta, HhCondExp, HxNeuron, IfCondAlpha, IfCondExp, IfCurrAlpha, IfCurrExp, Izhikevich,
    IzhikevichNumerics, Param, SpikeSourceArray, SpikeSourcePoisson,
};
pub use network::assemble::CsrAssembly;
pub use network::{
    AntiHebbianSynapse, DenseMatrix, MultipleSynapses, Pairing, SpikePairRule, StdpMechanism, SynapseType, TsodyksMarkramSynapse,
    WeightDependence, WeightValues,
};
pub use network::{
    BuildError, Connector, CurrentSource, PoissonInput, Population, PopulationId, PopulationView, Projection, ProjectionId, Receptor,
    StaticSynapse, Stimulus,
};
pub use random::RandomDistribution;
pub use record::{AnalogSignal, Segment, SpikeTrain};
pub use sim::{BuildPhases, Error, RunReport, Simulation, SimulationBuilder};

/// Everything a network script needs.
pub mod prelude {
    pub use crate::model::spike_source_array::SpikeTimes;
    pub use crate::{
        AntiHebbianSynapse, DenseMatrix, MultipleSynapses, SpikePairRule, StdpMechanism, SynapseType, TsodyksMarkramSynapse,
        WeightDependence, WeightValues,
    };
    pub use crate::{
        Backend, CellType, Connector, CsrAssembly, CurrentSource, EifCondAlphaIsfaIsta, EifCondExpIsfaIsta, HhCondExp, IfCondAlpha,
        IfCondExp, IfCurrAlpha, IfCurrExp, Izhikevich, IzhikevichNumerics, Param, PoissonInput, Population, PopulationId, PopulationView,
        Projection, RandomDistribution, Receptor, Simulation, SpikeSourceArray, SpikeSourcePoisson, StaticSynapse, Stimulus,
    };
}
